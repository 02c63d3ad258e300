import { describe, expect, it } from 'vitest';
import { assertSameBytes, bytes, chunkRandomly, run } from '../test/dare-helpers.js';
import { dareEncryptedSize, dareSeal } from './dare.js';
import { createDareRangeDecryptStream, type DarePartSizes, planDareRange } from './dare-range.js';
import { CryptoError } from './errors.js';
import { multipartPartNonce, partKey } from './object-key.js';

const KEY = bytes(32, 99);

describe('planDareRange', () => {
  it('reproduces the spec worked example (200 000 bytes, Range: bytes=70000-140000)', () => {
    const plan = planDareRange({ plaintext: [200_000] }, 70_000, 140_000 - 70_000 + 1);
    expect(dareEncryptedSize(200_000)).toBe(200_128);
    expect(plan.encryptedOffset).toBe(65_568);
    expect(plan.encryptedOffset + plan.encryptedLength - 1).toBe(196_703);
    expect(plan.encryptedLength).toBe(131_136);
    expect(plan.startSequence).toBe(1);
    expect(plan.skip).toBe(4_464);
    expect(plan.length).toBe(70_001);
    expect(plan.firstPart).toBe(0);
    expect(plan.lastPart).toBe(0);
    expect(plan.parts).toEqual([
      {
        index: 0,
        offsetInPart: 65_568,
        encryptedOffset: 65_568,
        encryptedLength: 131_136,
        sequence: 1,
        readsToPartEnd: false,
      },
    ]);
  });

  it('caps the last package at the end of the part', () => {
    const plan = planDareRange({ plaintext: [200_000] }, 199_999, 1);
    expect(plan.encryptedOffset).toBe(3 * 65_568);
    expect(plan.encryptedLength).toBe(200_128 - 3 * 65_568);
    expect(plan.parts[0]!.readsToPartEnd).toBe(true);
  });

  it('plans across parts and skips empty parts', () => {
    const sizes = [100_000, 0, 65_536, 1, 150_000];
    const plan = planDareRange({ plaintext: sizes }, 99_999, 65_536 + 3);
    expect(plan.firstPart).toBe(0);
    expect(plan.lastPart).toBe(4);
    expect(plan.parts.map((p) => p.index)).toEqual([0, 2, 3, 4]);
    expect(plan.parts.map((p) => p.sequence)).toEqual([1, 0, 0, 0]);
    expect(plan.parts.map((p) => p.readsToPartEnd)).toEqual([true, true, true, false]);
    expect(plan.skip).toBe(99_999 - 65_536);
    const enc = sizes.map(dareEncryptedSize);
    expect(plan.parts[3]!.encryptedOffset).toBe(enc[0]! + enc[1]! + enc[2]! + enc[3]!);
    expect(plan.parts[3]!.encryptedLength).toBe(65_568);
    expect(plan.encryptedOffset + plan.encryptedLength).toBe(plan.parts[3]!.encryptedOffset + 65_568);
    expect(planDareRange({ encrypted: enc }, 99_999, 65_539)).toEqual(plan);
  });

  it.each([
    [0, 0],
    [-1, 5],
    [0, 200_001],
    [200_000, 1],
    [1.5, 2],
  ])('rejects offset %d length %d', (offset, length) => {
    expect(() => planDareRange({ plaintext: [200_000] }, offset, length)).toThrow(CryptoError);
    try {
      planDareRange({ plaintext: [200_000] }, offset, length);
    } catch (err) {
      expect((err as CryptoError).code).toBe('dare/invalid-range');
    }
  });

  it('rejects impossible encrypted part sizes', () => {
    expect(() => planDareRange({ encrypted: [65_568 + 5] }, 0, 1)).toThrow(
      expect.objectContaining({ code: 'dare/invalid-size' }),
    );
  });
});

/** Encrypt `data` as one part per size (multipart: part key and nonce from the part number = index + 1). */
function encryptParts(data: Buffer, sizes: number[]): { ciphertext: Buffer; keyOf: (i: number) => Buffer } {
  const keyOf = (i: number) => (sizes.length === 1 ? KEY : partKey(KEY, i + 1));
  const parts: Buffer[] = [];
  let off = 0;
  for (const [i, size] of sizes.entries()) {
    const nonce = sizes.length === 1 ? undefined : multipartPartNonce('upload-id', i + 1);
    parts.push(dareSeal(keyOf(i), data.subarray(off, off + size), { nonce }));
    off += size;
  }
  return { ciphertext: Buffer.concat(parts), keyOf };
}

