// `npm run bench -w apps/minio`: PUT/GET MiB/s of 64 MiB objects (1 and 4 streams) and 4 KiB PUT/GET
// ops/s with 32 clients, for the built `minio` bin, the npm s3rver, and floor references (a bare
// node:http server that pipes bodies through MD5 into a file and fsyncs; and that server's plain file
// streaming for GET). Every server runs in its own process; the client is this process. Machines here
// are noisy, so the targets are ratios within one run. Prints a table and writes JSON to
// .data/bench/minio.json at the repository root.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MiB, pool, send, sign, start, timed } from './bench-util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
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
  const host = `127.0.0.1:${peer.port}`;
  const headers = peer.creds ? sign(method, host, path, peer.creds[0], peer.creds[1]) : { host };
  return send({ port: peer.port, method, path, headers, body, agent: peer.agent, label: `${peer.name} ` });
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
    ['put1', (p) => timed(() => pool(BIG_OBJECTS, 1, (i) => call(p, 'PUT', keyOf(i), big))), bigMiB],
    ['put4', (p) => timed(() => pool(BIG_OBJECTS, 4, (i) => call(p, 'PUT', keyOf(i), big))), bigMiB],
    ['get1', (p) => timed(() => pool(BIG_OBJECTS, 1, (i) => call(p, 'GET', keyOf(i)))), bigMiB],
    ['get4', (p) => timed(() => pool(BIG_OBJECTS, 4, (i) => call(p, 'GET', keyOf(i)))), bigMiB],
    [
      'smallPut',
      (p) => timed(() => pool(SMALL_OPS, CLIENTS, (i) => call(p, 'PUT', smallKey(i), small))),
      SMALL_OPS,
    ],
    ['smallGet', (p) => timed(() => pool(SMALL_OPS, CLIENTS, (i) => call(p, 'GET', smallKey(i)))), SMALL_OPS],
  ];
}

async function main() {
  const bin = join(here, '..', 'bin', 'minio.js');
  if (!existsSync(join(here, '..', 'dist', 'cli.js')))
    throw new Error('build first: npm run build -w apps/minio');
  const work = await mkdtemp(join(tmpdir(), 'minio-bench-'));
  const big = randomBytes(BIG);
  const results = { minio: {}, s3rver: {}, floor: {} };
  const peers = [];
  try {
    const ours = await start(
      'minio',
      [bin, 'server', join(work, 'minio'), '--address', '127.0.0.1:0', '--certs-dir', join(work, 'no-certs')],
      { MINIO_ROOT_USER: ACCESS, MINIO_ROOT_PASSWORD: SECRET },
      READY,
    );
    ours.creds = [ACCESS, SECRET];
    const s3rverPeer = await start(
      's3rver',
      [join(here, 'peers', 's3rver.mjs'), join(work, 's3rver')],
      { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
      READY,
    );
    s3rverPeer.creds = ['S3RVER', 'S3RVER'];
    const floor = await start('floor', [join(here, 'peers', 'floor.mjs'), join(work, 'floor')], {}, READY);
    peers.push(ours, s3rverPeer, floor);
    for (const peer of peers) peer.agent = new Agent({ keepAlive: true, maxSockets: 64 });
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
      peer.agent?.destroy();
      peer.child.kill('SIGTERM');
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
