// Physical references measured in the same run: what the CPU does for AES-256-GCM and MD5 on a
// 64 KiB buffer (DARE's package size), what loopback TCP carries, and what the disk does for a
// durable small write (temp file + fsync + rename, as Vault's file storage must).
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { opsPerSecond, since } from './load.mjs';

const MiB = 1024 * 1024;
const PACKAGE = 64 * 1024;

/**
 * AES-256-GCM MiB/s: one fresh cipher per 64 KiB package (as DARE seals each package with its own
 * nonce), tag included, for `seconds` of one core.
 */
export function aesGcmMiBps(seconds) {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const buf = randomBytes(PACKAGE);
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++) {
      iv.writeUInt32BE(n++ >>> 0, 8);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.update(buf);
      c.final();
      c.getAuthTag();
    }
  }
  key.fill(0);
  return (n * PACKAGE) / MiB / since(t0);
}

/** MD5 MiB/s over a stream of 64 KiB buffers (the ETag of a plaintext PUT), for `seconds`. */
export function md5MiBps(seconds) {
  const buf = randomBytes(PACKAGE);
  const hash = createHash('md5');
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++, n++) hash.update(buf);
  }
  hash.digest();
  return (n * PACKAGE) / MiB / since(t0);
}

/** Loopback TCP MiB/s: `totalMiB` in 64 KiB writes to the sink at `port`, until it acknowledges. */
export function tcpMiBps(port, totalMiB) {
  const buf = randomBytes(PACKAGE);
  const chunks = (totalMiB * MiB) / PACKAGE;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setNoDelay(true);
    socket.on('error', reject);
    socket.on('data', (d) => {
      reply += d;
    });
    socket.on('end', () => {
      const bytes = Number(reply.trim());
      if (bytes !== chunks * PACKAGE) reject(new Error(`tcp sink received ${bytes} bytes`));
      else resolve(totalMiB / since(t0));
    });
    socket.once('connect', async () => {
      for (let i = 0; i < chunks; i++) {
        if (!socket.write(buf)) await new Promise((r) => socket.once('drain', r));
      }
      socket.end();
    });
  });
}

/**
 * Durable small writes per second from `width` concurrent writers for `seconds`: each writes a
 * ~130-byte JSON value to a temp file, fsyncs it and renames it over one of 1024 targets.
 */
export async function fsyncLoopOps(dir, seconds, width) {
  await mkdir(dir, { recursive: true });
  const value = JSON.stringify({ Value: randomBytes(80).toString('base64') });
  return opsPerSecond(seconds, width, async (i) => {
    const target = join(dir, `entry-${i % 1024}`);
    const tmp = `${target}.${i}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(value);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  });
}
