import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { encode as encodeMsgpack } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import { canonicalContextJson } from './go-json.js';
import { KES_CIPHERTEXT_OVERHEAD, type KesKeyCipher, openDataKey, sealDataKey } from './kes-seal.js';

const b64 = (s: string) => Buffer.from(s, 'base64');
const ZERO_KEY = Buffer.alloc(32);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    return (err as CryptoError).code;
  }
  throw new Error('expected a CryptoError, got a result');
}

describe('openDataKey: published vectors', () => {
  // MinIO's builtin single-key KMS: minio/minio internal/kms/single-key_test.go (decryptKeyTests),
  // key `my-key:eEm+JI9/q4JhH8QwKvf3LKo4DEBl6QbfvAl1CAbMIv8=`. Both are legacy JSON ciphertexts
  // (ChaCha20Poly1305); the AAD is MinIO's canonical context JSON: `{}` and `{"key":"value"}`.
  const minioKey = b64('eEm+JI9/q4JhH8QwKvf3LKo4DEBl6QbfvAl1CAbMIv8=');
  it.each([
    [
      'empty context',
      {},
      'zmS7NrG765UZ0ZN85oPjybelxqVvpz01vxsSpOISy2M=',
      'eyJhZWFkIjoiQ2hhQ2hhMjBQb2x5MTMwNSIsIml2IjoiSmJJK3Z3dll3dzFsQ2I1VnBrQUZ1UT09Iiwibm9uY2UiOiJBUmpJakp4QlNENTQxR3o4IiwiYnl0ZXMiOiJLQ2JFYzJzQTBUTHZBN2FXVFdhMjNBZGNjVmZKTXBPeHdnRzhobSs0UGFOcnhZZnkxeEZXWmcyZ0VlblZyT2d2In0=',
    ],
    [
      '{"key":"value"} context',
      { key: 'value' },
      'UnPWsZgVI+T4L9WGNzFlP1PsP1Z6hn2Fx8ISeZfDGnA=',
      'eyJhZWFkIjoiQ2hhQ2hhMjBQb2x5MTMwNSIsIml2IjoicjQreWZpVmJWSVlSMFoySTlGcSs2Zz09Iiwibm9uY2UiOiIyWXB3R3dFNTlHY1ZyYUkzIiwiYnl0ZXMiOiJrL3N2TWdsT1U3L0tnd3Y3M2hlRzM4TldXNTc1WExjRnAzU2F4UUhETWpKR1l5UkkzRml5Z3UyT2V1dEdQWE5MIn0=',
    ],
  ])('MinIO builtin KMS, %s', (_name, ctx, plaintext, ciphertext) => {
    const aad = canonicalContextJson(ctx);
    // MinIO: the algorithm inside the JSON picks the cipher.
    expect(openDataKey(minioKey, b64(ciphertext), aad).toString('base64')).toBe(plaintext);
    // KES: the key's cipher picks it; same result for a ChaCha20 key.
    expect(openDataKey(minioKey, b64(ciphertext), aad, 'ChaCha20').toString('base64')).toBe(plaintext);
    // The context is bound: the other vector's context must not open it.
    expect(codeOf(() => openDataKey(minioKey, b64(ciphertext), Buffer.from('{"key":"other"}')))).toBe(
      'kes/decryption-failed',
    );
  });

  // KES: minio/kes internal/crypto/key_test.go (secretKeyDecryptTests 0–7), HEAD 2025-05. The
  // plaintext is 16 zero bytes except in 6 and 7; AAD is empty except in 6 and 7 (16 zero bytes).
  it.each<[string, KesKeyCipher, string, string, string, string]>([
    [
      '0: JSON, AES256',
      'AES256',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      Buffer.from(
        '{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}',
      ).toString('base64'),
    ],
    [
      '1: JSON, ChaCha20',
      'ChaCha20',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      Buffer.from(
        '{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"8/kHMnCMs3h9NZ2a","bytes":"cw22HjLq/4cx8507SW4hhSrYbDiMuRao4b5+GE+XfbE="}',
      ).toString('base64'),
    ],
    [
      '2: JSON with key ID, ChaCha20',
      'ChaCha20',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      Buffer.from(
        '{"aead":"ChaCha20Poly1305","id":"66687aadf862bd776c8fc18b8e9f8e20","iv":"EC0eZp7Pqt+LnkOae5xaAg==","nonce":"X1ejXKmH/ugFZPkk","bytes":"wIGBTDs6aOvsqJfekZ0PYRT/OHyFX2TXqeNwl1SLXOI="}',
      ).toString('base64'),
    ],
    [
      '3: MessagePack, AES256',
      'AES256',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      'lbFBRVMyNTYtR0NNX1NIQTI1NtkgNjY2ODdhYWRmODYyYmQ3NzZjOGZjMThiOGU5ZjhlMjDEEExv7LAd4oz0SaHZrX5LBufEDEKME1ow1CDfUFrqv8QgJuy7Sw+jVqz99TK1HV851LT3K4mwwDv46TB2ngWkAJQ=',
    ],
    [
      '4: MessagePack, ChaCha20',
      'ChaCha20',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      'lbJYQ0hBQ0hBMjAtUE9MWTEzMDXZIDY2Njg3YWFkZjg2MmJkNzc2YzhmYzE4YjhlOWY4ZTIwxBBAr+aptD4x2+qfOhiErbnkxAxYs8RmNC1JJXD1hiHEIJ2KqM0jjkME7ndx8nyVseesN83Np0rM5ejVUun+fNFu',
    ],
    [
      '5: raw, AES256',
      'AES256',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      '',
      'zwdDgHeRlIFRnJ7+DIhs/ka7GFK2CFSfDELqg1VCyTQzZ58o7MAdupMLk3ZjlMo2ZUDwldL2o41nAWDc',
    ],
    [
      '6: raw, AES256, with AAD',
      'AES256',
      'dDHbTWgo+Yh3u804SYB5OyVMy6RiLeJYBQth1f6KlEU=',
      'CLcJoykFCWZDkEIiUq9bJRqwCwW9ZDvdgu8EMA==',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      's2gmfQHeGdlyL8x1yEWSACUV3GrSoz3t160hugMgzKWgyqesXDVUJ5Dw5Mt076rR1PNiU9X4YjLH14D8a81t2r2xsz4gVZac',
    ],
    [
      '7: raw, ChaCha20, with AAD',
      'ChaCha20',
      'dDHbTWgo+Yh3u804SYB5OyVMy6RiLeJYBQth1f6KlEU=',
      'CLcJoykFCWZDkEIiUq9bJRqwCwW9ZDvdgu8EMA==',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      'gO4woRIswAJdjUjW7z2ApsSQxJlwB24yjLrmH4eI7sB0uh5nfEJfk9ybTPFft5FRFaZCVBmzhx7OJs9n0WWtxH3sySIxecIK',
    ],
  ])('KES vector %s', (_name, cipher, key, plaintext, aad, ciphertext) => {
    expect(openDataKey(b64(key), b64(ciphertext), b64(aad), cipher).toString('base64')).toBe(plaintext);
  });

  // KES key_test.go secretKeyDecryptTests 8–14: each must fail.
  it.each<[string, KesKeyCipher, string, string]>([
    [
      '8: retired algorithm name AES-256-GCM',
      'AES256',
      '{"aead":"AES-256-GCM","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}',
      'kes/invalid-ciphertext',
    ],
    [
      '9: 20-byte IV',
      'AES256',
      '{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"EjOY4JKqjIrPmQ5z1KSR8zlhggY=","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}',
      'kes/invalid-ciphertext',
    ],
    [
      '10: 8-byte nonce (ChaCha20)',
      'ChaCha20',
      '{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"SXAbms731/c=","bytes":"cw22HjLq/4cx8507SW4hhSrYbDiMuRao4b5+GE+XfbE="}',
      'kes/invalid-ciphertext',
    ],
    [
      '11: 8-byte nonce (AES256)',
      'AES256',
      '{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"efY+4kYF9n8=","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}',
      'kes/invalid-ciphertext',
    ],
    [
      '12: not authentic (AES256)',
      'AES256',
      '{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"QTza1g5oX3f9cGJMbY1xJwWPj1F7R2VnNl6XpFKYQy0="}',
      'kes/decryption-failed',
    ],
    [
      '13: not authentic (ChaCha20)',
      'ChaCha20',
      '{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"8/kHMnCMs3h9NZ2a","bytes":"TTi8pkO+Jh1JWAHvPxZeUk/iVoBPUCE4ZSVGBy3fW2s="}',
      'kes/decryption-failed',
    ],
    [
      // Not JSON, so read as raw bytes, which do not authenticate: the same outcome as in KES.
      '14: invalid JSON (missing comma)',
      'AES256',
      '{"aead":"AES-256-GCM-HMAC-SHA-256" "iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}',
      'kes/decryption-failed',
    ],
  ])('KES failing vector %s', (_name, cipher, ciphertext, code) => {
    expect(codeOf(() => openDataKey(ZERO_KEY, Buffer.from(ciphertext), Buffer.alloc(0), cipher))).toBe(code);
  });
});

