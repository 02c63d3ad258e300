#!/usr/bin/env node
// `npm run soak`: N workers × T seconds of mixed S3 traffic (PUT, overwrite, GET, ranged GET, HEAD,
// DELETE, ListObjectsV2, CopyObject, multipart) over plaintext, SSE-S3, SSE-KMS, SSE-C and a bucket
// with default encryption, checked against a model of acknowledged writes (bench/lib/soak-model.mjs)
// byte for byte, then every key read back. Runs against a chain it starts from the built bins, or
// any endpoint given. Prints tables, writes JSON; exits 1 on any mismatch, 5xx, unexplained 4xx,
// connection reset or other network error.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { chainPids, startChain } from './lib/chain.mjs';
import { FreshHttpAgent, FreshHttpsAgent } from './lib/soak-agent.mjs';
import { checkDrill, killDrill, stallDrill } from './lib/soak-drills.mjs';
import { buildReport, reportText, rssAll, SoakStats } from './lib/soak-report.mjs';
import { SoakWorkload } from './lib/soak-workload.mjs';

/** minio's KES request deadline (apps/minio/README.md: KES deadlines), in seconds. */
const KES_DEADLINE_S = 20;
/** A request slower than this fails the run: the KES deadline plus room for a loaded machine. */
const SLOW_S = KES_DEADLINE_S + 5;

const USAGE = `usage: npm run soak [-- options]          (each option also as an environment variable)

  --workers N        concurrent workers (SOAK_WORKERS, 64)
  --seconds T        length of the mixed run (SOAK_SECONDS, 60)
  --endpoint URL     an S3 endpoint to soak instead of a chain started here (SOAK_ENDPOINT);
                     credentials from SOAK_ACCESS_KEY/SOAK_SECRET_KEY or MINIO_ROOT_USER/PASSWORD
  --ca FILE          CA certificate of an https endpoint (SOAK_CA)
  --pids a=1,b=2     server processes whose memory to report, for --endpoint (SOAK_PIDS)
  --kms-key-id ID    key of SSE-KMS writes (SOAK_KMS_KEY_ID; default: the server's default key)
  --no-race          workers read only keys they write themselves: no read overlaps an overwrite
                     (SOAK_NO_RACE=1)
  --idle S           seconds to wait idle before the last memory reading (SOAK_IDLE, 10)
  --rounds N         soak rounds back to back against the same servers (SOAK_ROUNDS, 1)
  --json FILE        where the JSON report goes (SOAK_JSON; default bench/results/soak-<time>.json)
  --drill kes-stall  stop KES (SIGSTOP) 5 s into the run for --stall-seconds (SOAK_DRILL), needs its
                     pid (the chain started here, or --pids kes=PID); KMS errors of requests that
                     overlap the stall are expected, any request longer than the KES deadline
                     (${KES_DEADLINE_S} s) or failing after it is not
  --drill vault-stall  the same with Vault stopped (KES serves keys it has cached)
  --stall-seconds S  length of the stall (SOAK_STALL_SECONDS, 20)
  --drill kill-minio kill -9 of minio at a random moment every --kill-every seconds (±50 %), then the
                     same minio restarted on its data (only with the chain started here); requests
                     overlapping a kill may fail with network errors or 503, nothing else may, and
                     every acknowledged write must read back whole at the end
  --drill kill-kes   the same with KES (requests overlapping a kill may fail with KMS errors)
  --kill-every S     (SOAK_KILL_EVERY, 15)

Any S3 request that takes longer than ${SLOW_S} s fails the run ("slow request").
`;

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      workers: { type: 'string' },
      seconds: { type: 'string' },
      endpoint: { type: 'string' },
      ca: { type: 'string' },
      pids: { type: 'string' },
      'kms-key-id': { type: 'string' },
      'no-race': { type: 'boolean' },
      idle: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'string' },
      drill: { type: 'string' },
      'stall-seconds': { type: 'string' },
      'kill-every': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const num = (v, name, dflt) => {
    const n = Number(v ?? dflt);
    if (!Number.isFinite(n) || n < 0) throw new Error(`soak: --${name} must be a number, not ${v}`);
    return n;
  };
  return {
    workers: Math.max(1, Math.floor(num(values.workers ?? env.SOAK_WORKERS, 'workers', 64))),
    seconds: num(values.seconds ?? env.SOAK_SECONDS, 'seconds', 60),
    endpoint: values.endpoint ?? env.SOAK_ENDPOINT,
    ca: values.ca ?? env.SOAK_CA,
    pids: values.pids ?? env.SOAK_PIDS,
    kmsKeyId: values['kms-key-id'] ?? env.SOAK_KMS_KEY_ID,
    noRace: values['no-race'] ?? env.SOAK_NO_RACE === '1',
    idle: num(values.idle ?? env.SOAK_IDLE, 'idle', 10),
    rounds: Math.max(1, Math.floor(num(values.rounds ?? env.SOAK_ROUNDS, 'rounds', 1))),
    json: values.json ?? env.SOAK_JSON,
    drill: values.drill ?? env.SOAK_DRILL,
    stallSeconds: num(values['stall-seconds'] ?? env.SOAK_STALL_SECONDS, 'stall-seconds', 20),
    killEvery: num(values['kill-every'] ?? env.SOAK_KILL_EVERY, 'kill-every', 15),
  };
}

