// The one launcher for the processes tests, benchmarks and `npm start` run: spawn with the output
// captured (or appended to a log file the child writes itself), wait for a ready line or a port,
// stop with SIGTERM and SIGKILL after a grace period, and SIGKILL whatever is left at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isListening } from './ports.js';

export interface StartOptions {
  cwd?: string;
  /** Merged over this process's environment. */
  env?: Record<string, string | undefined>;
  /**
   * Append stdout and stderr to this file instead of capturing them in memory. The child writes the
   * file itself, so the log outlives this process; `out()` reads it back.
   */
  log?: string;
  /** Keep only the last `keep` characters of captured output (default: all of it). */
  keep?: number;
}

export interface Proc {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far (the tail, with `keep`; the log's part, with `log`). */
  out(): string;
  /** Resolves when the output matches `re`; rejects when the process exits first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves once 127.0.0.1:`port` accepts connections; rejects when the process exits first or after `timeoutMs`. */
  waitForPort(port: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name, or -1 when it could not start) once the process is gone. */
  exited: Promise<number | string>;
  isRunning(): boolean;
  /**
   * Sends `signal` (default SIGTERM) and resolves with the exit status once the process is gone;
   * with `graceMs`, SIGKILL follows when it is still running by then.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

const running = new Set<Proc>();

/** Whether `child` has neither exited nor been killed. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65_536);
    for (let at = offset; ; ) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      at += n;
    }
    return Buffer.concat(chunks).toString();
  } finally {
    closeSync(fd);
  }
}

/** Spawns `cmd args…`; see StartOptions for where its output goes. */
export function startProc(cmd: string, args: string[], opts: StartOptions = {}): Proc {
  const what = `${cmd} ${args.join(' ')}`;
  let logFd: number | undefined;
  let logOffset = 0;
  if (opts.log) {
    logFd = openSync(opts.log, 'a', 0o600);
    logOffset = statSync(opts.log).size;
  }
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
  });
  if (logFd !== undefined) closeSync(logFd);
  let captured = '';
  let failed = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  const onData = (d: Buffer) => {
    captured += d.toString();
    if (opts.keep !== undefined && captured.length > opts.keep) captured = captured.slice(-opts.keep);
    notify();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // A log file is written by the child, not through us: poll it while someone waits.
  const poll = opts.log ? setInterval(notify, 100) : undefined;
  poll?.unref();
  const out = opts.log ? () => readFrom(opts.log as string, logOffset) : () => captured;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (poll) clearInterval(poll);
      notify();
      resolve(signal ?? code ?? -1);
    });
    child.on('error', (err) => {
      if (isRunning(child) && child.pid !== undefined) return;
      failed = true;
      captured += `\n${cmd}: cannot start: ${err.message}`;
      if (poll) clearInterval(poll);
      notify();
      resolve(-1);
    });
  });
  const isDone = () => failed || !isRunning(child);
  const waitUntil = <T>(
    awaited: string,
    timeoutMs: number,
    test: () => T | undefined,
    ask?: () => Promise<T | undefined>,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let asking = false;
      const check = () => {
        const hit = test();
        if (hit !== undefined) {
          done();
          resolve(hit);
        } else if (isDone()) {
          done();
          reject(new Error(`${what} exited before ${awaited}:\n${out()}`));
        } else if (ask && !asking) {
          asking = true;
          void ask().then((v) => {
            asking = false;
            if (v !== undefined && listeners.has(check)) {
              done();
              resolve(v);
            }
          });
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: no ${awaited} within ${timeoutMs} ms:\n${out()}`));
      }, timeoutMs);
      const tick = ask ? setInterval(check, 100) : undefined;
      const done = () => {
        clearTimeout(timer);
        if (tick) clearInterval(tick);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const proc: Proc = {
    child,
    out,
    exited,
    isRunning: () => !isDone(),
    waitFor: (re, timeoutMs = 60_000) => waitUntil(String(re), timeoutMs, () => re.exec(out()) ?? undefined),
    waitForPort: (port, timeoutMs = 60_000) =>
      waitUntil(
        `a listener on port ${port}`,
        timeoutMs,
        () => undefined,
        async () => ((await isListening(port)) ? true : undefined),
      ).then(() => undefined),
    async stop(signal = 'SIGTERM', graceMs) {
      if (!isDone()) child.kill(signal);
      const timer =
        graceMs === undefined
          ? undefined
          : setTimeout(() => {
              if (!isDone()) child.kill('SIGKILL');
            }, graceMs);
      const status = await exited;
      clearTimeout(timer);
      running.delete(proc);
      return status;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** SIGKILLs every process started through startProc that is still running (for afterAll and exit). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map((p) => {
      p.child.kill('SIGKILL');
      return p.exited;
    }),
  );
}
