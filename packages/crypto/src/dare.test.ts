import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertSameBytes,
  bytes,
  chunkRandomly,
  packagesOf,
  run,
  sealV10Package,
} from '../test/dare-helpers.js';
import {
  createDareDecryptStream,
  createDareEncryptStream,
  type DareCipher,
  dareDecryptedSize,
  dareEncryptedSize,
  dareOpen,
  dareSeal,
} from './dare.js';
import { DareDecoder, DareEncoder } from './dare-core.js';
import { CryptoError } from './errors.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const NONCE = Buffer.from('000102030405060708090a0b', 'hex');
const CIPHERS: DareCipher[] = ['aes-256-gcm', 'chacha20-poly1305'];
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, '../testdata/sio-golden-digests.json'), 'utf8'),
) as { v20: GoldenSet; v10: GoldenSet };
interface GoldenSet {
  count: number;
  all: string;
  packages: string[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** sio's golden v2.0 package i: one final package of i+1 zero bytes at sequence i, cipher i mod 2. */
function goldenV20(i: number): Buffer {
  const enc = new DareEncoder(KEY, {
    cipher: CIPHERS[i % 2],
    nonce: NONCE,
    sequence: i,
    randomNonce: () => Buffer.alloc(12),
  });
  const out: Buffer[] = [];
  enc.write(Buffer.alloc(i + 1), out);
  enc.end(out);
  return Buffer.concat(out);
}

function goldenV10(i: number): Buffer {
  return sealV10Package(
    KEY,
    (i % 2) as 0 | 1,
    i,
    Buffer.from('0001020304050607', 'hex'),
    Buffer.alloc(i + 1),
  );
}

/** Expect `fn` (sync) to throw a CryptoError with `code`. */
function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe(code);
    return;
  }
  expect.fail(`expected CryptoError ${code}`);
}

async function expectStreamCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(CryptoError);
  await expect(p).rejects.toMatchObject({ code });
}

async function encrypt(plaintext: Buffer, cipher: DareCipher = 'aes-256-gcm', seed = 7): Promise<Buffer> {
  return run(createDareEncryptStream(KEY, { cipher }), chunkRandomly(plaintext, seed));
}

describe('sio golden vectors', () => {
  it('reproduces the spec example for i = 0', () => {
    expect(goldenV20(0).toString('hex')).toBe(
      '20000000800102030405060708090a0b29c5f2b6d44cf237128fb2917fd04d2d1f',
    );
  });

  it.each(Array.from({ length: golden.v20.count }, (_, i) => i))('v2.0 package %i matches sio', (i) => {
    const pkg = goldenV20(i);
    expect(pkg.length).toBe(i + 1 + 32);
    expect(sha256(pkg).slice(0, 16)).toBe(golden.v20.packages[i]);
    assertSameBytes(dareOpen(KEY, pkg, { sequence: i }), Buffer.alloc(i + 1));
  });

  it('v2.0: all packages together match sio', () => {
    const all = Buffer.concat(Array.from({ length: golden.v20.count }, (_, i) => goldenV20(i)));
    expect(sha256(all)).toBe(golden.v20.all);
  });

  it.each(Array.from({ length: golden.v10.count }, (_, i) => i))(
    'v1.0 package %i matches sio and opens',
    (i) => {
      const pkg = goldenV10(i);
      expect(sha256(pkg).slice(0, 16)).toBe(golden.v10.packages[i]);
      assertSameBytes(dareOpen(KEY, pkg, { sequence: i }), Buffer.alloc(i + 1));
    },
  );

  it('v1.0: all packages together match sio', () => {
    const all = Buffer.concat(Array.from({ length: golden.v10.count }, (_, i) => goldenV10(i)));
    expect(sha256(all)).toBe(golden.v10.all);
  });

  // The categories of sio's invalidTestsV20, applied to golden packages.
  const invalid: Array<[string, (p: Buffer) => void, number, string]> = [
    ['version 0x10 under v2-only', (p) => (p[0] = 0x10), 0, 'dare/unsupported-version'],
    ['version 0x21', (p) => (p[0] = 0x21), 1, 'dare/unsupported-version'],
    ['cipher 0x02', (p) => (p[1] = 0x02), 2, 'dare/unsupported-cipher'],
    ['cipher 0x10', (p) => (p[1] = 0x10), 3, 'dare/unsupported-cipher'],
    ['length too large', (p) => (p[2] = 0x05), 4, 'dare/truncated'],
    ['length too small', (p) => (p[2] = 0x01), 5, 'dare/authentication-failed'],
    ['length high byte', (p) => (p[3] = 0x01), 6, 'dare/truncated'],
    ['final flag cleared', (p) => (p[4] = 0x00), 8, 'dare/invalid-payload-size'],
    ['random value, first byte', (p) => (p[4] = 0x81), 9, 'dare/authentication-failed'],
    ['random value, middle byte', (p) => (p[10] = 0x08), 10, 'dare/authentication-failed'],
    ['random value, last byte', (p) => (p[15] = 0x0c), 11, 'dare/authentication-failed'],
    ['ciphertext', (p) => (p[17]! ^= 0x01), 12, 'dare/authentication-failed'],
    ['tag', (p) => (p[p.length - 1]! ^= 0x80), 15, 'dare/authentication-failed'],
  ];
  it.each(invalid)('rejects a golden package with a bad %s', (_name, mutate, i, code) => {
    const pkg = Buffer.from(goldenV20(i));
    mutate(pkg);
    expectCode(() => dareOpen(KEY, pkg, { sequence: i, allowVersion1: false }), code);
  });
});

