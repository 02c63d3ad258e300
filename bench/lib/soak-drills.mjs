// The soak's drills: a server stopped (SIGSTOP) for a while, or killed (SIGKILL) and restarted, in
// the middle of a run. Each tells which failures it explains — those of requests that overlapped it,
// of the kind it can cause — and counts what happened.

/** How long after a server is back a failure is still put down to the drill. */
const RESUME_GRACE_MS = 2_000;

/**
 * A KMS error as the soak classes it: minio's 500 kms:KeyGenerationFailed and the like, or a 500 of a
 * HEAD, which has no body to name its code.
 */
const KMS_ERROR = /^5xx 500 (kms:\S+|Unknown)$/;

/**
 * A stall drill: SIGSTOP of `name` (kes or vault) `atMs` into the run for `seconds`, then SIGCONT.
 * `classify` tells a request's fate: a KMS error of a request that overlapped the stall is expected.
 */
export function stallDrill(name, pid, atMs, seconds) {
  const drill = {
    kind: `${name}-stall`,
    stallSeconds: seconds,
    kmsErrors: 0,
    maxMsDuringStall: 0,
    okAfter: 0,
  };
  const label = `${name} stopped`;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.POSITIVE_INFINITY;
  const timers = [
    setTimeout(() => {
      start = performance.now();
      process.kill(pid, 'SIGSTOP');
    }, atMs),
    setTimeout(
      () => {
        end = performance.now();
        process.kill(pid, 'SIGCONT');
      },
      atMs + seconds * 1000,
    ),
  ];
  return {
    drill,
    label,
    /** 'expected', 'failure' or 'ok' for a request over [t0, t1] that failed with `failure`. */
    classify(t0, t1, failure) {
      const overlaps = t1 > start && t0 < end + RESUME_GRACE_MS;
      if (overlaps) drill.maxMsDuringStall = Math.max(drill.maxMsDuringStall, Math.round(t1 - t0));
      if (failure === undefined) {
        if (t0 > end) drill.okAfter++;
        return 'ok';
      }
      if (overlaps && KMS_ERROR.test(failure)) {
        drill.kmsErrors++;
        return 'expected';
      }
      return 'failure';
    },
    /** Resumes KES if the run ends first. */
    async stop() {
      for (const t of timers) clearTimeout(t);
      if (Number.isFinite(start) && !Number.isFinite(end)) process.kill(pid, 'SIGCONT');
    },
  };
}

/**
 * A kill drill: `kill -9` of `name` (minio or kes) at a random moment every `everyMs` (±50 %), then
 * the same server restarted. Requests that overlap a kill and its restart may fail — minio killed: a
 * network error, a reset or a 503; KES killed: a KMS error — and the writes among them may or may not
 * have landed (the model allows both). Everything else — an acknowledged write lost, a partial object,
 * a failure once the server is back — fails the run.
 */
export function killDrill(chain, name, pids, everyMs) {
  const expectedFailure = name === 'minio' ? /^(network|connection reset|5xx 503)/ : KMS_ERROR;
  const drill = { kind: `kill-${name}`, kills: 0, expectedErrors: 0, okAfter: 0, restartMs: [] };
  const windows = [];
  let stopped = false;
  let timer;
  let restarting = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(
      () => {
        const w = [performance.now(), Number.POSITIVE_INFINITY];
        windows.push(w);
        restarting = chain.killAndRestart(name).then((proc) => {
          pids[name] = proc.child.pid;
          w[1] = performance.now();
          drill.kills++;
          drill.restartMs.push(Math.round(w[1] - w[0]));
          if (!stopped) schedule();
        });
        restarting.catch(() => {});
      },
      everyMs * (0.5 + Math.random()),
    );
  };
  schedule();
  return {
    drill,
    label: `${name} killed`,
    classify(t0, t1, failure) {
      const overlaps = windows.some(([a, b]) => t1 > a && t0 < b + RESUME_GRACE_MS);
      if (failure === undefined) {
        if (windows.length > 0 && t0 > windows[windows.length - 1][1]) drill.okAfter++;
        return 'ok';
      }
      if (overlaps && expectedFailure.test(failure)) {
        drill.expectedErrors++;
        return 'expected';
      }
      return 'failure';
    },
    /** Waits for a restart under way; rejects when minio did not come back. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await restarting;
    },
  };
}

const DRILLS = ['kes-stall', 'vault-stall', 'kill-minio', 'kill-kes'];

/** Refuses a drill that cannot run, before anything is started. */
export function checkDrill(opts, pids) {
  if (opts.drill === undefined) return;
  if (!DRILLS.includes(opts.drill))
    throw new Error(`soak: unknown drill ${opts.drill} (${DRILLS.join(', ')})`);
  if (opts.drill.startsWith('kill-') && opts.endpoint) {
    throw new Error(`soak: ${opts.drill} restarts a server, so it needs the chain started here`);
  }
  if (opts.drill.endsWith('-stall')) {
    const server = opts.drill.slice(0, -6);
    if (opts.endpoint && !pids[server]) {
      throw new Error(`soak: ${opts.drill} needs the pid of ${server} (--pids ${server}=PID)`);
    }
    if (opts.seconds < opts.stallSeconds + 10) throw new Error('soak: the run must last the stall + 10 s');
  }
}