async function readRange(
  sizes: DarePartSizes,
  ciphertext: Buffer,
  keyOf: (i: number) => Buffer,
  offset: number,
  length: number,
  seed = 1,
) {
  const plan = planDareRange(sizes, offset, length);
  const slice = ciphertext.subarray(plan.encryptedOffset, plan.encryptedOffset + plan.encryptedLength);
  return run(createDareRangeDecryptStream(keyOf, plan), chunkRandomly(slice, seed + offset));
}

describe('ranged decryption, single part', () => {
  const size = 200_000;
  const data = bytes(size, 5);
  const { ciphertext, keyOf } = encryptParts(data, [size]);
  const ranges: Array<[number, number]> = [
    [0, 1],
    [0, size],
    [size - 1, 1],
    [70_000, 70_001],
    [65_535, 2],
    [65_536, 65_536],
    [65_536, 1],
    [131_071, 68_929],
    [12_345, 100_000],
    [196_608, 3_392],
    [196_607, 2],
    [1, size - 2],
  ];
  it.each(ranges)('offset %i, length %i', async (offset, length) => {
    const out = await readRange({ plaintext: [size] }, ciphertext, keyOf, offset, length);
    assertSameBytes(out, data.subarray(offset, offset + length));
  });

  it('accepts a single key instead of a key function', async () => {
    const plan = planDareRange({ plaintext: [size] }, 100, 1000);
    const slice = ciphertext.subarray(plan.encryptedOffset, plan.encryptedOffset + plan.encryptedLength);
    assertSameBytes(await run(createDareRangeDecryptStream(KEY, plan), [slice]), data.subarray(100, 1100));
  });

  it('detects tampering, short input and extra input', async () => {
    const plan = planDareRange({ plaintext: [size] }, 70_000, 70_001);
    const slice = Buffer.from(
      ciphertext.subarray(plan.encryptedOffset, plan.encryptedOffset + plan.encryptedLength),
    );
    await expect(
      run(createDareRangeDecryptStream(KEY, plan), [slice.subarray(0, 70_000)]),
    ).rejects.toMatchObject({
      code: 'dare/truncated',
    });
    await expect(
      run(createDareRangeDecryptStream(KEY, plan), [slice, Buffer.alloc(1)]),
    ).rejects.toMatchObject({
      code: 'dare/trailing-data',
    });
    slice[70_000]! ^= 4;
    await expect(run(createDareRangeDecryptStream(KEY, plan), [slice])).rejects.toMatchObject({
      code: 'dare/authentication-failed',
    });
    // ciphertext from the wrong offset: authentic packages, wrong sequence numbers
    const shifted = ciphertext.subarray(0, plan.encryptedLength);
    await expect(run(createDareRangeDecryptStream(KEY, plan), [shifted])).rejects.toMatchObject({
      code: 'dare/out-of-order',
    });
  });
});

describe('ranged decryption, multipart', () => {
  const sizes = [150_000, 65_536, 1, 0, 131_072, 70_000];
  const total = sizes.reduce((a, b) => a + b, 0);
  const data = bytes(total, 6);
  const { ciphertext, keyOf } = encryptParts(data, sizes);
  // random ranges (deterministic) plus every part boundary
  const ranges: Array<[number, number]> = [[0, total]];
  let boundary = 0;
  for (const s of sizes) {
    if (boundary > 0) ranges.push([boundary - 1, 2]);
    boundary += s;
  }
  let x = 12_345;
  for (let i = 0; i < 20; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    const offset = x % total;
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    ranges.push([offset, 1 + (x % (total - offset))]);
  }
  it.each(ranges)('offset %i, length %i', async (offset, length) => {
    const out = await readRange({ plaintext: sizes }, ciphertext, keyOf, offset, length, 3);
    assertSameBytes(out, data.subarray(offset, offset + length));
  });

  it('fails with the wrong part key', async () => {
    const plan = planDareRange({ plaintext: sizes }, 149_000, 70_000);
    const slice = ciphertext.subarray(plan.encryptedOffset, plan.encryptedOffset + plan.encryptedLength);
    const wrong = (i: number) => partKey(KEY, i + 2);
    const p = run(createDareRangeDecryptStream(wrong, plan), [slice]);
    await expect(p).rejects.toBeInstanceOf(CryptoError);
    await expect(p).rejects.toMatchObject({ code: 'dare/authentication-failed' });
  });
});