describe('stream layout', () => {
  it('empty plaintext gives empty ciphertext and back', async () => {
    expect(await run(createDareEncryptStream(KEY), [])).toHaveLength(0);
    expect(await run(createDareDecryptStream(KEY), [])).toHaveLength(0);
    expect(dareSeal(KEY, Buffer.alloc(0))).toHaveLength(0);
  });

  it('an exact multiple of 64 KiB ends with a full final package', async () => {
    const ct = await encrypt(bytes(3 * 65_536));
    const pkgs = packagesOf(ct);
    expect(pkgs.map((p) => p.length)).toEqual([65_568, 65_568, 65_568]);
    expect(pkgs.map((p) => p[4]! >> 7)).toEqual([0, 0, 1]);
  });

  it('one byte past 64 KiB makes a 1-byte final package', async () => {
    const pkgs = packagesOf(await encrypt(bytes(65_537)));
    expect(pkgs.map((p) => p.length)).toEqual([65_568, 33]);
    expect(pkgs[1]!.readUInt16LE(2)).toBe(0);
  });

  it('every header carries the stream nonce and cipher; only the last has the final flag', async () => {
    const nonce = Buffer.from('ffeeddccbbaa998877665544', 'hex');
    const ct = await run(createDareEncryptStream(KEY, { nonce, cipher: 'chacha20-poly1305' }), [
      bytes(200_000),
    ]);
    const pkgs = packagesOf(ct);
    for (const [i, p] of pkgs.entries()) {
      expect(p[0]).toBe(0x20);
      expect(p[1]).toBe(0x01);
      expect(p[4]).toBe(i === pkgs.length - 1 ? 0xff : 0x7f);
      expect(p.subarray(5, 16)).toEqual(nonce.subarray(1));
    }
  });

  it('is deterministic for a given nonce, whatever the chunking', async () => {
    const data = bytes(150_000, 3);
    const a = await run(createDareEncryptStream(KEY, { nonce: NONCE }), chunkRandomly(data, 1, 10));
    const b = await run(createDareEncryptStream(KEY, { nonce: NONCE }), chunkRandomly(data, 2, 200_000));
    assertSameBytes(a, b);
    assertSameBytes(a, dareSeal(KEY, data, { nonce: NONCE }));
  });

  // dareSeal seals a value of one package without the encoder's staging buffer: same bytes as the stream.
  it.each([1, 16, 32, 4096, 16_383, 16_384, 65_535, 65_536, 65_537])(
    'dareSeal of %i bytes equals the stream with the same nonce and opens again',
    async (size) => {
      const data = bytes(size, 7);
      const streamed = await run(createDareEncryptStream(KEY, { nonce: NONCE }), [data]);
      const sealed = dareSeal(KEY, data, { nonce: NONCE });
      assertSameBytes(streamed, sealed);
      expect(dareOpen(KEY, sealed).equals(data)).toBe(true);
    },
  );

  it('dareSeal of a 32-byte key is 64 bytes, of a 16-byte ETag 48 bytes', () => {
    expect(dareSeal(KEY, bytes(32))).toHaveLength(64);
    const etag = dareSeal(KEY, bytes(16));
    expect(etag).toHaveLength(48);
    expect(etag.subarray(0, 4).toString('hex')).toBe('20000f00');
    expect(dareSeal(KEY, bytes(16), { cipher: 'chacha20-poly1305' }).subarray(0, 4).toString('hex')).toBe(
      '20010f00',
    );
  });

  it('rejects bad keys, nonces and options synchronously', () => {
    expectCode(() => createDareEncryptStream(Buffer.alloc(16)), 'dare/invalid-key');
    expectCode(() => createDareDecryptStream(Buffer.alloc(33)), 'dare/invalid-key');
    expectCode(() => createDareEncryptStream(KEY, { nonce: Buffer.alloc(8) }), 'dare/invalid-nonce');
    expectCode(
      () => createDareEncryptStream(KEY, { cipher: 'aes-128-gcm' as DareCipher }),
      'dare/invalid-option',
    );
    expectCode(() => createDareDecryptStream(KEY, { sequence: -1 }), 'dare/invalid-option');
    expectCode(() => createDareDecryptStream(KEY, { sequence: 2 ** 32 }), 'dare/invalid-option');
  });
});