function client(endpoint, ca, creds, workers) {
  const agentOpts = { keepAlive: true, maxSockets: workers };
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: creds[0], secretAccessKey: creds[1] },
    // Every failure is counted, never hidden by a retry.
    maxAttempts: 1,
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Keep-alive agents that never hand out a connection the server may have closed for idleness
    // (bench/lib/soak-agent.mjs): a busy client would send a request on it and see a reset.
    requestHandler: new NodeHttpHandler({
      httpAgent: new FreshHttpAgent(agentOpts),
      httpsAgent: new FreshHttpsAgent({ ...agentOpts, ...(ca ? { ca } : {}) }),
      connectionTimeout: 10_000,
      requestTimeout: 60_000,
    }),
  });
}

async function ensureBuckets(s3, buckets) {
  for (const Bucket of Object.values(buckets)) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket }));
    } catch (err) {
      if (err?.name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: buckets.default,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
}

async function main() {
  const opts = options(process.argv.slice(2));
  let chain;
  let work;
  let endpoint = opts.endpoint;
  let ca = opts.ca ? await readFile(opts.ca, 'utf8') : undefined;
  let creds = [
    process.env.SOAK_ACCESS_KEY ?? process.env.MINIO_ROOT_USER ?? 'minioadmin',
    process.env.SOAK_SECRET_KEY ?? process.env.MINIO_ROOT_PASSWORD ?? 'minioadmin',
  ];
  let pids = Object.fromEntries(
    (opts.pids ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => p.split('=')),
  );
  checkDrill(opts, pids);
  // Interrupted (Ctrl-C, a test runner's timeout): the chain started here goes too, even a stopped KES.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const child of Object.values(chain?.procs ?? {})) child.kill('SIGKILL');
      if (work) rmSync(work, { recursive: true, force: true });
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
  let s3;
  try {
    if (!endpoint) {
      work = await mkdtemp(join(tmpdir(), 'soak-'));
      process.stderr.write('soak: starting the chain (vault, kes, minio) from the built bins…\n');
      chain = await startChain(work);
      endpoint = chain.urls.minio;
      ca = chain.ca;
      creds = chain.creds;
      pids = chainPids(chain);
    }
    s3 = client(endpoint, ca, creds, opts.workers);
    const buckets = { plain: 'soak-plain', default: 'soak-default' };
    await ensureBuckets(s3, buckets);
    const reports = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const report = await soakRound({ s3, opts, pids, buckets, endpoint, chain });
      if (opts.rounds > 1) report.round = round;
      process.stdout.write(
        `${opts.rounds > 1 ? `round ${round} of ${opts.rounds}\n` : ''}${reportText(report)}\n\n`,
      );
      reports.push(report);
    }
    const out =
      reports.length === 1
        ? reports[0]
        : { rounds: reports, ok: reports.every((r) => r.ok), failures: reports.flatMap((r) => r.failures) };
    const jsonPath = resolve(
      opts.json ??
        join(import.meta.dirname, 'results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    );
    await mkdir(dirname(jsonPath), { recursive: true });
    await writeFile(jsonPath, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`JSON: ${jsonPath}\n`);
    return out.ok ? 0 : 1;
  } finally {
    s3?.destroy();
    if (chain) await chain.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }
}

/** One round: the workers for `opts.seconds` (with the drill, if any), the read-back, the memory. */
async function soakRound({ s3, opts, pids, buckets, endpoint, chain }) {
  const stats = new SoakStats();
  let stall;
  const workload = new SoakWorkload({
    s3,
    runId: `soak-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    workers: opts.workers,
    buckets,
    noRace: opts.noRace,
    kmsKeyId: opts.kmsKeyId,
    record(op, ms, failure, example) {
      const now = performance.now();
      const fate = stall ? stall.classify(now - ms, now, failure) : failure === undefined ? 'ok' : 'failure';
      if (fate === 'expected') return stats.recordExpected(op, ms, `${failure} (${stall.label})`);
      if (failure === undefined && ms > SLOW_S * 1000) {
        return stats.record(op, ms, `slow request (> ${SLOW_S} s)`, example);
      }
      stats.record(op, ms, failure, example);
    },
  });
  const before = await rssAll(pids);
  process.stderr.write(`soak: ${opts.workers} workers × ${opts.seconds} s against ${endpoint}…\n`);
  if (opts.drill?.endsWith('-stall')) {
    const server = opts.drill.slice(0, -6);
    stall = stallDrill(server, Number(pids[server]), 5_000, opts.stallSeconds);
  } else if (opts.drill?.startsWith('kill-')) {
    stall = killDrill(chain, opts.drill.slice(5), pids, opts.killEvery * 1000);
  }
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  try {
    await Promise.all(Array.from({ length: opts.workers }, (_, w) => workload.run(w, deadline)));
  } finally {
    await stall?.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await rssAll(pids);
  const readBack = await workload.readBack();
  let idle;
  if (opts.idle > 0 && Object.keys(pids).length > 0) {
    await new Promise((r) => setTimeout(r, opts.idle * 1000));
    idle = await rssAll(pids);
  }
  return buildReport({
    config: {
      workers: opts.workers,
      seconds: opts.seconds,
      endpoint,
      noRace: opts.noRace,
      drill: opts.drill,
    },
    stats,
    mismatches: workload.mismatches,
    mismatchCount: workload.mismatchCount ?? 0,
    seconds,
    rss: { before, after, idle, idleSeconds: idle ? opts.idle : undefined },
    readBack,
    drill: stall?.drill,
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    const usage = String(err?.message).startsWith('soak:');
    process.stderr.write(`${usage ? err.message : `soak: ${err?.stack ?? err}`}\n`);
    process.exit(2);
  },
);
