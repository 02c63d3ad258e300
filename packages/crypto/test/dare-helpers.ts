// Test helpers for the DARE tests (not exported from the package).
import { createCipheriv } from 'node:crypto';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A small deterministic PRNG (xorshift32) so random chunkings are reproducible. */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** Deterministic pseudo-random bytes. */
export function bytes(length: number, seed = 1): Buffer {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}

/** Split `data` into chunks of random sizes in [1, max]. */
export function chunkRandomly(data: Buffer, seed: number, max = 100_000): Buffer[] {
  const next = prng(seed);
  const chunks: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    const k = Math.min(1 + next(max), data.length - off);
    chunks.push(data.subarray(off, off + k));
    off += k;
  }
  return chunks;
}

/** Pipe chunks through a Transform and collect the output; rejects with the stream's error. */
export async function run(stream: Transform, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(chunks, { objectMode: false }), stream, sink);
  return Buffer.concat(out);
}

/** Split a DARE 2.0 stream into its packages (by the length in each header). */
export function packagesOf(ciphertext: Buffer): Buffer[] {
  const pkgs: Buffer[] = [];
  let off = 0;
  while (off < ciphertext.length) {
    const len = ciphertext.readUInt16LE(off + 2) + 1 + 32;
    pkgs.push(ciphertext.subarray(off, off + len));
    off += len;
  }
  return pkgs;
}

/**
 * One DARE 1.0 package, sealed as sio's writer does (header: 0x10, cipher, len-1 LE16, sequence LE32,
 * 8-byte random value; nonce = header[4..16]; AAD = header[0..4]). DARE 1.0 is never written by the
 * package; tests need it to check the 1.0 reader.
 */
export function sealV10Package(
  key: Buffer,
  cipher: 0 | 1,
  seq: number,
  random: Buffer,
  payload: Buffer,
): Buffer {
  const header = Buffer.alloc(16);
  header[0] = 0x10;
  header[1] = cipher;
  header.writeUInt16LE(payload.length - 1, 2);
  header.writeUInt32LE(seq, 4);
  random.copy(header, 8, 0, 8);
  const iv = header.subarray(4, 16);
  const c =
    cipher === 0
      ? createCipheriv('aes-256-gcm', key, iv)
      : createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 });
  c.setAAD(header.subarray(0, 4));
  const body = Buffer.concat([c.update(payload), c.final()]);
  return Buffer.concat([header, body, c.getAuthTag()]);
}

/**
 * Byte equality for large Buffers (vitest's deep equality walks them element by element, which is slow).
 * Throws an Error naming the lengths and the first differing offset.
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  throw new Error(`bytes differ: lengths ${a.length} and ${b.length}, first difference at offset ${i}`);
}