describe('round trips', () => {
  const sizes = [0, 1, 15, 16, 17, 65_535, 65_536, 65_537, 131_072, 3 * 65_536, 3 * 65_536 + 77];
  const cases = CIPHERS.flatMap((cipher) => sizes.map((size) => [cipher, size] as const));
  it.each(cases)('%s, %i bytes, random chunking both ways', async (cipher, size) => {
    const data = bytes(size, size + 1);
    const ct = await run(createDareEncryptStream(KEY, { cipher }), chunkRandomly(data, size + 2));
    expect(ct.length).toBe(dareEncryptedSize(size));
    expect(dareDecryptedSize(ct.length)).toBe(size);
    const pt = await run(createDareDecryptStream(KEY), chunkRandomly(ct, size + 3));
    assertSameBytes(pt, data);
    assertSameBytes(dareOpen(KEY, ct), data);
  });

  it('survives 1-byte chunks', async () => {
    const data = bytes(70_000, 9);
    const ct = await run(createDareEncryptStream(KEY), chunkRandomly(data, 5, 1));
    assertSameBytes(await run(createDareDecryptStream(KEY), chunkRandomly(ct, 6, 1)), data);
  });

  it('decrypts from a later package with a starting sequence number', async () => {
    const data = bytes(4 * 65_536 + 5, 11);
    const ct = await encrypt(data);
    const tail = ct.subarray(2 * 65_568);
    assertSameBytes(
      await run(createDareDecryptStream(KEY, { sequence: 2 }), [tail]),
      data.subarray(2 * 65_536),
    );
    await expectStreamCode(run(createDareDecryptStream(KEY, { sequence: 1 }), [tail]), 'dare/out-of-order');
  });

  it('can stop before the final package when asked not to require it', () => {
    const data = bytes(3 * 65_536, 12);
    const ct = dareSeal(KEY, data);
    const head = ct.subarray(0, 2 * 65_568);
    expectCode(() => dareOpen(KEY, head), 'dare/truncated');
    assertSameBytes(dareOpen(KEY, head, { requireFinal: false }), data.subarray(0, 2 * 65_536));
  });

  it('reads DARE 1.0 streams and rejects them when 1.0 is not allowed', async () => {
    const data = bytes(3 * 65_536 + 100, 13);
    const random = bytes(8, 14);
    const pkgs: Buffer[] = [];
    for (let seq = 0, off = 0; off < data.length; seq++, off += 65_536) {
      pkgs.push(sealV10Package(KEY, (seq % 2) as 0 | 1, seq, random, data.subarray(off, off + 65_536)));
    }
    const ct = Buffer.concat(pkgs);
    assertSameBytes(await run(createDareDecryptStream(KEY), chunkRandomly(ct, 15)), data);
    await expectStreamCode(
      run(createDareDecryptStream(KEY, { allowVersion1: false }), [ct]),
      'dare/unsupported-version',
    );
    // DARE 1.0 has no final flag: a cut at a package boundary goes unnoticed (a format limitation).
    assertSameBytes(dareOpen(KEY, ct.subarray(0, 65_568)), data.subarray(0, 65_536));
    expectCode(() => dareOpen(KEY, ct.subarray(0, 65_568 + 10)), 'dare/truncated');
    expectCode(() => dareOpen(KEY, Buffer.concat([pkgs[1]!, pkgs[0]!])), 'dare/out-of-order');
  });
});

