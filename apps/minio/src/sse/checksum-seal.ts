// The stored checksum (x-amz-checksum-*) of an encrypted object is itself encrypted, as MinIO does:
// its object layer stores `fi.Checksum = opts.EncryptFn("object-checksum", checksumBytes)`, where the
// EncryptFn of an encrypted write is `metadataEncrypter(objectKey)` = DARE 2.0 under
// HMAC-SHA256(object key, "object-checksum") (cmd/encryption-v1.go, erasure-object.go,
// erasure-multipart.go; spec/minio-sse.md §1.2). A checksum in the clear would tell anyone with read
// access to the disk a fingerprint of the plaintext (a SHA-256 of a known file identifies it).
//
// MinIO's checksum bytes are its binary xl.meta record; ours is the JSON of the ChecksumValue, kept in
// the internal metadata under SEALED_CHECKSUM with the object's other sealed fields, and the plain
// `checksum` slots of the object and its parts stay empty. Objects written before this (plain
// `checksum`, no SEALED_CHECKSUM) are read as they are.
import { CryptoError, dareOpen, dareSeal, objectChecksumKey, zeroize } from '@kms-chain/crypto';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../s3/checksum.js';
import { S3Error } from '../s3/errors.js';
import type { ChecksumValue } from '../s3/payload.js';

/** Internal metadata key of an encrypted object's sealed checksum: base64(DARE 2.0 package). */
export const SEALED_CHECKSUM = 'X-Minio-Internal-Encrypted-Checksum';

/** The sealed form of `checksum` under object key `oek` (32 bytes), base64, for SEALED_CHECKSUM. */
export function sealChecksum(oek: Buffer, checksum: ChecksumValue): string {
  const key = objectChecksumKey(oek);
  try {
    const plain = Buffer.from(JSON.stringify({ algorithm: checksum.algorithm, value: checksum.value }));
    return dareSeal(key, plain).toString('base64');
  } finally {
    zeroize(key);
  }
}

/**
 * The checksum sealed by {@link sealChecksum}. Throws S3Error XMinioObjectTampered when it does not
 * open under `oek` (another object's key, a moved object, tampering) or is not a checksum record.
 */
export function openChecksum(oek: Buffer, sealed: string): ChecksumValue {
  const key = objectChecksumKey(oek);
  try {
    const v = JSON.parse(dareOpen(key, Buffer.from(sealed, 'base64')).toString('utf8')) as {
      algorithm?: unknown;
      value?: unknown;
    };
    if (typeof v.value !== 'string' || !CHECKSUM_ALGORITHMS.includes(v.algorithm as ChecksumAlgorithm)) {
      throw new S3Error('XMinioObjectTampered');
    }
    return { algorithm: v.algorithm as ChecksumAlgorithm, value: v.value };
  } catch (err) {
    if (err instanceof CryptoError || err instanceof SyntaxError) throw new S3Error('XMinioObjectTampered');
    throw err;
  } finally {
    zeroize(key);
  }
}

/** True when the internal metadata holds a sealed checksum. */
export function hasSealedChecksum(internal: Record<string, string> | undefined): boolean {
  return internal?.[SEALED_CHECKSUM] !== undefined;
}
