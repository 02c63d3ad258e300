import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealV10Package } from '../test/dare-helpers.js';
import { dareOpen, dareSeal } from './dare.js';
import { CryptoError } from './errors.js';
import {
  compressionIndexKey,
  etagKey,
  generateObjectKey,
  isETagSealed,
  LEGACY_SEAL_ALGORITHM,
  multipartPartNonce,
  objectChecksumKey,
  objectKeySealingKey,
  partKey,
  SEAL_ALGORITHM,
  type SealedObjectKey,
  type SseDomain,
  sealETag,
  sealObjectKey,
  unsealETag,
  unsealObjectKey,
} from './object-key.js';

const ZERO = Buffer.alloc(32);
const SEQ = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

describe('derived keys', () => {
  // MinIO's published vectors (internal/crypto key_test.go): all-zero object key.
  it.each([
    [0, 'aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af'],
    [1, 'a3e7181c6eed030fd52f79537c56c4d07da92e56d374ff1dd2043350785b37d8'],
    [10_000, 'f86e65c396ed52d204ee44bd1a0bbd86eb8b01b7354e67a3b3ae0e34dd5bd115'],
  ])('part key %i', (n, hex) => {
    expect(partKey(ZERO, n).toString('hex')).toBe(hex);
  });

  it('rejects bad part numbers and keys', () => {
    expectCode(() => partKey(ZERO, -1), 'sse/invalid-argument');
    expectCode(() => partKey(ZERO, 2 ** 32), 'sse/invalid-argument');
    expectCode(() => partKey(ZERO, 1.5), 'sse/invalid-argument');
    expectCode(() => partKey(Buffer.alloc(31), 1), 'sse/invalid-key');
  });

  // Expected values computed independently (Python hmac/hashlib).
  it('generates the object key as HMAC(EK, label ‖ R)', () => {
    expect(generateObjectKey(ZERO, ZERO).toString('hex')).toBe(
      '7b039ac7cfbd8c26bb08ccbf37bbc4cc1234999ce6956a710f3761e0a0468dbe',
    );
    const a = generateObjectKey(ZERO);
    const b = generateObjectKey(ZERO);
    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
    expectCode(() => generateObjectKey(Buffer.alloc(16)), 'sse/invalid-key');
    expectCode(() => generateObjectKey(ZERO, Buffer.alloc(31)), 'sse/invalid-key');
  });

  it('derives the ETag, checksum and compression-index keys', () => {
    expect(etagKey(SEQ).toString('hex')).toBe(
      'f9df0786cc8fae03afcd14ef33a83ea98fbeb983a6eb18250e7162fff89dc004',
    );
    expect(objectChecksumKey(SEQ).toString('hex')).toBe(
      'fb70120ddae8819afa3cd45a4e2092280b48e250ac8afdfb889d458d98924e34',
    );
    expect(compressionIndexKey(SEQ).toString('hex')).toBe(
      '735bc2a5f3430c331cd3e7b1b54398d71204542b3a8f0522c0a81cf49cbf4998',
    );
  });

  it('derives the multipart part nonce from upload id and decimal part number', () => {
    expect(multipartPartNonce('example-upload-id', 7).toString('hex')).toBe('76a9277feeff02868be7e3af');
    expect(multipartPartNonce('u', 12)).toEqual(createHash('sha256').update('u12').digest().subarray(0, 12));
    expect(multipartPartNonce('u', 1)).toHaveLength(12);
    expectCode(() => multipartPartNonce('u', -1), 'sse/invalid-argument');
  });
});

