// `npm run bench -w apps/kes`: KES generate/decrypt throughput over mTLS keep-alive with 64
// concurrent clients (cache warm), beside a bare fastify mTLS endpoint measured the same way in the
// same run, plus the latency of a cold-cache generate that has to read the key from Vault.
//
// Vault: set KES_BENCH_VAULT_ADDR, KES_BENCH_APPROLE_ID, KES_BENCH_APPROLE_SECRET (and optionally
// KES_BENCH_VAULT_CA) to use a real Vault (KV v1 at kv/, writable prefix kes-bench); otherwise a
// minimal Vault-protocol server on loopback stands in. Requires a build (`npm run build`).
// Env: KES_BENCH_SECONDS per run (default 3), KES_BENCH_ROUNDS (default 3), KES_BENCH_CONCURRENCY (64).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki } from '@kms-chain/tls-identity';
import { startProc } from '@kms-chain/tools';
import { startMiniVault } from './mini-vault.mjs';

const here = import.meta.dirname;
const seconds = Number(process.env.KES_BENCH_SECONDS ?? 3);
const rounds = Number(process.env.KES_BENCH_ROUNDS ?? 3);
const concurrency = Number(process.env.KES_BENCH_CONCURRENCY ?? 64);

const dir = await mkdtemp(join(tmpdir(), 'kes-bench-'));
const pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
const client = pki.clients.minio;

let vault;
let vaultBlock;
if (process.env.KES_BENCH_VAULT_ADDR) {
  vaultBlock = `    endpoint: ${process.env.KES_BENCH_VAULT_ADDR}
    prefix: kes-bench
    approle: { id: "${process.env.KES_BENCH_APPROLE_ID}", secret: "${process.env.KES_BENCH_APPROLE_SECRET}" }
${process.env.KES_BENCH_VAULT_CA ? `    tls: { ca: ${process.env.KES_BENCH_VAULT_CA} }\n` : ''}`;
} else {
  vault = await startMiniVault({ roleId: 'bench', secretId: 'bench-secret' });
  vaultBlock = `    endpoint: ${vault.url}
    prefix: kes-bench
    approle: { id: bench, secret: bench-secret }
`;
}
await writeFile(
  join(dir, 'kes.yaml'),
  `address: 127.0.0.1:0
admin: { identity: ${client.identity} }
tls: { key: ${pki.server.keyPath}, cert: ${pki.server.certPath} }
cache: { expiry: { any: 5m, unused: 5m } }
log: { error: on, audit: off }
keystore:
  vault:
${vaultBlock}`,
);