describe('attacks and damage', () => {
  const data = bytes(3 * 65_536 + 1000, 21);
  const ctPromise = encrypt(data);

  it('wrong key fails authentication', async () => {
    const ct = await ctPromise;
    const other = Buffer.from(KEY);
    other[0]! ^= 1;
    await expectStreamCode(run(createDareDecryptStream(other), [ct]), 'dare/authentication-failed');
  });

  // Every header byte and the first/last bytes of payload and tag of every package, plus random positions.
  const positions: number[] = [];
  for (let p = 0; p < 4; p++) {
    const base = p * 65_568;
    for (let i = 0; i < 16; i++) positions.push(base + i);
    const len = p < 3 ? 65_536 : 1000;
    positions.push(base + 16, base + 16 + len - 1, base + 16 + len, base + 16 + len + 15);
  }
  for (let i = 0; i < 24; i++) positions.push(Math.floor((i * 8_191 * 97) % (3 * 65_568 + 1032)));
  it.each(positions)('flipping a bit at byte %i is detected', async (pos) => {
    const ct = Buffer.from(await ctPromise);
    ct[pos]! ^= 1 << (pos % 8);
    const p = run(createDareDecryptStream(KEY), chunkRandomly(ct, pos));
    await expect(p).rejects.toBeInstanceOf(CryptoError);
  });

  it.each([1, 15, 16, 100, 65_567, 65_568, 65_569, 2 * 65_568, 3 * 65_568, 3 * 65_568 + 1031])(
    'truncation to %i bytes is detected',
    async (cut) => {
      const ct = await ctPromise;
      await expectStreamCode(run(createDareDecryptStream(KEY), [ct.subarray(0, cut)]), 'dare/truncated');
    },
  );

  it('detects reordered, duplicated and dropped packages', async () => {
    const [p0, p1, p2, p3] = packagesOf(await ctPromise) as [Buffer, Buffer, Buffer, Buffer];
    const arrangements = [
      [p1, p0, p2, p3],
      [p0, p2, p1, p3],
      [p0, p0, p1, p2, p3],
      [p0, p2, p3],
      [p0, p1, p3, p2],
    ];
    for (const pkgs of arrangements) {
      await expectStreamCode(run(createDareDecryptStream(KEY), [Buffer.concat(pkgs)]), 'dare/out-of-order');
    }
    await expectStreamCode(
      run(createDareDecryptStream(KEY), [Buffer.concat([p0, p1, p2])]),
      'dare/truncated',
    );
  });

  it('detects bytes after the final package', async () => {
    const ct = await ctPromise;
    const [p0] = packagesOf(ct) as [Buffer];
    await expectStreamCode(
      run(createDareDecryptStream(KEY), [ct, Buffer.from([0x20])]),
      'dare/trailing-data',
    );
    await expectStreamCode(
      run(createDareDecryptStream(KEY), [Buffer.concat([ct, p0])]),
      'dare/trailing-data',
    );
    expectCode(
      () => dareOpen(KEY, Buffer.concat([dareSeal(KEY, bytes(10)), Buffer.alloc(1)])),
      'dare/trailing-data',
    );
  });

  it('detects a cipher switch and a nonce switch between packages', async () => {
    const a = packagesOf(dareSeal(KEY, data, { nonce: NONCE, cipher: 'aes-256-gcm' }));
    const c = packagesOf(dareSeal(KEY, data, { nonce: NONCE, cipher: 'chacha20-poly1305' }));
    const n = packagesOf(dareSeal(KEY, data, { nonce: Buffer.alloc(12, 9) }));
    expectCode(() => dareOpen(KEY, Buffer.concat([a[0]!, c[1]!, a[2]!, a[3]!])), 'dare/cipher-mismatch');
    expectCode(() => dareOpen(KEY, Buffer.concat([a[0]!, n[1]!, a[2]!, a[3]!])), 'dare/nonce-mismatch');
    expectCode(() => dareOpen(KEY, Buffer.concat([a[0]!, goldenV10(1)])), 'dare/unsupported-version');
  });

  it('releases nothing of a package that fails authentication', async () => {
    const ct = Buffer.from(await ctPromise);
    ct[65_568 + 100]! ^= 1; // damage package 1
    const out: Buffer[] = [];
    const dec = new DareDecoder(KEY);
    expect(() => dec.write(ct, out)).toThrow(CryptoError);
    assertSameBytes(Buffer.concat(out), data.subarray(0, 65_536));
  });

  it('detects every single-bit flip of a small sealed value', () => {
    const sealed = dareSeal(KEY, bytes(40, 22), { cipher: 'chacha20-poly1305' });
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const damaged = Buffer.from(sealed);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => dareOpen(KEY, damaged)).toThrow(CryptoError);
    }
  });

  it('refuses to go past 2^32 packages', () => {
    const enc = new DareEncoder(KEY, { sequence: 2 ** 32 - 1, randomNonce: () => Buffer.alloc(12) });
    const out: Buffer[] = [];
    enc.write(Buffer.alloc(65_537), out); // package 2^32 - 1 is sealed: it is not the last
    expectCode(() => enc.end(out), 'dare/too-large');
    const dec = new DareDecoder(KEY, { sequence: 2 ** 32 - 1 });
    const first = Buffer.concat(out);
    expectCode(() => dec.write(Buffer.concat([first, first]), []), 'dare/too-large');
  });

  it('rejects unknown versions', () => {
    expectCode(
      () => dareOpen(KEY, Buffer.concat([Buffer.from([0x30]), Buffer.alloc(40)])),
      'dare/unsupported-version',
    );
  });
});

