// `node bench/minio/bench.mjs`: minio's own micro-benchmark, PUT/GET MiB/s of 64 MiB objects (1 and 4 streams) and 4 KiB PUT/GET
// ops/s with 32 clients, for the built `minio` bin, the npm s3rver, and floor references (a bare
// node:http server that pipes bodies through MD5 into a file and fsyncs; and that server's plain file
// streaming for GET). Every server runs in its own process; the client is this process. Machines here
// are noisy, so the targets are ratios within one run. Prints a table and writes JSON to
// .data/bench/minio.json at the repository root.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { timeBatch } from '../lib/load.mjs';
import { startNode } from '../lib/proc.mjs';
import { s3Call, s3Endpoint } from '../lib/s3.mjs';

const repo = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const SMALL = 4 * 1024;
const BIG_OBJECTS = Number(process.env.BENCH_BIG_OBJECTS ?? 8);
const SMALL_OPS = Number(process.env.BENCH_SMALL_OPS ?? 3000);
const CLIENTS = 32;
const ACCESS = 'benchkey';
const SECRET = 'benchsecret';
// The peers print `READY <port>`; minio prints its API URL.
const READY = /READY (\d+)|API: https?:\/\/[^:]+:(\d+)/;

function call(peer, method, path, body) {
  return s3Call(peer.ep, method, path, body ? { body } : {});
}

/** Starts `node args…` and resolves with { name, proc, ep } once it prints the port it listens on. */
async function start(name, args, env, creds) {
  const { proc, match } = await startNode(name, args, { ready: READY, env });
  const port = Number(match.slice(1).find((g) => g !== undefined));
  return { name, proc, ep: s3Endpoint({ name, url: `http://127.0.0.1:${port}`, creds }) };
}

// Each figure is measured for every peer back to back, ROUNDS times, keeping each peer's best: on a
// shared, noisy machine this keeps the ratios of one run meaningful.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function figures(big) {
  const small = randomBytes(SMALL);
  const keyOf = (i) => `/bench/big-${i}`;
  const smallKey = (i) => `/bench/small-${i}`;
  const bigMiB = BIG_OBJECTS * (BIG / MiB);
  return [
    ['put1', (p) => timeBatch(BIG_OBJECTS, 1, (i) => call(p, 'PUT', keyOf(i), big)), bigMiB],
    ['put4', (p) => timeBatch(BIG_OBJECTS, 4, (i) => call(p, 'PUT', keyOf(i), big)), bigMiB],
    ['get1', (p) => timeBatch(BIG_OBJECTS, 1, (i) => call(p, 'GET', keyOf(i))), bigMiB],
    ['get4', (p) => timeBatch(BIG_OBJECTS, 4, (i) => call(p, 'GET', keyOf(i))), bigMiB],
    ['smallPut', (p) => timeBatch(SMALL_OPS, CLIENTS, (i) => call(p, 'PUT', smallKey(i), small)), SMALL_OPS],
    ['smallGet', (p) => timeBatch(SMALL_OPS, CLIENTS, (i) => call(p, 'GET', smallKey(i))), SMALL_OPS],
  ];
}

async function main() {
  const bin = join(repo, 'apps', 'minio', 'bin', 'minio.js');
  if (!existsSync(join(repo, 'apps', 'minio', 'dist', 'cli.js')))
    throw new Error('build first: npm run build -w apps/minio');
  const work = await mkdtemp(join(tmpdir(), 'minio-bench-'));
  const big = randomBytes(BIG);
  const results = { minio: {}, s3rver: {}, floor: {} };
  const peers = [];
  try {
    const peerDir = join(repo, 'bench', 'peers');
    peers.push(
      await start(
        'minio',
        [
          bin,
          'server',
          join(work, 'minio'),
          '--address',
          '127.0.0.1:0',
          '--certs-dir',
          join(work, 'no-certs'),
        ],
        { MINIO_ROOT_USER: ACCESS, MINIO_ROOT_PASSWORD: SECRET },
        [ACCESS, SECRET],
      ),
    );
    const ours = peers[0];
    peers.push(
      await start(
        's3rver',
        [join(peerDir, 's3rver.mjs'), join(work, 's3rver')],
        { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
        ['S3RVER', 'S3RVER'],
      ),
    );
    peers.push(await start('floor', [join(peerDir, 'floor.mjs'), join(work, 'floor')], {}));
    await call(ours, 'PUT', '/bench');
    for (const [name, run, amount] of figures(big)) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const peer of peers) {
          const rate = amount / (await run(peer));
          results[peer.name][name] = Math.max(results[peer.name][name] ?? 0, rate);
        }
      }
    }
  } finally {
    for (const peer of peers) {
      peer.ep.agent.destroy();
      await peer.proc.stop('SIGTERM', 10_000);
    }
    await rm(work, { recursive: true, force: true });
  }

  const rows = [
    ['PUT 64 MiB, 1 stream (MiB/s)', 'put1'],
    ['PUT 64 MiB, 4 streams (MiB/s)', 'put4'],
    ['GET 64 MiB, 1 stream (MiB/s)', 'get1'],
    ['GET 64 MiB, 4 streams (MiB/s)', 'get4'],
    ['PUT 4 KiB, 32 clients (ops/s)', 'smallPut'],
    ['GET 4 KiB, 32 clients (ops/s)', 'smallGet'],
  ];
  const fmt = (n) => n.toFixed(1).padStart(9);
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`.padStart(8);
  console.log(
    `${'figure'.padEnd(32)}${'minio'.padStart(9)}${'s3rver'.padStart(9)}${'floor'.padStart(9)}  vs floor vs s3rver`,
  );
  for (const [label, k] of rows) {
    const m = results.minio[k];
    console.log(
      `${label.padEnd(32)}${fmt(m)}${fmt(results.s3rver[k])}${fmt(results.floor[k])}  ${ratio(m, results.floor[k])} ${ratio(m, results.s3rver[k])}`,
    );
  }
  const out = join(repo, '.data', 'bench', 'minio.json');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out}`);
}

main().catch((err) => {
  console.error(`Error: ${err.message}`);
  process.exitCode = 1;
});
