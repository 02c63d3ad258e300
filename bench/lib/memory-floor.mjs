#!/usr/bin/env node
// The memory floor: what a bare Node HTTPS object server holds for the same work as minio, measured
// in the same run. `node bench/lib/memory-floor.mjs` starts the chain and, beside it, this file as a
// server (`serve`): the same Node, TLS on loopback with the chain's certificate, each PUT streamed
// to a temp file, fsynced and renamed over the key's file, each GET streamed back; bodies sent with
// `x-amz-server-side-encryption: AES256` sealed on the way in and opened on the way out in DARE's
// layout (64 KiB packages, one AES-256-GCM context each, on Node crypto). No SigV4, no metadata
// file, no KMS, no listing. Both servers then get the same traffic: W workers × T seconds of PUTs
// and GETs of 1 B–2 MiB bodies, half encrypted, then a quiet spell, then a 1 GiB PUT+GET plaintext
// and encrypted; the table gives each server's RSS at start, after the load, after the quiet spell,
// and its peak for each 1 GiB PUT+GET (VmHWM reset before each). `--servers minio` leaves the floor
// out; with `--seconds 0 --idle 0` too it measures only minio's 1 GiB peaks, in about a minute.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, unlink } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { peakRssMiB, resetPeakRss } from '@kms-chain/tools';
import { startChain } from './chain.mjs';
import { startNode } from './proc.mjs';
import { S3RequestError, s3Call, s3Endpoint } from './s3.mjs';

const MiB = 1024 * 1024;
const PAYLOAD = 64 * 1024;
const PACKAGE = 16 + PAYLOAD + 16;

/** DARE-like sealing of a body: 16-byte header (sequence in the nonce), ciphertext, 16-byte tag. */
async function* seal(source, key, nonce) {
  let seq = 0;
  let pending = [];
  let pendingBytes = 0;
  const sealOne = (payload) => {
    const iv = Buffer.from(nonce);
    iv.writeUInt32LE((iv.readUInt32LE(8) ^ seq++) >>> 0, 8);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(payload.length, 0);
    iv.copy(header, 4);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(header.subarray(0, 4));
    const body = c.update(payload);
    c.final();
    return [header, body, c.getAuthTag()];
  };
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= PAYLOAD) {
      const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
      yield* sealOne(all.subarray(0, PAYLOAD));
      pending = [all.subarray(PAYLOAD)];
      pendingBytes -= PAYLOAD;
    }
  }
  if (pendingBytes > 0) yield* sealOne(Buffer.concat(pending));
}

/** The inverse of {@link seal}: verifies each package's tag before its plaintext goes out. */
async function* open(source, key) {
  let pending = [];
  let pendingBytes = 0;
  const openOne = (pkg) => {
    const length = pkg.readUInt32LE(0);
    const iv = pkg.subarray(4, 16);
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(pkg.subarray(0, 4));
    d.setAuthTag(pkg.subarray(16 + length, 32 + length));
    const plain = d.update(pkg.subarray(16, 16 + length));
    d.final();
    return plain;
  };
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= PACKAGE) {
      const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
      yield openOne(all.subarray(0, PACKAGE));
      pending = [all.subarray(PACKAGE)];
      pendingBytes -= PACKAGE;
    }
  }
  if (pendingBytes > 0) yield openOne(Buffer.concat(pending));
}

/** The floor server: `serve --dir D --cert C --key K`; prints `floor listening on PORT`. */
async function serve({ dir, cert, key }) {
  const dataKey = randomBytes(32);
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const encrypted = new Set();
  let n = 0;
  const fileOf = (url) => join(dir, encodeURIComponent(decodeURIComponent(url.split('?')[0])));
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert), minVersion: 'TLSv1.2' });
  server.keepAliveTimeout = 72_000;
  server.on('request', async (req, res) => {
    const file = fileOf(req.url);
    try {
      if (req.method === 'PUT') {
        const temp = join(tmp, `${process.pid}-${n++}`);
        const isEncrypted = req.headers['x-amz-server-side-encryption'] === 'AES256';
        const body = isEncrypted ? seal(req, dataKey, randomBytes(12)) : req;
        await pipeline(body, createWriteStream(temp, { flush: true }));
        await rename(temp, file);
        if (isEncrypted) encrypted.add(file);
        else encrypted.delete(file);
        res.writeHead(200, { etag: '"floor"' }).end();
      } else if (req.method === 'GET') {
        const data = createReadStream(file);
        await new Promise((resolve, reject) => data.once('open', resolve).once('error', reject));
        res.writeHead(200);
        await pipeline(encrypted.has(file) ? open(data, dataKey) : data, res);
      } else if (req.method === 'DELETE') {
        await unlink(file).catch(() => {});
        encrypted.delete(file);
        res.writeHead(204).end();
      } else res.writeHead(200).end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(err?.code === 'ENOENT' ? 404 : 500).end(String(err?.code));
      else res.destroy();
    }
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`floor listening on ${server.address().port}\n`));
}

