// The stored checksum (x-amz-checksum-*) of an encrypted object is itself encrypted, as MinIO does:
// its object layer stores `fi.Checksum = opts.EncryptFn("object-checksum", checksumBytes)`, where the
// EncryptFn of an encrypted write is `metadataEncrypter(objectKey)` = DARE 2.0 under
// HMAC-SHA256(object key, "object-checksum") (cmd/encryption-v1.go, erasure-object.go,
// erasure-multipart.go; docs/minio-sse.md#derivations). A checksum in the clear would tell anyone with read
// access to the disk a fingerprint of the plaintext (a SHA-256 of a known file identifies it).
//
// MinIO's checksum bytes are its binary xl.meta record; ours is the JSON of the ChecksumValue, kept in
// the internal metadata under SEALED_CHECKSUM with the object's other sealed fields, and the plain
// `checksum` slots of the object and its parts stay empty. Objects written before this (plain
// `checksum`, no SEALED_CHECKSUM) are read as they are.
//
// The parts of an encrypted multipart upload are sealed the same way (the JSON then also names the part
// number), in their part records' `sealedChecksum`. Here we are stricter than MinIO, which keeps part
// checksums of uploads in progress in the clear (`ObjectPartInfo.Checksums` in erasure-multipart.go).
import { CryptoError, dareOpen, dareSeal, objectChecksumKey, zeroize } from '@kms-chain/crypto';
import { S3Error } from '../errors.js';
import type { ChecksumAlgorithm, ChecksumValue } from '../storage/types.js';

// Every algorithm a sealed checksum may name; a Record so that the compiler keeps it complete.
const ALGORITHMS: Record<ChecksumAlgorithm, true> = {
  CRC32: true,
  CRC32C: true,
  CRC64NVME: true,
  SHA1: true,
  SHA256: true,
};

/** Internal metadata key of an encrypted object's sealed checksum: base64(DARE 2.0 package). */
export const SEALED_CHECKSUM = 'X-Minio-Internal-Encrypted-Checksum';

/** The sealed form of `checksum` under object key `oek` (32 bytes), base64, for SEALED_CHECKSUM. */
export function sealChecksum(oek: Buffer, checksum: ChecksumValue): string {
  return seal(oek, { algorithm: checksum.algorithm, value: checksum.value });
}

/**
 * The checksum sealed by {@link sealChecksum}. Throws S3Error XMinioObjectTampered when it does not
 * open under `oek` (another object's key, a moved object, tampering) or is not a checksum record.
 */
export function openChecksum(oek: Buffer, sealed: string): ChecksumValue {
  return open(oek, sealed, undefined);
}

/**
 * The sealed form of the checksum of part `part` of an encrypted multipart upload, for its part record:
 * the same seal as the object's, with the part number inside, so that one part's record cannot stand in
 * for another's.
 */
export function sealPartChecksum(oek: Buffer, part: number, checksum: ChecksumValue): string {
  return seal(oek, { algorithm: checksum.algorithm, value: checksum.value, part });
}

/** The part checksum sealed by {@link sealPartChecksum}; XMinioObjectTampered as {@link openChecksum}. */
export function openPartChecksum(oek: Buffer, part: number, sealed: string): ChecksumValue {
  return open(oek, sealed, part);
}

function seal(oek: Buffer, record: ChecksumValue & { part?: number }): string {
  const key = objectChecksumKey(oek);
  try {
    return dareSeal(key, Buffer.from(JSON.stringify(record))).toString('base64');
  } finally {
    zeroize(key);
  }
}

function open(oek: Buffer, sealed: string, part: number | undefined): ChecksumValue {
  const key = objectChecksumKey(oek);
  try {
    const v = JSON.parse(dareOpen(key, Buffer.from(sealed, 'base64')).toString('utf8')) as {
      algorithm?: unknown;
      value?: unknown;
      part?: unknown;
    };
    if (
      typeof v.value !== 'string' ||
      typeof v.algorithm !== 'string' ||
      !Object.hasOwn(ALGORITHMS, v.algorithm) ||
      v.part !== part
    ) {
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