describe('size arithmetic', () => {
  it.each([
    [0, 0],
    [1, 33],
    [65_535, 65_567],
    [65_536, 65_568],
    [65_537, 65_601],
    [200_000, 200_128],
    [3 * 65_536, 3 * 65_568],
    [2 ** 48, 2 ** 32 * 65_568],
  ])('enc(%i) = %i and back', (p, c) => {
    expect(dareEncryptedSize(p)).toBe(c);
    expect(dareDecryptedSize(c)).toBe(p);
  });

  it.each([1, 16, 32, 65_568 + 1, 65_568 + 32, 10 * 65_568 + 5])('dec(%i) is invalid', (c) => {
    expectCode(() => dareDecryptedSize(c), 'dare/invalid-size');
  });

  it('rejects negative, fractional and oversized inputs', () => {
    expectCode(() => dareEncryptedSize(-1), 'dare/invalid-size');
    expectCode(() => dareEncryptedSize(1.5), 'dare/invalid-size');
    expectCode(() => dareDecryptedSize(Number.NaN), 'dare/invalid-size');
    expectCode(() => dareEncryptedSize(2 ** 48 + 1), 'dare/too-large');
    expectCode(() => dareDecryptedSize(2 ** 32 * 65_568 + 33), 'dare/too-large');
  });

  it('enc and dec are inverse on many sizes', () => {
    for (let p = 0; p < 300_000; p += 997) expect(dareDecryptedSize(dareEncryptedSize(p))).toBe(p);
  });
});
