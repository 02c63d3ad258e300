// `node bench/minio/sse-bench.mjs`: SSE-S3 cost beside plaintext in ONE run of the built `minio`
// bin, with a real `kes server` process (fs keystore, mTLS) as its KMS, as in the KMS guide.
// Figures: 64 MiB PUT and GET MiB/s (one stream), 4 KiB PUT ops/s (32 clients); plaintext and SSE-S3
// requests alternate round by round against the same server; the verdict is the median of the
// per-round SSE ÷ plaintext ratios (best figures shown beside it).
// Targets (issue 6): SSE PUT >= 0.9x plaintext PUT, SSE GET >= 0.8x plaintext GET, 4 KiB SSE PUT
// ops/s >= 0.7x plaintext. Prints a table and writes .data/bench/minio-sse.json at the repository root.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki } from '@kms-chain/tls-identity';
import { startFsKes } from '@kms-chain/tools';
import { timeBatch } from '../lib/load.mjs';
import { startNode } from '../lib/proc.mjs';
import { summarize } from '../lib/report.mjs';
import { s3Call, s3Endpoint } from '../lib/s3.mjs';

const repo = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const BIG_OBJECTS = Number(process.env.BENCH_BIG_OBJECTS ?? 4);
const SMALL_OPS = Number(process.env.BENCH_SMALL_OPS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CLIENTS = 32;
const ACCESS = 'benchkey';
const SECRET = 'benchsecret';

let ep;

function call(method, path, body, sse) {
  const headers = sse ? { 'x-amz-server-side-encryption': 'AES256' } : {};
  return s3Call(ep, method, path, { headers, ...(body ? { body } : {}) });
}

/** Starts `node args…`; resolves with the process and the port its `ready` line names. */
async function start(name, args, env, ready) {
  const { proc, match } = await startNode(name, args, { ready, env });
  return { proc, port: Number(match[1]) };
}

async function main() {
  for (const f of ['apps/minio/dist/cli.js', 'apps/kes/dist/cli.js']) {
    if (!existsSync(join(repo, f))) throw new Error(`${f} is missing: run npm run build first`);
  }
  const work = await mkdtemp(join(tmpdir(), 'minio-sse-bench-'));
  const procs = [];
  try {
    const pki = await createDevPki(join(work, 'pki'), { clients: ['minio'] });
    const client = pki.clients.minio;
    const kes = await startFsKes({
      dir: work,
      keystore: join(work, 'keys'),
      tls: pki.server,
      identities: [client.identity],
    });
    procs.push(kes.proc);
    await mkdir(join(work, 'data'));
    const minio = await start(
      'minio',
      [
        join(repo, 'apps/minio/bin/minio.js'),
        'server',
        '--address',
        '127.0.0.1:0',
        '--certs-dir',
        join(work, 'nocerts'),
        join(work, 'data'),
      ],
      {
        MINIO_ROOT_USER: ACCESS,
        MINIO_ROOT_PASSWORD: SECRET,
        // BENCH_KMS=static measures the same with the single static key (no KMS round trip).
        ...(process.env.BENCH_KMS === 'static'
          ? { MINIO_KMS_SECRET_KEY: `minio-bench-key:${randomBytes(32).toString('base64')}` }
          : {
              MINIO_KMS_KES_ENDPOINT: `https://127.0.0.1:${kes.port}`,
              MINIO_KMS_KES_KEY_NAME: 'minio-bench-key',
              MINIO_KMS_KES_CERT_FILE: client.certPath,
              MINIO_KMS_KES_KEY_FILE: client.keyPath,
              MINIO_KMS_KES_CAPATH: pki.ca.certPath,
            }),
      },
      /API: https?:\/\/[^:]+:(\d+)/,
    );
    procs.push(minio.proc);
    ep = s3Endpoint({ name: 'minio', url: `http://127.0.0.1:${minio.port}`, creds: [ACCESS, SECRET] });
    await call('PUT', '/bench');
    const big = randomBytes(BIG);
    const small = randomBytes(4096);
    // Every round's figure per name; plaintext and SSE-S3 of one round ran back to back, so the
    // verdict is the median of the per-round ratios (the machine's drift cancels within a pair).
    const seen = {};
    const keep = (name, value) => {
      if (!seen[name]) seen[name] = [];
      seen[name].push(value);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const sse of [false, true]) {
        const tag = sse ? 'sse' : 'plain';
        const mib = (BIG_OBJECTS * BIG) / MiB;
        keep(
          `${tag}Put`,
          mib / (await timeBatch(BIG_OBJECTS, 1, (i) => call('PUT', `/bench/${tag}-big-${i}`, big, sse))),
        );
        keep(
          `${tag}Get`,
          mib / (await timeBatch(BIG_OBJECTS, 1, (i) => call('GET', `/bench/${tag}-big-${i}`))),
        );
        keep(
          `${tag}SmallPut`,
          SMALL_OPS /
            (await timeBatch(SMALL_OPS, CLIENTS, (i) => call('PUT', `/bench/${tag}-small-${i}`, small, sse))),
        );
      }
    }
    const best = Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, Math.max(...v)]));
    const rows = [
      ['64 MiB PUT (MiB/s)', 'Put', 0.9],
      ['64 MiB GET (MiB/s)', 'Get', 0.8],
      ['4 KiB PUT x32 (ops/s)', 'SmallPut', 0.7],
    ];
    const ratios = {};
    console.log(
      'figure                 best plaintext  best SSE-S3  median ratio of rounds (min-max)  target',
    );
    for (const [name, key, target] of rows) {
      const r = seen[`sse${key}`].map((v, i) => v / seen[`plain${key}`][i]);
      const { min, median, max } = summarize(r);
      ratios[key] = r;
      const figures = `${best[`plain${key}`].toFixed(1).padStart(10)} ${best[`sse${key}`].toFixed(1).padStart(12)}`;
      const spread = `${median.toFixed(2)} (${min.toFixed(2)}-${max.toFixed(2)})`;
      const verdict = `>=${target} ${median >= target ? 'ok' : 'MISSED'}`;
      console.log(`${name.padEnd(24)} ${figures}   ${spread.padEnd(33)} ${verdict}`);
    }
    const outDir = join(repo, '.data', 'bench');
    await mkdir(outDir, { recursive: true });
    await writeFile(
      join(outDir, 'minio-sse.json'),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          bigObjects: BIG_OBJECTS,
          smallOps: SMALL_OPS,
          rounds: ROUNDS,
          figures: best,
          perRound: seen,
          ratios,
        },
        null,
        2,
      ),
    );
  } finally {
    for (const p of procs) await p.stop('SIGTERM', 10_000);
    ep?.agent.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