describe('sealDataKey / openDataKey round trip', () => {
  it.each<[KesKeyCipher, number]>([
    ['AES256', 32],
    ['ChaCha20', 32],
    ['AES256', 0],
    ['ChaCha20', 1],
    ['AES256', 1000],
  ])('%s, %i-byte plaintext', (cipher, size) => {
    const key = randomBytes(32);
    const plaintext = randomBytes(size);
    const aad = canonicalContextJson({ photos: 'photos/2024/a.jpg' });
    const ct = sealDataKey(key, plaintext, aad, cipher);
    expect(ct.length).toBe(size + KES_CIPHERTEXT_OVERHEAD);
    expect(openDataKey(key, ct, aad, cipher)).toEqual(plaintext);
  });

  it('a 32-byte data key becomes 76 bytes (104 base64 chars), AES256 by default', () => {
    const key = randomBytes(32);
    const ct = sealDataKey(key, randomBytes(32), Buffer.alloc(0));
    expect(ct.length).toBe(76);
    expect(ct.toString('base64')).toHaveLength(104);
    expect(() => openDataKey(key, ct, Buffer.alloc(0), 'AES256')).not.toThrow();
  });

  it('follows the published construction: HMAC-SHA256(key, iv) → AES-256-GCM', () => {
    // Re-derive the sealing key independently and check the tag via Node's GCM decipher.
    const key = randomBytes(32);
    const ct = sealDataKey(key, Buffer.alloc(32, 7), Buffer.from('{}'));
    const iv = ct.subarray(48, 64);
    const nonce = ct.subarray(64);
    const sealingKey = createHmac('sha256', key).update(iv).digest();
    const d = createDecipheriv('aes-256-gcm', sealingKey, nonce);
    d.setAAD(Buffer.from('{}'));
    d.setAuthTag(ct.subarray(32, 48));
    expect(Buffer.concat([d.update(ct.subarray(0, 32)), d.final()])).toEqual(Buffer.alloc(32, 7));
  });

  it('uses fresh randomness: sealing twice gives different ciphertexts', () => {
    const key = randomBytes(32);
    const p = randomBytes(32);
    expect(sealDataKey(key, p, Buffer.alloc(0))).not.toEqual(sealDataKey(key, p, Buffer.alloc(0)));
  });

  it('reads MessagePack and JSON forms of a fresh raw ciphertext', () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(32);
    const aad = Buffer.from('ctx');
    const raw = sealDataKey(key, plaintext, aad);
    const sealed = raw.subarray(0, 48);
    const iv = raw.subarray(48, 64);
    const nonce = raw.subarray(64);
    const msgpack = encodeMsgpack(['AES256', 'some-id', iv, nonce, sealed]);
    expect(msgpack[0]).toBe(0x95);
    expect(openDataKey(key, msgpack, aad)).toEqual(plaintext);
    const json = JSON.stringify({
      aead: 'AES-256-GCM-HMAC-SHA-256',
      iv: iv.toString('base64'),
      nonce: nonce.toString('base64'),
      bytes: sealed.toString('base64'),
    });
    expect(openDataKey(key, Buffer.from(json), aad)).toEqual(plaintext);
    // Go matches JSON field names case-insensitively.
    expect(openDataKey(key, Buffer.from(json.replace('"aead"', '"AEAD"')), aad)).toEqual(plaintext);
  });

  it('reads raw ciphertexts that happen to begin with { or 0x95', () => {
    const key = randomBytes(32);
    const plaintext = randomBytes(32);
    const seen = new Set<number>();
    for (let i = 0; i < 5000 && seen.size < 2; i++) {
      const ct = sealDataKey(key, plaintext, Buffer.alloc(0));
      if (ct[0] !== 0x7b && ct[0] !== 0x95) continue;
      seen.add(ct[0]!);
      expect(openDataKey(key, ct, Buffer.alloc(0))).toEqual(plaintext);
      ct[70] = ct[70]! ^ 1;
      expect(codeOf(() => openDataKey(key, ct, Buffer.alloc(0)))).toBe('kes/decryption-failed');
    }
    expect(seen.size).toBe(2);
  });
});