describe('object key sealing', () => {
  const oek = generateObjectKey(SEQ, ZERO);
  const ek = Buffer.alloc(32, 0x42);

  it('seals to a 64-byte DARE 2.0 package under the documented KEK', () => {
    const iv = Buffer.alloc(32, 7);
    const sealed = sealObjectKey(oek, ek, { domain: 'SSE-S3', bucket: 'photos', object: '2024//a.jpg', iv });
    expect(sealed.algorithm).toBe('DAREv2-HMAC-SHA256');
    expect(sealed.iv).toEqual(iv);
    expect(sealed.sealedKey).toHaveLength(64);
    expect(sealed.sealedKey[0]).toBe(0x20);
    const kek = createHmac('sha256', ek)
      .update(iv)
      .update('SSE-S3')
      .update('DAREv2-HMAC-SHA256')
      .update('photos/2024/a.jpg')
      .digest();
    expect(
      objectKeySealingKey(ek, iv, { domain: 'SSE-S3', bucket: 'photos', object: '2024//a.jpg' }),
    ).toEqual(kek);
    expect(dareOpen(kek, sealed.sealedKey)).toEqual(oek);
  });

  it.each<SseDomain>(['SSE-C', 'SSE-S3', 'SSE-KMS'])('round-trips in domain %s', (domain) => {
    const sealed = sealObjectKey(oek, ek, { domain, bucket: 'b', object: 'o/p' });
    expect(sealed.iv).toHaveLength(32);
    expect(unsealObjectKey(sealed, ek, { domain, bucket: 'b', object: 'o/p' })).toEqual(oek);
  });

  it('binds to the Go-cleaned path, not the raw object name', () => {
    const sealed = sealObjectKey(oek, ek, { domain: 'SSE-KMS', bucket: 'b', object: 'x/../dir//f/' });
    expect(unsealObjectKey(sealed, ek, { domain: 'SSE-KMS', bucket: 'b', object: 'dir/f' })).toEqual(oek);
  });

  // The mismatch cases of MinIO's TestSealUnsealKey, and more.
  const base = { domain: 'SSE-C' as SseDomain, bucket: 'bucket', object: 'object' };
  it.each([
    ['a different external key', Buffer.alloc(32, 1), base],
    ['a different domain', ek, { ...base, domain: 'SSE-S3' as SseDomain }],
    ['a different bucket', ek, { ...base, bucket: 'Bucket' }],
    ['a different object', ek, { ...base, object: 'Object' }],
    ['a short external key', Buffer.alloc(31), base],
  ])('fails with %s', (_why, key, binding) => {
    const sealed = sealObjectKey(oek, ek, { ...base, iv: ZERO });
    expectCode(() => unsealObjectKey(sealed, key, binding), 'sse/secret-key-mismatch');
  });

  it('fails for tampering, unknown algorithms and malformed input', () => {
    const sealed = sealObjectKey(oek, ek, base);
    const flip = (s: SealedObjectKey, i: number): SealedObjectKey => {
      const k = Buffer.from(s.sealedKey);
      k[i]! ^= 1;
      return { ...s, sealedKey: k };
    };
    for (const i of [0, 1, 2, 4, 10, 16, 47, 48, 63]) {
      expectCode(() => unsealObjectKey(flip(sealed, i), ek, base), 'sse/secret-key-mismatch');
    }
    const iv = Buffer.from(sealed.iv);
    iv[0]! ^= 1;
    expectCode(() => unsealObjectKey({ ...sealed, iv }, ek, base), 'sse/secret-key-mismatch');
    expectCode(
      () => unsealObjectKey({ ...sealed, algorithm: 'AES256' }, ek, base),
      'sse/secret-key-mismatch',
    );
    expectCode(
      () => unsealObjectKey({ ...sealed, sealedKey: sealed.sealedKey.subarray(0, 60) }, ek, base),
      'sse/secret-key-mismatch',
    );
    expectCode(
      () => unsealObjectKey({ ...sealed, iv: sealed.iv.subarray(0, 16) }, ek, base),
      'sse/secret-key-mismatch',
    );
    // a valid 64-byte DARE value that does not hold 32 bytes
    const kek = objectKeySealingKey(ek, sealed.iv, base);
    const odd = dareSeal(kek, Buffer.alloc(32));
    expect(unsealObjectKey({ ...sealed, sealedKey: odd }, ek, base)).toEqual(Buffer.alloc(32));
  });

  it('rejects wrong-length inputs when sealing', () => {
    expectCode(() => sealObjectKey(Buffer.alloc(16), ek, base), 'sse/invalid-key');
    expectCode(() => sealObjectKey(oek, Buffer.alloc(16), base), 'sse/invalid-key');
    expectCode(() => sealObjectKey(oek, ek, { ...base, iv: Buffer.alloc(12) }), 'sse/invalid-key');
    expectCode(
      () => sealObjectKey(oek, ek, { ...base, domain: 'SSE-X' as SseDomain }),
      'sse/invalid-argument',
    );
  });

  describe('legacy DARE-SHA256', () => {
    const iv = Buffer.alloc(32, 3);
    const legacyKey = createHash('sha256').update(ek).update(iv).digest();

    it('unseals a DARE 1.0 sealed key for SSE-C', () => {
      const sealedKey = sealV10Package(legacyKey, 0, 0, Buffer.alloc(8, 5), oek);
      expect(sealedKey).toHaveLength(64);
      const sealed = { iv, algorithm: LEGACY_SEAL_ALGORITHM, sealedKey };
      expect(unsealObjectKey(sealed, ek, base)).toEqual(oek);
    });

    it('unseals a DARE 2.0 sealed key for SSE-C', () => {
      const sealed = { iv, algorithm: LEGACY_SEAL_ALGORITHM, sealedKey: dareSeal(legacyKey, oek) };
      expect(unsealObjectKey(sealed, ek, base)).toEqual(oek);
    });

    it('is refused for SSE-S3 and SSE-KMS', () => {
      const sealed = { iv, algorithm: LEGACY_SEAL_ALGORITHM, sealedKey: dareSeal(legacyKey, oek) };
      expectCode(() => unsealObjectKey(sealed, ek, { ...base, domain: 'SSE-S3' }), 'sse/secret-key-mismatch');
      expectCode(
        () => unsealObjectKey(sealed, ek, { ...base, domain: 'SSE-KMS' }),
        'sse/secret-key-mismatch',
      );
    });

    it('DAREv2 keys do not accept DARE 1.0 packages', () => {
      const kek = objectKeySealingKey(ek, iv, base);
      const sealed = {
        iv,
        algorithm: SEAL_ALGORITHM,
        sealedKey: sealV10Package(kek, 0, 0, Buffer.alloc(8), oek),
      };
      expectCode(() => unsealObjectKey(sealed, ek, base), 'sse/secret-key-mismatch');
    });
  });
});

