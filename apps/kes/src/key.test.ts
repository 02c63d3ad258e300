import { describe, expect, it } from 'vitest';
import {
  decodeKey,
  decryptWith,
  encodeKey,
  encryptWith,
  hmacWith,
  KeyFormatError,
  newKey,
  parseCipher,
  randomDataKey,
} from './key.js';

const bytes = Buffer.alloc(32, 9);
const b64 = bytes.toString('base64');

// Protobuf helpers to build HEAD's stored KeyVersion by hand (field tags: docs/kes-protocol.md#stored-keys).
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};
const field = (no: number, v: Buffer | number): Buffer =>
  typeof v === 'number'
    ? Buffer.concat([varint(no * 8), varint(v)])
    : Buffer.concat([varint(no * 8 + 2), varint(v.length), v]);

describe('stored key formats (docs/kes-protocol.md#stored-keys)', () => {
  it('round-trips our JSON form', () => {
    const k = newKey('abc', new Date('2024-05-06T07:08:09.123Z'));
    const d = decodeKey(encodeKey(k));
    expect(d).toEqual({
      bytes: k.bytes,
      cipher: 'AES256',
      createdAt: '2024-05-06T07:08:09Z',
      createdBy: 'abc',
    });
    expect(JSON.parse(encodeKey(k))).toEqual({
      bytes: k.bytes.toString('base64'),
      algorithm: 'AES256',
      created_at: '2024-05-06T07:08:09Z',
      created_by: 'abc',
    });
  });

  it.each([
    [`{"bytes":"${b64}"}`, 'AES256'],
    [
      `{"bytes":"${b64}","algorithm":"AES256-GCM_SHA256","created_at":"2022-04-01T00:00:00Z","created_by":"x","version":"v1"}`,
      'AES256',
    ],
    [`{"bytes":"${b64}","algorithm":"XCHACHA20-POLY1305"}`, 'ChaCha20'],
    [`{"bytes":"${b64}","algorithm":""}`, 'AES256'],
  ])('reads %s', (value, cipher) => {
    const k = decodeKey(value);
    expect(k.bytes).toEqual(bytes);
    expect(k.cipher).toBe(cipher);
  });

  it('reads HEAD base64-protobuf KeyVersion', () => {
    const secret = Buffer.concat([field(1, bytes), field(2, 2)]);
    const hmac = Buffer.concat([field(1, Buffer.alloc(32, 1)), field(2, 1)]);
    const ts = field(1, 1_700_000_000);
    const kv = Buffer.concat([
      field(1, secret),
      field(2, hmac),
      field(3, ts),
      field(4, Buffer.from('ident')),
    ]);
    expect(decodeKey(kv.toString('base64'))).toEqual({
      bytes,
      cipher: 'ChaCha20',
      createdAt: '2023-11-14T22:13:20Z',
      createdBy: 'ident',
    });
  });

  it.each([
    ['{"bytes":', 'not valid JSON'],
    ['{"algorithm":"AES256"}', 'no bytes'],
    [`{"bytes":"${b64}","algorithm":"DES"}`, 'unknown algorithm'],
    ['{"bytes":"AAAA"}', 'wrong length'],
    ['', 'empty'],
    [Buffer.from([0x0a, 0x05, 0x01]).toString('base64'), 'truncated'],
  ])('rejects %j', (value, message) => {
    expect(() => decodeKey(value)).toThrow(KeyFormatError);
    expect(() => decodeKey(value)).toThrow(message);
  });

  it.each([
    ['AES256', 'AES256'],
    ['AES256-GCM_SHA256', 'AES256'],
    ['ChaCha20', 'ChaCha20'],
    ['XCHACHA20-POLY1305', 'ChaCha20'],
    ['toString', undefined],
    ['aes256', undefined],
  ])('parseCipher(%j)', (name, want) => expect(parseCipher(name)).toBe(want));
});

describe('ciphertext formats (docs/kes-protocol.md#ciphertext-formats)', () => {
  const key = { bytes, cipher: 'AES256' as const, createdAt: '', createdBy: '' };
  const ctx = Buffer.from('{"bucket":"bucket/object"}');
  const dek = Buffer.alloc(32, 5);
  const raw = encryptWith(key, dek, ctx);
  const sealed = raw.subarray(0, raw.length - 28);
  const iv = raw.subarray(raw.length - 28, raw.length - 12);
  const nonce = raw.subarray(raw.length - 12);

  it('writes the raw 76-byte layout for a 32-byte key', () => {
    expect(raw).toHaveLength(76);
    expect(decryptWith(key, raw, ctx)).toEqual(dek);
  });

  it('reads the JSON layout of KES ≤ v0.19.1', () => {
    const json = JSON.stringify({
      aead: 'AES-256-GCM-HMAC-SHA-256',
      id: 'a'.repeat(32),
      iv: iv.toString('base64'),
      nonce: nonce.toString('base64'),
      bytes: sealed.toString('base64'),
    });
    expect(decryptWith(key, Buffer.from(json), ctx)).toEqual(dek);
  });

  it('reads the msgpack layout of KES v0.19.2–2023', () => {
    const str = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
    const bin = (b: Buffer) => Buffer.concat([Buffer.from([0xc4, b.length]), b]);
    const mp = Buffer.concat([
      Buffer.from([0x95]),
      str('AES256-GCM_SHA256'),
      str('k'.repeat(31)),
      bin(iv),
      bin(nonce),
      bin(sealed),
    ]);
    expect(decryptWith(key, mp, ctx)).toEqual(dek);
  });

  it('fails on a wrong context or key', () => {
    expect(() => decryptWith(key, raw, Buffer.from('{}'))).toThrow();
    expect(() => decryptWith({ ...key, bytes: Buffer.alloc(32, 8) }, raw, ctx)).toThrow();
  });

  it('HMAC is deterministic per key and differs between keys', () => {
    const m = Buffer.from('root access key');
    expect(hmacWith(key, m)).toEqual(hmacWith(key, m));
    expect(hmacWith(key, m)).not.toEqual(hmacWith({ ...key, bytes: Buffer.alloc(32, 8) }, m));
    expect(hmacWith(key, m)).toHaveLength(32);
  });
});

describe('randomDataKey', () => {
  it('hands out distinct 32-byte keys across pool refills and wipes the pool behind it', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const k = randomDataKey();
      expect(k).toHaveLength(32);
      seen.add(k.toString('hex'));
    }
    expect(seen.size).toBe(300);
  });
});
