import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { s3ErrorOf as code } from '../../test/units.js';
import { META, readSealedMetadata, writeSealedMetadata } from './metadata.js';
import { normalizeKeyId, parseSseRequest } from './request.js';

const key = Buffer.alloc(32, 1);
const keyB64 = key.toString('base64');
const md5 = createHash('md5').update(key).digest('base64');
const C = 'x-amz-server-side-encryption-customer-';

function parse(headers: Record<string, string>, secure = true) {
  return parseSseRequest((n) => headers[n], secure);
}

describe('parseSseRequest', () => {
  it('parses the three kinds', () => {
    expect(parse({})).toBeUndefined();
    expect(parse({ 'x-amz-server-side-encryption': 'aes256' })).toEqual({ kind: 'SSE-S3' });
    expect(
      parse({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:my-key',
        'x-amz-server-side-encryption-context': Buffer.from('{"a":"b"}').toString('base64'),
      }),
    ).toEqual({ kind: 'SSE-KMS', keyId: 'my-key', context: { a: 'b' } });
    expect(parse({ [`${C}algorithm`]: 'AES256', [`${C}key`]: keyB64, [`${C}key-md5`]: md5 })).toEqual({
      kind: 'SSE-C',
      key,
      keyMd5: md5,
    });
  });

  // MinIO's order: TLS, algorithm, key present, MD5 present, key valid (403), MD5 match, combination.
  it.each([
    [{ [`${C}key`]: keyB64 }, false, ['InvalidRequest', 400]],
    [
      { [`${C}algorithm`]: 'aes256', [`${C}key`]: keyB64, [`${C}key-md5`]: md5 },
      true,
      ['InvalidArgument', 400],
    ],
    [{ [`${C}algorithm`]: 'AES256', [`${C}key-md5`]: md5 }, true, ['InvalidArgument', 400]],
    [{ [`${C}algorithm`]: 'AES256', [`${C}key`]: keyB64 }, true, ['InvalidArgument', 400]],
    [
      { [`${C}algorithm`]: 'AES256', [`${C}key`]: 'c2hvcnQ=', [`${C}key-md5`]: md5 },
      true,
      ['AccessDenied', 403],
    ],
    [
      { [`${C}algorithm`]: 'AES256', [`${C}key`]: keyB64, [`${C}key-md5`]: 'AAAA' },
      true,
      ['InvalidArgument', 400],
    ],
    [
      {
        [`${C}algorithm`]: 'AES256',
        [`${C}key`]: keyB64,
        [`${C}key-md5`]: md5,
        'x-amz-server-side-encryption': 'AES256',
      },
      true,
      ['InvalidArgument', 400],
    ],
    [{ 'x-amz-server-side-encryption': 'AWS:KMS' }, true, ['InvalidArgument', 400]],
    [{ 'x-amz-server-side-encryption': 'aws:kms:dsse' }, true, ['InvalidArgument', 400]],
    [{ 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, true, ['InvalidArgument', 400]],
    [
      { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' },
      true,
      ['InvalidArgument', 400],
    ],
    [
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': ' k' },
      true,
      ['InvalidRequest', 400],
    ],
    [
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-context': 'not json' },
      true,
      ['InvalidArgument', 400],
    ],
  ] as Array<[Record<string, string>, boolean, [string, number]]>)('%j → %j', (headers, secure, expected) => {
    expect(code(() => parse(headers, secure))).toEqual(expected);
  });

  it('strips the ARN prefix', () => {
    expect(normalizeKeyId('arn:aws:kms:abc')).toBe('abc');
    expect(normalizeKeyId('abc')).toBe('abc');
  });
});

describe('sealed metadata', () => {
  const sealed = { iv: Buffer.alloc(32, 2), algorithm: 'DAREv2-HMAC-SHA256', sealedKey: Buffer.alloc(64, 3) };
  it('round-trips each kind under MinIO names', () => {
    const s3 = writeSealedMetadata({
      kind: 'SSE-S3',
      sealed,
      keyId: 'k',
      dataKey: Buffer.alloc(76),
      multipart: true,
    });
    expect(Object.keys(s3).sort()).toEqual(
      [META.iv, META.sealAlgorithm, META.s3SealedKey, META.kmsKeyId, META.kmsDataKey, META.multipart].sort(),
    );
    expect(readSealedMetadata(s3)).toMatchObject({ kind: 'SSE-S3', keyId: 'k', multipart: true });
    const c = writeSealedMetadata({ kind: 'SSE-C', sealed, multipart: false });
    expect(readSealedMetadata(c)).toMatchObject({ kind: 'SSE-C', sealed });
    expect(readSealedMetadata({})).toBeUndefined();
  });
  it.each([
    [{ [META.iv]: 'AAAA' }],
    [{ [META.sealAlgorithm]: undefined }],
    [{ [META.kmsKeyId]: undefined }],
    [{ [META.s3SealedKey]: '!!' }],
  ])('refuses corrupted metadata %j', (patch) => {
    const s3 = writeSealedMetadata({
      kind: 'SSE-S3',
      sealed,
      keyId: 'k',
      dataKey: Buffer.alloc(76),
      multipart: false,
    });
    const broken = { ...s3, ...patch } as Record<string, string>;
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete broken[k];
    expect(code(() => readSealedMetadata(broken))).toEqual(['XMinioEncryptionError', 400]);
  });
});