describe('openDataKey: bad input is a CryptoError, never a crash', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('{"b":"b/o"}');
  const good = (cipher: KesKeyCipher) => sealDataKey(key, randomBytes(32), aad, cipher);
  const flip = (buf: Buffer, i: number) => {
    const copy = Buffer.from(buf);
    copy[i] = copy[i]! ^ 0x01;
    return copy;
  };

  it.each<[string, (c: KesKeyCipher) => [Uint8Array, Uint8Array, Uint8Array], string]>([
    ['wrong key', (c) => [randomBytes(32), good(c), aad], 'kes/decryption-failed'],
    ['wrong AAD', (c) => [key, good(c), Buffer.from('{"b":"b/x"}')], 'kes/decryption-failed'],
    ['missing AAD', (c) => [key, good(c), Buffer.alloc(0)], 'kes/decryption-failed'],
    ['flipped ciphertext byte', (c) => [key, flip(good(c), 0), aad], 'kes/decryption-failed'],
    ['flipped tag byte', (c) => [key, flip(good(c), 40), aad], 'kes/decryption-failed'],
    ['flipped IV byte', (c) => [key, flip(good(c), 50), aad], 'kes/decryption-failed'],
    ['flipped nonce byte', (c) => [key, flip(good(c), 75), aad], 'kes/decryption-failed'],
    ['one byte cut off', (c) => [key, good(c).subarray(0, 75), aad], 'kes/decryption-failed'],
    ['cut to 43 bytes', (c) => [key, good(c).subarray(0, 43), aad], 'kes/invalid-ciphertext'],
    ['empty', () => [key, Buffer.alloc(0), aad], 'kes/invalid-ciphertext'],
    ['single {', () => [key, Buffer.from('{'), aad], 'kes/invalid-ciphertext'],
    ['JSON array', () => [key, Buffer.from('[1,2,3]'), aad], 'kes/invalid-ciphertext'],
    [
      'JSON without aead',
      () => [key, Buffer.from(`{"iv":"${'A'.repeat(64)}"}`), aad],
      'kes/invalid-ciphertext',
    ],
    [
      'JSON with non-base64 iv',
      () => [
        key,
        Buffer.from(`{"aead":"ChaCha20Poly1305","iv":"!!","nonce":"","bytes":"","pad":"${'x'.repeat(40)}"}`),
        aad,
      ],
      'kes/invalid-ciphertext',
    ],
    [
      'JSON with numeric bytes',
      () => [
        key,
        Buffer.from(
          `{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"8/kHMnCMs3h9NZ2a","bytes":1}`,
        ),
        aad,
      ],
      'kes/invalid-ciphertext',
    ],
    ['lone 0x95', () => [key, Buffer.from([0x95]), aad], 'kes/invalid-ciphertext'],
    [
      'MessagePack with wrong IV size',
      () => [key, encodeMsgpack(['AES256', '', Buffer.alloc(15), Buffer.alloc(12), Buffer.alloc(48)]), aad],
      'kes/invalid-ciphertext',
    ],
    [
      'MessagePack with unknown algorithm',
      () => [key, encodeMsgpack(['DES', '', Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(48)]), aad],
      'kes/invalid-ciphertext',
    ],
    [
      'MessagePack with trailing bytes (read as raw)',
      () => [
        key,
        Buffer.concat([
          encodeMsgpack(['AES256', '', Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(48)]),
          Buffer.from([0]),
        ]),
        aad,
      ],
      'kes/decryption-failed',
    ],
    [
      'MessagePack array header claiming 2^32 items',
      () => [key, Buffer.concat([Buffer.from([0x95, 0xdd, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(40)]), aad],
      'kes/decryption-failed',
    ],
    ['short master key', (c) => [randomBytes(16), good(c), aad], 'kes/invalid-key'],
  ])('%s', (_name, make, code) => {
    for (const cipher of ['AES256', 'ChaCha20'] as const) {
      const [k, ct, a] = make(cipher);
      expect(codeOf(() => openDataKey(k, ct, a, cipher))).toBe(code);
    }
  });

  it("the authentication failure message is KES's wire text", () => {
    expect(() => openDataKey(key, flip(good('AES256'), 3), aad)).toThrow(
      'decryption failed: ciphertext is not authentic',
    );
  });

  it.each<[string, () => unknown, string]>([
    [
      'seal with a 31-byte key',
      () => sealDataKey(Buffer.alloc(31), Buffer.alloc(32), aad),
      'kes/invalid-key',
    ],
    [
      'seal with an unknown cipher',
      () => sealDataKey(key, Buffer.alloc(32), aad, 'AES128' as KesKeyCipher),
      'kes/invalid-cipher',
    ],
    [
      'open with an unknown cipher',
      () => openDataKey(key, good('AES256'), aad, 'XChaCha' as KesKeyCipher),
      'kes/invalid-cipher',
    ],
  ])('%s', (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it('survives random garbage of every length', () => {
    for (let len = 0; len < 200; len++) {
      for (const first of [undefined, 0x7b, 0x95]) {
        const junk = randomBytes(len);
        if (first !== undefined && len > 0) junk[0] = first;
        const code = codeOf(() => openDataKey(key, junk, aad));
        expect(['kes/invalid-ciphertext', 'kes/decryption-failed']).toContain(code);
      }
    }
  });
});