const rssMiB = async (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** W workers × `seconds` of PUT/GET on their own keys, 1 B–2 MiB (log-uniform), half encrypted. */
async function load(ep, bucket, workers, seconds) {
  const deadline = performance.now() + seconds * 1000;
  const pool = randomBytes(2 * MiB);
  let ops = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const sizes = new Map();
      while (performance.now() < deadline) {
        const k = Math.floor(Math.random() * 8);
        const key = `/${bucket}/w${w}-${k}`;
        const sse = k % 2 === 0 ? { 'x-amz-server-side-encryption': 'AES256' } : {};
        if (!sizes.has(key) || Math.random() < 0.4) {
          const size = Math.max(1, Math.floor(2 ** (Math.random() * 21)));
          await s3Call(ep, 'PUT', key, { headers: sse, body: pool.subarray(0, size) });
          sizes.set(key, size);
        } else {
          const got = await s3Call(ep, 'GET', key);
          if (got.bytes !== sizes.get(key)) throw new Error(`${ep.name} GET ${key}: ${got.bytes} bytes`);
        }
        ops++;
      }
    }),
  );
  return ops;
}

async function huge(ep, bucket, pid, sse) {
  const big = randomBytes(64 * MiB);
  const headers = sse ? { 'x-amz-server-side-encryption': 'AES256' } : {};
  await resetPeakRss(pid);
  await s3Call(ep, 'PUT', `/${bucket}/huge`, { headers, body: big, repeat: 16 });
  const got = await s3Call(ep, 'GET', `/${bucket}/huge`);
  if (got.bytes !== 1024 * MiB) throw new Error(`${ep.name}: the 1 GiB GET returned ${got.bytes} bytes`);
  await s3Call(ep, 'DELETE', `/${bucket}/huge`);
  return peakRssMiB(pid);
}

async function main() {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '60' },
      idle: { type: 'string', default: '30' },
      servers: { type: 'string', default: 'minio,floor' },
      dir: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
    },
    allowPositionals: true,
    args: process.argv.slice(2),
  });
  const [command] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (command === 'serve') return serve(values);
  const work = await mkdtemp(join(tmpdir(), 'memory-floor-'));
  let chain;
  let floor;
  try {
    const servers = values.servers.split(',');
    process.stderr.write(
      `memory-floor: starting the chain${servers.includes('floor') ? ' and the floor server' : ''}…\n`,
    );
    chain = await startChain(join(work, 'chain'));
    if (servers.includes('floor'))
      floor = await startNode(
        'floor',
        [
          import.meta.filename,
          'serve',
          '--dir',
          join(work, 'floor'),
          '--cert',
          chain.pki.server.certPath,
          '--key',
          chain.pki.server.keyPath,
        ],
        { ready: /floor listening on (\d+)/ },
      );
    const targets = [
      {
        ep: s3Endpoint({ name: 'minio', url: chain.urls.minio, creds: chain.creds, ca: chain.ca }),
        pid: chain.minio.child.pid,
      },
      floor && {
        ep: s3Endpoint({ name: 'floor', url: `https://127.0.0.1:${floor.match[1]}`, ca: chain.ca }),
        pid: floor.child.pid,
      },
    ].filter((t) => t && servers.includes(t.ep.name));
    for (const t of targets) {
      try {
        await s3Call(t.ep, 'PUT', '/floor');
      } catch (err) {
        if (!(err instanceof S3RequestError)) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 3000));
    for (const t of targets) t.start = await rssMiB(t.pid);
    const workers = Number(values.workers);
    const seconds = Number(values.seconds);
    process.stderr.write(`memory-floor: ${workers} workers × ${seconds} s against both at once…\n`);
    await Promise.all(
      targets.map(async (t) => {
        t.ops = await load(t.ep, 'floor', workers, seconds);
        t.after = await rssMiB(t.pid);
      }),
    );
    await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
    for (const t of targets) t.idle = await rssMiB(t.pid);
    for (const t of targets) {
      process.stderr.write(`memory-floor: 1 GiB PUT+GET against ${t.ep.name}…\n`);
      t.plainPeak = await huge(t.ep, 'floor', t.pid, false);
      t.ssePeak = await huge(t.ep, 'floor', t.pid, true);
    }
    const rows = [
      [
        'server',
        'ops',
        'start',
        'after load',
        `after ${values.idle} s idle`,
        'idle − start',
        'peak 1 GiB plain',
        'peak 1 GiB SSE',
      ],
      ...targets.map((t) => [
        t.ep.name,
        String(t.ops),
        ...[t.start, t.after, t.idle, t.idle - t.start, t.plainPeak, t.ssePeak].map((v) => v.toFixed(1)),
      ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    process.stdout.write(`RSS in MiB, ${workers} workers × ${seconds} s, Node ${process.version}\n`);
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padStart(widths[i])).join('  ')}\n`);
  } finally {
    await floor?.proc.stop('SIGTERM');
    await chain?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`memory-floor: ${err?.stack ?? err}\n`);
  process.exit(1);
});
