import { describe, expect, it } from 'vitest';
import { secureRandomBytes } from './random.js';

describe('secureRandomBytes', () => {
  it.each([0, 1, 12, 32, 256, 257, 5000])('returns a fresh buffer of %i bytes', (n) => {
    const b = secureRandomBytes(n);
    expect(b.length).toBe(n);
    expect(b.buffer.byteLength === 0 || b.byteOffset + b.length <= b.buffer.byteLength).toBe(true);
  });

  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 3000 × 32 bytes spans about 24 refills of the 4 KiB pool.
    for (let i = 0; i < 3000; i++) {
      const hex = secureRandomBytes(32).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  });

  it('gives independent buffers: changing one draw changes no other', () => {
    const a = secureRandomBytes(32);
    const b = secureRandomBytes(32);
    const before = Buffer.from(b);
    a.fill(0);
    expect(b.equals(before)).toBe(true);
  });

  it('looks uniform: every byte value appears in 256 KiB of draws, none far off its mean', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 8192; i++) for (const v of secureRandomBytes(32)) counts[v]!++;
    const mean = (8192 * 32) / 256;
    // 1024 expected per value, σ ≈ 32: 8σ bounds make a false failure astronomically unlikely.
    for (const c of counts) expect(Math.abs(c - mean)).toBeLessThan(8 * 32);
  });

  it.each([-1, 1.5, Number.NaN])('refuses %s', (n) => {
    expect(() => secureRandomBytes(n)).toThrow(RangeError);
  });
});
