// npm run bench -w apps/vault — KV v1 reads/s, durable KV writes/s and AppRole logins/s with 32
// concurrent clients over TLS, each beside a reference measured in the same run on this machine:
// a bare fastify TLS endpoint (reads) and a tmp-file + fsync + rename loop (durable writes). The
// loop makes synchronous calls, so libuv's thread-pool size (raised for the server) does not
// change it; its 32 "writers" take turns on the main thread.
// Targets (machines here are noisy, so ratios): reads ≥ 0.5× bare, writes ≥ 0.9× fsync loop,
// logins ≥ 2000/s. Needs the build (`npm install` runs it); prints a table and writes JSON.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackPki, startProc } from '@kms-chain/tools';

const CONCURRENCY = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'vault-bench-'));
{
  // The servers read c.pem / k.pem from `dir`: a localhost certificate from the test PKI.
  const { server } = await loopbackPki('vault bench CA');
  writeFileSync(join(dir, 'c.pem'), server.certPem);
  writeFileSync(join(dir, 'k.pem'), server.keyPem, { mode: 0o600 });
}

/** Starts server.mjs in `mode`; it prints one JSON line (its port, …) once it listens. */
async function startChild(mode) {
  const proc = startProc(process.execPath, [join(import.meta.dirname, 'server.mjs'), mode, dir], {
    keep: 65_536,
  });
  const [line] = await proc.waitFor(/^\{.*\}$/m);
  return { proc, ...JSON.parse(line) };
}

const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false });

function request(port, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode < 300 ? resolve() : reject(new Error(`${method} ${path} → ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `op(i)` from CONCURRENCY workers for SECONDS; returns operations per second. */
async function measure(op) {
  let count = 0;
  let seq = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await op(seq++);
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function fsyncLoop() {
  const d = join(dir, 'fsync');
  mkdirSync(d, { recursive: true });
  // 32 concurrent writers, each: write a temp file, fsync, rename over the target.
  return measure(
    (i) =>
      new Promise((resolve) => {
        setImmediate(() => {
          const target = join(d, `f${i % 1024}`);
          const tmp = `${target}.${i}.temp`;
          const fd = openSync(tmp, 'w', 0o600);
          writeSync(fd, JSON.stringify({ Value: Buffer.alloc(80, i).toString('base64') }));
          fsyncSync(fd);
          closeSync(fd);
          renameSync(tmp, target);
          resolve();
        });
      }),
  );
}

const results = {};
const bare = await startChild('bare');
await measure(() => request(bare.port, 'GET', '/v1/kv/bench/k', {}));
results.bareReads = await measure(() => request(bare.port, 'GET', '/v1/kv/bench/k', {}));
await bare.proc.stop();

const vault = await startChild('vault');
const auth = { 'x-vault-token': vault.token };
const json = { ...auth, 'content-type': 'application/json' };
await measure(() => request(vault.port, 'GET', '/v1/kv/bench/k', auth));
results.vaultReads = await measure(() => request(vault.port, 'GET', '/v1/kv/bench/k', auth));
// The disk is shared and its speed drifts over seconds: the reference loop runs right before and
// right after the writes, and the writes are compared with the mean of the two.
const fsyncBefore = await fsyncLoop();
results.vaultWrites = await measure((i) =>
  request(vault.port, 'PUT', `/v1/kv/bench/w${i % 1024}`, json, JSON.stringify({ key: `v${i}` })),
);
const fsyncAfter = await fsyncLoop();
results.fsyncWrites = (fsyncBefore + fsyncAfter) / 2;
results.logins = await measure(() =>
  request(
    vault.port,
    'PUT',
    '/v1/auth/approle/login',
    { 'content-type': 'application/json' },
    JSON.stringify({ role_id: vault.roleId, secret_id: vault.secretId }),
  ),
);
await vault.proc.stop();
agent.destroy();
rmSync(dir, { recursive: true, force: true });

const rows = [
  [
    'KV v1 read/s',
    results.vaultReads,
    'bare fastify TLS GET/s',
    results.bareReads,
    results.vaultReads / results.bareReads,
    '≥ 0.5',
  ],
  [
    'KV v1 durable write/s',
    results.vaultWrites,
    'tmp+fsync+rename/s',
    results.fsyncWrites,
    results.vaultWrites / results.fsyncWrites,
    '≥ 0.9',
  ],
  ['AppRole login/s', results.logins, '—', 0, results.logins / 2000, '≥ 2000/s'],
];
console.log(`vault bench: ${CONCURRENCY} concurrent clients over TLS, ${SECONDS}s per measurement`);
for (const [name, v, ref, rv, ratio, target] of rows)
  console.log(
    `${name.padEnd(22)} ${v.toFixed(0).padStart(7)}   ${ref.padEnd(24)} ${rv ? rv.toFixed(0).padStart(7) : '      —'}   ratio ${ratio.toFixed(2)} (target ${target})`,
  );
const out = process.env.BENCH_OUT ?? join(tmpdir(), 'vault-bench.json');
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), concurrency: CONCURRENCY, seconds: SECONDS, ...results }, null, 2)}\n`,
);
console.log(`figures written to ${out}`);
