import { describe, expect, it } from 'vitest';
import { assertSameBytes, bytes, chunkRandomly, run } from '../test/dare-helpers.js';
import { createDareDecryptStream, createDareEncryptStream, type DareCipher } from './dare.js';
import { dareEncryptOffThread, dareWorkerMemory, releaseDareBatch } from './dare-offload.js';
import { CryptoError } from './errors.js';

const KEY = Buffer.alloc(32, 0x42);
const NONCE = Buffer.from('0f0e0d0c0b0a090807060504', 'hex');
const PAYLOAD = 65_536;
const BATCH = 16 * PAYLOAD;

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

async function collect(it: AsyncIterable<Buffer>, release = false): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) {
    out.push(Buffer.from(c)); // a copy: a released chunk's memory is reused
    if (release) releaseDareBatch(c);
  }
  return Buffer.concat(out);
}

describe('dareEncryptOffThread', () => {
  const sizes = [1, PAYLOAD - 1, PAYLOAD, PAYLOAD + 1, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 12_345];
  for (const cipher of ['aes-256-gcm', 'chacha20-poly1305'] as DareCipher[]) {
    it(`writes the bytes the in-thread stream writes (${cipher})`, async () => {
      for (const [i, size] of sizes.entries()) {
        const plain = bytes(size, i + 1);
        const chunks = chunkRandomly(plain, i + 7, 200_000);
        const expected = await run(createDareEncryptStream(KEY, { nonce: NONCE, cipher }), chunks);
        const actual = await collect(dareEncryptOffThread(from(chunks), KEY, { nonce: NONCE, cipher }), true);
        assertSameBytes(actual, expected);
      }
    });
  }

  it('draws a random nonce when none is given, and the output decrypts', async () => {
    const plain = bytes(BATCH + 5, 3);
    const a = await collect(dareEncryptOffThread(from([plain]), KEY));
    const b = await collect(dareEncryptOffThread(from([plain]), KEY));
    expect(a.equals(b)).toBe(false);
    assertSameBytes(await run(createDareDecryptStream(KEY), [a]), plain);
    assertSameBytes(await run(createDareDecryptStream(KEY), [b]), plain);
  });

  it('yields nothing for an empty source', async () => {
    expect((await collect(dareEncryptOffThread(from([]), KEY))).length).toBe(0);
  });

  it('rejects a bad key, nonce or cipher at once, with the stream codes', () => {
    const bad = (f: () => unknown, code: string) => {
      try {
        f();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(CryptoError);
        expect((err as CryptoError).code).toBe(code);
      }
    };
    bad(() => dareEncryptOffThread(from([]), Buffer.alloc(31)), 'dare/invalid-key');
    bad(() => dareEncryptOffThread(from([]), KEY, { nonce: Buffer.alloc(11) }), 'dare/invalid-nonce');
    bad(
      () => dareEncryptOffThread(from([]), KEY, { cipher: 'aes-128-gcm' as DareCipher }),
      'dare/invalid-option',
    );
  });

  it('reuses released batches for later streams and leaves unreleased ones alone', async () => {
    const plain = bytes(4 * BATCH + 1, 9);
    const released: Buffer[] = [];
    const kept: Buffer[] = [];
    let n = 0;
    for await (const c of dareEncryptOffThread(from([plain]), KEY, { nonce: NONCE })) {
      if (n++ % 2 === 0) {
        released.push(c);
        releaseDareBatch(c);
        releaseDareBatch(c); // a second hand-back is ignored
      } else {
        kept.push(c);
      }
    }
    const keptCopies = kept.map((c) => Buffer.from(c));
    releaseDareBatch(Buffer.alloc(BATCH)); // not from a stream: ignored
    // The next stream takes the released memory: it moves to the worker, so the old views detach.
    const again = await collect(dareEncryptOffThread(from([plain]), KEY, { nonce: NONCE }));
    expect(released.length).toBeGreaterThan(0);
    for (const c of released) expect(c.length).toBe(0);
    for (const [i, c] of kept.entries()) assertSameBytes(c, keptCopies[i]!);
    assertSameBytes(again, await run(createDareEncryptStream(KEY, { nonce: NONCE }), [plain]));
  });

  it('keeps concurrent streams apart, more of them than a worker queues batches', async () => {
    const jobs = [1, 2, 3, 4, 5, 6, 7, 8].map(async (i) => {
      const key = Buffer.alloc(32, i);
      const plain = bytes(2 * BATCH + i * 1000, i);
      const sealed = await collect(dareEncryptOffThread(from(chunkRandomly(plain, i, 70_000)), key), true);
      assertSameBytes(await run(createDareDecryptStream(key), [sealed]), plain);
    });
    await Promise.all(jobs);
  });

  it("passes on the source's error and stays usable after a stream fails or is abandoned", async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield bytes(3 * BATCH, 4);
      throw new Error('client went away');
    }
    await expect(collect(dareEncryptOffThread(failing(), KEY))).rejects.toThrow('client went away');
    for await (const _ of dareEncryptOffThread(from([bytes(5 * BATCH, 5)]), KEY)) break;
    const plain = bytes(BATCH + 3, 6);
    const sealed = await collect(dareEncryptOffThread(from([plain]), KEY));
    assertSameBytes(await run(createDareDecryptStream(KEY), [sealed]), plain);
  });

  it("keeps the worker's spent cipher buffers to a few MiB while it seals and once it is idle", async () => {
    const MiB = 1024 * 1024;
    const chunk = bytes(MiB, 11);
    async function* source(mib: number): AsyncGenerator<Buffer> {
      for (let i = 0; i < mib; i++) yield chunk;
    }
    // Each package leaves a 64 KiB cipher output behind in the worker. Left to V8 they pile up until
    // ~64 MiB of them force a collection, and the process keeps that memory after it is freed. The
    // worker's memory is read after every batch, so the highest pile between its collections shows.
    let midway = 0;
    for await (const c of dareEncryptOffThread(source(40), KEY)) {
      releaseDareBatch(c);
      for (const m of await dareWorkerMemory()) midway = Math.max(midway, m.arrayBuffers);
    }
    // The stream's close reaches the worker after the last batch: ask until it has (a loaded machine
    // may take a while), at most 2 s.
    let idle = (await dareWorkerMemory()).map((m) => m.arrayBuffers);
    for (let i = 0; i < 40 && idle.some((b) => b >= 4 * MiB); i++) {
      await new Promise((r) => setTimeout(r, 50));
      idle = (await dareWorkerMemory()).map((m) => m.arrayBuffers);
    }
    // Sealing: at most 4 MiB of spent outputs, plus the batches the worker holds (4 × 1 MiB).
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(12 * MiB);
    for (const b of idle) expect(b).toBeLessThan(4 * MiB);
  });
});
