// `npm run bench -w apps/minio`: PUT/GET MiB/s of 64 MiB objects (1 and 4 streams) and 4 KiB PUT/GET
// ops/s with 32 clients, for the built `minio` bin, the npm s3rver, and floor references (a bare
// node:http server that pipes bodies through MD5 into a file and fsyncs; and that server's plain file
// streaming for GET). Every server runs in its own process; the client is this process. Machines here
// are noisy, so the targets are ratios within one run. Prints a table and writes JSON to
// .data/bench/minio.json at the repository root.
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const SMALL = 4 * 1024;
const BIG_OBJECTS = Number(process.env.BENCH_BIG_OBJECTS ?? 8);
const SMALL_OPS = Number(process.env.BENCH_SMALL_OPS ?? 3000);
const CLIENTS = 32;
const ACCESS = 'benchkey';
const SECRET = 'benchsecret';

function sign(method, host, path, accessKey, secretKey) {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = stamp.slice(0, 8);
  const headers = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': stamp };
  const names = Object.keys(headers).sort();
  const canonical = [
    method,
    path,
    '',
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    stamp,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const h = (k, d) => createHmac('sha256', k).update(d).digest();
  const key = h(h(h(h(`AWS4${secretKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const sig = createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return headers;
}

function call(peer, method, path, body) {
  return new Promise((resolve, reject) => {
    const host = `127.0.0.1:${peer.port}`;
    const headers = peer.creds ? sign(method, host, path, peer.creds[0], peer.creds[1]) : { host };
    if (body) headers['content-length'] = String(body.length);
    const req = request(
      { host: '127.0.0.1', port: peer.port, method, path, headers, agent: peer.agent },
      (res) => {
        let bytes = 0;
        res.on('data', (c) => {
          bytes += c.length;
        });
        res.on('end', () => {
          if (res.statusCode >= 300)
            reject(new Error(`${peer.name} ${method} ${path}: HTTP ${res.statusCode}`));
          else resolve(bytes);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) {
      // Write in 1 MiB slices, as a streaming client would.
      for (let i = 0; i < body.length; i += MiB) req.write(body.subarray(i, i + MiB));
    }
    req.end();
  });
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function pool(total, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

function start(name, args, env, dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /READY (\d+)|API: https?:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve({ name, child, port: Number(m[1] ?? m[2]), dir });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}

async function runSuite(peer, bucketPath, big) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  peer.agent = agent;
  const r = {};
  const keyOf = (i) => `${bucketPath}/big-${i}`;
  r.put1 =
    (BIG_OBJECTS * 64) / (await timed(() => pool(BIG_OBJECTS, 1, (i) => call(peer, 'PUT', keyOf(i), big))));
  r.put4 =
    (BIG_OBJECTS * 64) / (await timed(() => pool(BIG_OBJECTS, 4, (i) => call(peer, 'PUT', keyOf(i), big))));
  r.get1 = (BIG_OBJECTS * 64) / (await timed(() => pool(BIG_OBJECTS, 1, (i) => call(peer, 'GET', keyOf(i)))));
  r.get4 = (BIG_OBJECTS * 64) / (await timed(() => pool(BIG_OBJECTS, 4, (i) => call(peer, 'GET', keyOf(i)))));
  const small = randomBytes(SMALL);
  const smallKey = (i) => `${bucketPath}/small-${i}`;
  r.smallPut =
    SMALL_OPS / (await timed(() => pool(SMALL_OPS, CLIENTS, (i) => call(peer, 'PUT', smallKey(i), small))));
  r.smallGet =
    SMALL_OPS / (await timed(() => pool(SMALL_OPS, CLIENTS, (i) => call(peer, 'GET', smallKey(i)))));
  agent.destroy();
  return r;
}

async function main() {
  const bin = join(here, '..', 'bin', 'minio.js');
  if (!existsSync(join(here, '..', 'dist', 'cli.js')))
    throw new Error('build first: npm run build -w apps/minio');
  const work = await mkdtemp(join(tmpdir(), 'minio-bench-'));
  const big = randomBytes(BIG);
  const results = {};
  try {
    const ours = await start(
      'minio',
      [bin, 'server', join(work, 'minio'), '--address', '127.0.0.1:0', '--certs-dir', join(work, 'no-certs')],
      { MINIO_ROOT_USER: ACCESS, MINIO_ROOT_PASSWORD: SECRET },
    );
    ours.creds = [ACCESS, SECRET];
    await call({ ...ours, agent: undefined }, 'PUT', '/bench');
    results.minio = await runSuite(ours, '/bench', big);
    ours.child.kill('SIGTERM');

    const s3rverPeer = await start('s3rver', [join(here, 'peers', 's3rver.mjs'), join(work, 's3rver')], {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim(),
    });
    s3rverPeer.creds = ['S3RVER', 'S3RVER'];
    results.s3rver = await runSuite(s3rverPeer, '/bench', big);
    s3rverPeer.child.kill('SIGTERM');

    const floor = await start('floor', [join(here, 'peers', 'floor.mjs'), join(work, 'floor')], {});
    results.floor = await runSuite(floor, '/bench', big);
    floor.child.kill('SIGTERM');
  } finally {
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
