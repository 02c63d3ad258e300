import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codeAndMessage } from '../test/crypto-error.js';
import { gf256Inverse, gf256Mul, shamirCombine, shamirSplit } from './shamir.js';

/** Every k-element subset of [0, n). */
function* subsets(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield prefix;
    return;
  }
  for (let i = start; i <= n - (k - prefix.length); i++) yield* subsets(n, k, i + 1, [...prefix, i]);
}

/** A random k-subset of [0, n) (partial Fisher–Yates with Math.random: test sampling only). */
function sample(n: number, k: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k);
}

describe('GF(2^8) arithmetic', () => {
  // Reference: the textbook log/exp tables Vault originally used, built here from generator 0xE5
  // with a naive carry-less multiply reduced by 0x11B.
  const naiveMul = (a: number, b: number) => {
    let p = 0;
    for (let i = 0; i < 8; i++) if ((b >> i) & 1) p ^= a << i;
    for (let bit = 14; bit >= 8; bit--) if ((p >> bit) & 1) p ^= 0x11b << (bit - 8);
    return p;
  };
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, v = 1; i < 255; i++, v = naiveMul(v, 0xe5)) {
    exp[i] = v;
    log[v] = i;
  }
  const tableMul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!);

  it.each([
    // Vault's shamir_test.go: mult(3,7)=9, mult(3,0)=0, mult(0,3)=0.
    [3, 7, 9],
    [3, 0, 0],
    [0, 3, 0],
    // FIPS-197 §4.2: {57}•{83} = {c1}; §4.2.1: {57}•{13} = {fe}.
    [0x57, 0x83, 0xc1],
    [0x57, 0x13, 0xfe],
    [1, 0xff, 0xff],
  ])('%i × %i = %i', (a, b, want) => {
    expect(gf256Mul(a, b)).toBe(want);
    expect(gf256Mul(b, a)).toBe(want);
  });

  it('generator 0xE5 has order 255 (the table reference is sound)', () => {
    expect(new Set(exp.subarray(0, 255)).size).toBe(255);
  });

  it('multiplication agrees with the log/exp tables for all 65 536 pairs', () => {
    const mismatches: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) if (gf256Mul(a, b) !== tableMul(a, b)) mismatches.push(`${a}×${b}`);
    }
    expect(mismatches).toEqual([]);
  });

  it.each([
    [1, 1],
    [0x53, 0xca], // FIPS-197 §4.2 example inverse
    [0, 0],
  ])('inverse(%i) = %i', (a, want) => {
    expect(gf256Inverse(a)).toBe(want);
  });

  it('a × inverse(a) = 1 for every non-zero a; Vault div(6,3)=2, div(3,3)=1', () => {
    for (let a = 1; a < 256; a++) expect(gf256Mul(a, gf256Inverse(a))).toBe(1);
    expect(gf256Mul(6, gf256Inverse(3))).toBe(2);
    expect(gf256Mul(3, gf256Inverse(3))).toBe(1);
  });
});

describe('shamirCombine: fixed vectors in Vault layout (y bytes, then x tag)', () => {
  // f(x) = s + a1·x by hand for one byte: s = 0x01, a1 = 0x02 → f(1) = 0x03, f(2) = 0x01 ^ (2·2) = 0x05.
  it.each<[string, number[][], number[]]>([
    [
      'degree 1, one byte',
      [
        [0x03, 0x01],
        [0x05, 0x02],
      ],
      [0x01],
    ],
    [
      'same shares, reversed order',
      [
        [0x05, 0x02],
        [0x03, 0x01],
      ],
      [0x01],
    ],
    // f(x) = 0x2a + 0x10·x + 0x07·x², evaluated at x = 1, 7, 200 with the reference multiply.
    [
      'degree 2, one byte',
      [
        [0x3d, 0x01],
        [0x31, 0x07],
        [0x52, 0xc8],
      ],
      [0x2a],
    ],
  ])('%s', (_name, shares, want) => {
    expect([...shamirCombine(shares.map((s) => Uint8Array.from(s)))]).toEqual(want);
  });

  it('the degree-2 vector is what the polynomial gives', () => {
    const f = (x: number) => 0x2a ^ gf256Mul(0x10, x) ^ gf256Mul(0x07, gf256Mul(x, x));
    expect([f(1), f(7), f(200)]).toEqual([0x3d, 0x31, 0x52]);
  });

  it('a Vault-sized share (spec example) is 33 bytes: 32 y bytes + tag', () => {
    const share = Buffer.from('eyW/+8ZtsgT81Cb0e8OVxzJAQP5lY7Dcamnze+JnWEDT', 'base64');
    expect(share.length).toBe(33);
  });
});

