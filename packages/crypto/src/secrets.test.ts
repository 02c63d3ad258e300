import { describe, expect, it } from 'vitest';
import { constantTimeEqual, zeroize } from './secrets.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('constantTimeEqual', () => {
  it.each([
    ['equal bytes', bytes(1, 2, 3), bytes(1, 2, 3), true],
    ['last byte differs', bytes(1, 2, 3), bytes(1, 2, 4), false],
    ['first byte differs', bytes(0, 2, 3), bytes(1, 2, 3), false],
    ['shorter left', bytes(1, 2), bytes(1, 2, 3), false],
    ['shorter right', bytes(1, 2, 3), bytes(1, 2), false],
    ['both empty', bytes(), bytes(), true],
    ['empty vs non-empty', bytes(), bytes(0), false],
    ['equal strings', 'hvs.abc', 'hvs.abc', true],
    ['different strings', 'hvs.abc', 'hvs.abd', false],
    ['string vs its bytes', 'é', bytes(0xc3, 0xa9), true],
    ['strings of different length', 'a', 'aa', false],
    ['Buffer vs Uint8Array', Buffer.from([9, 9]), bytes(9, 9), true],
  ] as const)('%s', (_name, a, b, want) => {
    expect(constantTimeEqual(a, b)).toBe(want);
    expect(constantTimeEqual(b, a)).toBe(want);
  });

  it('compares only the window of a view', () => {
    const backing = bytes(7, 1, 2, 3, 7);
    expect(constantTimeEqual(backing.subarray(1, 4), bytes(1, 2, 3))).toBe(true);
  });
});

describe('zeroize', () => {
  it.each([
    ['one buffer', [Buffer.from('secret')]],
    ['several buffers', [bytes(1, 2), bytes(3), Buffer.alloc(0)]],
    ['with null and undefined', [bytes(5, 6), undefined, null, bytes(7)]],
    ['nothing', []],
  ] as const)('%s', (_name, bufs) => {
    zeroize(...bufs);
    for (const b of bufs) if (b) expect(b.every((x) => x === 0)).toBe(true);
  });

  it('zeroes only the view it is given', () => {
    const backing = bytes(1, 2, 3, 4);
    zeroize(backing.subarray(1, 3));
    expect([...backing]).toEqual([1, 0, 0, 4]);
  });
});