describe('ETag sealing', () => {
  // The ETags of MinIO's TestSealETag (object key 00..1f).
  it.each([
    '',
    '90682b8e8cc7609c',
    '90682b8e8cc7609c4671e1d64c73fc30',
    '90682b8e8cc7609c4671e1d64c73fc307fb3104f',
  ])('round-trips %j', (hex) => {
    const etag = Buffer.from(hex, 'hex');
    const sealed = sealETag(SEQ, etag);
    expect(sealed.length).toBe(etag.length === 0 ? 0 : etag.length + 32);
    expect(unsealETag(SEQ, sealed)).toEqual(etag);
  });

  it('seals an MD5 to 48 bytes starting 20000f00 (AES) or 20010f00 (ChaCha)', () => {
    const md5 = createHash('md5').update('hello').digest();
    const aes = sealETag(SEQ, md5);
    expect(aes).toHaveLength(48);
    expect(aes.toString('hex').slice(0, 8)).toBe('20000f00');
    expect(sealETag(SEQ, md5, { cipher: 'chacha20-poly1305' }).toString('hex').slice(0, 8)).toBe('20010f00');
    expect(isETagSealed(aes)).toBe(true);
    expect(isETagSealed(md5)).toBe(false);
  });

  it('passes unsealed ETags through and rejects a wrong key', () => {
    const md5 = createHash('md5').update('x').digest();
    expect(unsealETag(SEQ, md5)).toEqual(md5);
    const sealed = sealETag(SEQ, md5);
    expectCode(() => unsealETag(ZERO, sealed), 'dare/authentication-failed');
    expectCode(() => sealETag(Buffer.alloc(3), md5), 'sse/invalid-key');
  });
});