describe('shamirSplit / shamirCombine properties', () => {
  it('a 32-byte secret gives 33-byte shares with distinct non-zero tags', () => {
    const secret = randomBytes(32);
    const shares = shamirSplit(secret, 5, 3);
    expect(shares).toHaveLength(5);
    for (const s of shares) expect(s.length).toBe(33);
    const tags = shares.map((s) => s[32]!);
    expect(new Set(tags).size).toBe(5);
    for (const t of tags) expect(t).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [2, 2],
    [3, 2],
    [5, 3],
    [6, 4],
    [7, 7],
    [8, 5],
  ])('every %i-choose-t subset recombines (n=%i, t=%i, exhaustive)', (n, t) => {
    const secret = randomBytes(32);
    const shares = shamirSplit(secret, n, t);
    for (let k = t; k <= n; k++) {
      for (const pick of subsets(n, k)) expect(shamirCombine(pick.map((i) => shares[i]!))).toEqual(secret);
    }
  });

  it.each([
    [20, 10],
    [255, 2],
    [255, 128],
    [255, 255],
  ])('sampled t-subsets and larger ones recombine (n=%i, t=%i)', (n, t) => {
    const secret = randomBytes(16);
    const shares = shamirSplit(secret, n, t);
    for (let trial = 0; trial < 10; trial++) {
      const k = t + Math.floor(Math.random() * (n - t + 1));
      expect(shamirCombine(sample(n, k).map((i) => shares[i]!))).toEqual(secret);
    }
  });

  it('uses tags spread over 1…255, not just 1…n', () => {
    const tags = new Set<number>();
    for (let i = 0; i < 50; i++) for (const s of shamirSplit(Buffer.from([1]), 3, 2)) tags.add(s[1]!);
    expect(Math.max(...tags)).toBeGreaterThan(3);
  });

  it.each([
    [3, 3],
    [5, 3],
    [6, 5],
  ])('t−1 shares are not biased toward the secret (n=%i, t=%i)', (n, t) => {
    // With t−1 shares the interpolation at 0 equals the secret byte plus a uniformly random term,
    // so over many trials each byte value 0…255 should come out about equally often, and the
    // secret's value no more often than any other. Bounds are ~6σ: a correct implementation
    // fails with negligible probability; a leaking one (e.g. tags 0, or degree t−2) fails always.
    const trials = 2000;
    const secret = Buffer.alloc(32, 0x42);
    const counts = new Uint32Array(256);
    for (let trial = 0; trial < trials; trial++) {
      const shares = shamirSplit(secret, n, t);
      const guess = shamirCombine(sample(n, t - 1).map((i) => shares[i]!));
      for (const b of guess) counts[b]!++;
    }
    const samples = trials * 32;
    const expected = samples / 256;
    const hits = counts[0x42]!;
    expect(hits).toBeLessThan(expected + 6 * Math.sqrt(expected));
    const chiSquare = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(255 + 6 * Math.sqrt(2 * 255));
  });

  it('a single share (t=2) reveals nothing: its y bytes are uniform whatever the secret', () => {
    const counts = new Uint32Array(256);
    for (let i = 0; i < 2000; i++)
      for (const b of shamirSplit(Buffer.alloc(32), 2, 2)[0]!.subarray(0, 32)) counts[b]!++;
    const expected = (2000 * 32) / 256;
    expect(counts[0]!).toBeLessThan(expected + 6 * Math.sqrt(expected));
  });
});

describe('Vault errors', () => {
  const secret = Buffer.from('test');
  // Vault's shamir_test.go TestSplit_invalid cases, then the other checks; messages are Vault's.
  it.each<[string, () => unknown, string, string]>([
    ['Split(0, 0)', () => shamirSplit(secret, 0, 0), 'shamir/invalid-split', 'threshold must be at least 2'],
    [
      'Split(2, 3)',
      () => shamirSplit(secret, 2, 3),
      'shamir/invalid-split',
      'parts cannot be less than threshold',
    ],
    ['Split(1000, 3)', () => shamirSplit(secret, 1000, 3), 'shamir/invalid-split', 'parts cannot exceed 255'],
    [
      'Split(10, 1)',
      () => shamirSplit(secret, 10, 1),
      'shamir/invalid-split',
      'threshold must be at least 2',
    ],
    [
      'Split(nil, 3, 2)',
      () => shamirSplit(Buffer.alloc(0), 3, 2),
      'shamir/invalid-split',
      'cannot split an empty secret',
    ],
    [
      'Split(256, 256)',
      () => shamirSplit(secret, 256, 256),
      'shamir/invalid-split',
      'parts cannot exceed 255',
    ],
    [
      'Split(5, 2.5)',
      () => shamirSplit(secret, 5, 2.5),
      'shamir/invalid-split',
      'parts and threshold must be integers',
    ],
    [
      'Combine(nil)',
      () => shamirCombine([]),
      'shamir/invalid-parts',
      'less than two parts cannot be used to reconstruct the secret',
    ],
    [
      'Combine(one part)',
      () => shamirCombine([Buffer.from('foo')]),
      'shamir/invalid-parts',
      'less than two parts cannot be used to reconstruct the secret',
    ],
    [
      'Combine(foo, ba)',
      () => shamirCombine([Buffer.from('foo'), Buffer.from('ba')]),
      'shamir/invalid-parts',
      'all parts must be the same length',
    ],
    [
      'Combine(f, b)',
      () => shamirCombine([Buffer.from('f'), Buffer.from('b')]),
      'shamir/invalid-parts',
      'parts must be at least two bytes',
    ],
    [
      'Combine(foo, foo)',
      () => shamirCombine([Buffer.from('foo'), Buffer.from('foo')]),
      'shamir/duplicate-part',
      'duplicate part detected',
    ],
    [
      'Combine(same tag, other bytes)',
      () => shamirCombine([Buffer.from([1, 2, 9]), Buffer.from([3, 4, 9]), Buffer.from([5, 6, 7])]),
      'shamir/duplicate-part',
      'duplicate part detected',
    ],
  ])('%s', (_name, fn, code, message) => {
    expect(codeAndMessage(fn)).toEqual([code, message]);
  });

  it('rejects a share passed twice among real shares', () => {
    const shares = shamirSplit(randomBytes(32), 5, 3);
    expect(codeAndMessage(() => shamirCombine([shares[0]!, shares[1]!, shares[0]!]))[0]).toBe(
      'shamir/duplicate-part',
    );
  });
});