// Children never outlive the benchmark, whether it ends, fails or is interrupted.
const procs = new Set();
process.on('exit', () => {
  for (const p of procs) if (p.isRunning()) p.child.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// KES_BENCH_PROFILE=DIR writes a CPU profile of the KES process there (node --cpu-prof).
async function startProcess(args, profile = false) {
  const flags =
    profile && process.env.KES_BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KES_BENCH_PROFILE}`]
      : [];
  const proc = startProc(process.execPath, [...flags, ...args], { keep: 65_536 });
  procs.add(proc);
  const [, url] = await proc.waitFor(/Endpoint\s+(https:\/\/\S+)/);
  return { proc, child: proc.child, url };
}

const kes = await startProcess(
  [join(here, '..', 'bin', 'kes.js'), 'server', `--config=${join(dir, 'kes.yaml')}`],
  true,
);
const ref = await startProcess([
  join(here, 'reference-server.mjs'),
  pki.server.certPath,
  pki.server.keyPath,
  pki.ca.certPath,
]);

const agentFor = () =>
  new https.Agent({
    keepAlive: true,
    maxSockets: concurrency,
    ca: pki.ca.certPem,
    cert: client.certPem,
    key: client.keyPem,
  });

function post(agent, base, path, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, base),
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${path}: no response within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

// Server CPU seconds (user + system) from /proc — a per-request cost that, unlike ops/s, does not
// depend on how busy the rest of the machine is. Linux only; elsewhere the column stays empty.
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function load(name, base, path, body, pid) {
  const agent = agentFor();
  for (let i = 0; i < concurrency; i++) await post(agent, base, path, body); // open connections, warm up
  let ops = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const workers = Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const r = await post(agent, base, path, body);
      if (r.status === 200) ops++;
      else errors++;
    }
  });
  const start = performance.now();
  const cpu0 = cpuSeconds(pid);
  await Promise.all(workers);
  const elapsed = (performance.now() - start) / 1000;
  const cpuUsPerOp = ((cpuSeconds(pid) - cpu0) * 1e6) / ops;
  agent.destroy();
  if (errors) console.error(`${name}: ${errors} non-200 responses`);
  return { name, ops, seconds: elapsed, opsPerSec: ops / elapsed, cpuUsPerOp };
}

const setup = agentFor();
const ctx = Buffer.from('{"bucket":"bucket/object"}').toString('base64');
let r = await post(setup, kes.url, '/v1/key/create/bench-key', {});
if (r.status !== 200 && !r.body.includes('exists')) throw new Error(`create: ${r.status} ${r.body}`);
r = await post(setup, kes.url, '/v1/key/generate/bench-key', { context: ctx });
const { ciphertext } = JSON.parse(r.body);

// The runs are interleaved over several rounds and each keeps its best round, so a burst of other
// load on the machine does not land on one side of the comparison only.
const plans = [
  ['reference (bare fastify mTLS)', ref.url, '/v1/key/generate/x', { context: ctx }, ref.child.pid],
  ['kes generate (cache warm)', kes.url, '/v1/key/generate/bench-key', { context: ctx }, kes.child.pid],
  [
    'kes decrypt (cache warm)',
    kes.url,
    '/v1/key/decrypt/bench-key',
    { ciphertext, context: ctx },
    kes.child.pid,
  ],
];
const results = plans.map(([name]) => ({ name, opsPerSec: 0, rounds: [], cpu: [] }));
for (let round = 0; round < rounds; round++) {
  for (const [i, plan] of plans.entries()) {
    const r = await load(...plan);
    results[i].rounds.push(Math.round(r.opsPerSec));
    results[i].cpu.push(r.cpuUsPerOp);
    results[i].opsPerSec = Math.max(results[i].opsPerSec, r.opsPerSec);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const r of results) r.cpuUsPerOp = median(r.cpu);

// Cold cache: a fresh key per sample, so its first generate reads it from Vault.
const cold = [];
for (let i = 0; i < 30; i++) {
  const name = `bench-cold-${Date.now()}-${i}`;
  await post(setup, kes.url, `/v1/key/create/${name}`, {});
  const t = performance.now();
  const g = await post(setup, kes.url, `/v1/key/generate/${name}`, { context: ctx });
  if (g.status !== 200) throw new Error(`cold generate: ${g.status} ${g.body}`);
  cold.push(performance.now() - t);
}
cold.sort((a, b) => a - b);
setup.destroy();

const refOps = results[0].opsPerSec;
console.log(
  `\nKES benchmark: ${concurrency} concurrent mTLS keep-alive clients, best of ${rounds} × ${seconds}s, ${vault ? 'loopback Vault-protocol stand-in' : process.env.KES_BENCH_VAULT_ADDR}`,
);
const refCpu = results[0].cpuUsPerOp;
console.log(
  '| run | ops/s (best) | ratio to reference | server CPU µs/op (median) | CPU-based ratio | rounds (ops/s) |',
);
console.log('|---|---:|---:|---:|---:|---|');
for (const x of results) {
  const cells = [
    x.name,
    x.opsPerSec.toFixed(0),
    (x.opsPerSec / refOps).toFixed(2),
    x.cpuUsPerOp.toFixed(0),
    (refCpu / x.cpuUsPerOp).toFixed(2),
    x.rounds.join(', '),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
const pct = (p) => cold[Math.min(cold.length - 1, Math.floor(p * cold.length))];
console.log(
  `| cold-cache generate via Vault | p50 ${pct(0.5).toFixed(2)} ms, p90 ${pct(0.9).toFixed(2)} ms, max ${cold.at(-1).toFixed(2)} ms | | | | |`,
);
console.log(
  JSON.stringify({
    concurrency,
    seconds,
    runs: results.map((x) => ({
      cpuUsPerOp: Math.round(x.cpuUsPerOp),
      cpuRatio: +(refCpu / x.cpuUsPerOp).toFixed(3),
      name: x.name,
      opsPerSec: Math.round(x.opsPerSec),
      ratio: +(x.opsPerSec / refOps).toFixed(3),
      rounds: x.rounds,
    })),
    coldGenerateMs: { p50: +pct(0.5).toFixed(3), p90: +pct(0.9).toFixed(3), max: +cold.at(-1).toFixed(3) },
  }),
);

await Promise.all([kes, ref].map((p) => p.proc.stop()));
await vault?.close();
await rm(dir, { recursive: true, force: true });
