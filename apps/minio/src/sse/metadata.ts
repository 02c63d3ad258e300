// The internal metadata of an encrypted object (docs/minio-sse.md#stored-metadata): names, writing and parsing.
import type { SealedObjectKey, SseDomain } from '@kms-chain/crypto';
import { S3Error } from '../errors.js';

const P = 'X-Minio-Internal-Server-Side-Encryption-';
/** Metadata keys, exactly as MinIO names them. */
export const META = {
  iv: `${P}Iv`,
  sealAlgorithm: `${P}Seal-Algorithm`,
  ssecSealedKey: `${P}Sealed-Key`,
  s3SealedKey: `${P}S3-Sealed-Key`,
  kmsSealedKey: `${P}Kms-Sealed-Key`,
  kmsKeyId: `${P}S3-Kms-Key-Id`,
  kmsDataKey: `${P}S3-Kms-Sealed-Key`,
  context: `${P}Context`,
  multipart: 'X-Minio-Internal-Encrypted-Multipart',
} as const;

/** What an encrypted object's metadata says. */
export interface SealedMetadata {
  kind: SseDomain;
  sealed: SealedObjectKey;
  /** KMS key name (SSE-S3, SSE-KMS). */
  keyId?: string | undefined;
  /** The KMS-sealed data key (SSE-S3, SSE-KMS). */
  dataKey?: Buffer | undefined;
  /** base64 of the canonical JSON of the client's context, as stored (SSE-KMS). */
  context?: string | undefined;
  multipart: boolean;
}

/** The metadata entries that record a sealed object key. */
export function writeSealedMetadata(m: SealedMetadata): Record<string, string> {
  const out: Record<string, string> = {
    [META.iv]: m.sealed.iv.toString('base64'),
    [META.sealAlgorithm]: m.sealed.algorithm,
  };
  const sealedKey = m.sealed.sealedKey.toString('base64');
  if (m.kind === 'SSE-C') out[META.ssecSealedKey] = sealedKey;
  else {
    out[m.kind === 'SSE-S3' ? META.s3SealedKey : META.kmsSealedKey] = sealedKey;
    out[META.kmsKeyId] = m.keyId ?? '';
    out[META.kmsDataKey] = (m.dataKey ?? Buffer.alloc(0)).toString('base64');
    if (m.context !== undefined) out[META.context] = m.context;
  }
  if (m.multipart) out[META.multipart] = '';
  return out;
}

function corrupted(what: string): S3Error {
  return new S3Error('XMinioEncryptionError', `The object encryption metadata is corrupted: ${what}`);
}

function b64(value: string | undefined, what: string, size?: number): Buffer {
  if (value === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw corrupted(`${what} is not base64`);
  const buf = Buffer.from(value, 'base64');
  if (size !== undefined && buf.length !== size) throw corrupted(`${what} is not ${size} bytes`);
  return buf;
}

/**
 * Reads the sealing metadata of an object; undefined when it is not encrypted. The type is decided by
 * which sealed key is present (SSE-KMS, then SSE-S3, then SSE-C). Throws S3Error XMinioEncryptionError
 * for malformed entries.
 */
export function readSealedMetadata(internal: Record<string, string> | undefined): SealedMetadata | undefined {
  if (!internal) return undefined;
  const kind: SseDomain | undefined =
    internal[META.kmsSealedKey] !== undefined
      ? 'SSE-KMS'
      : internal[META.s3SealedKey] !== undefined
        ? 'SSE-S3'
        : internal[META.ssecSealedKey] !== undefined
          ? 'SSE-C'
          : undefined;
  if (kind === undefined) return undefined;
  const sealedKeyText =
    kind === 'SSE-KMS'
      ? internal[META.kmsSealedKey]
      : kind === 'SSE-S3'
        ? internal[META.s3SealedKey]
        : internal[META.ssecSealedKey];
  const algorithm = internal[META.sealAlgorithm];
  if (algorithm === undefined) throw corrupted('the seal algorithm is missing');
  const sealed: SealedObjectKey = {
    iv: b64(internal[META.iv], 'the IV', 32),
    algorithm,
    sealedKey: b64(sealedKeyText, 'the sealed key', 64),
  };
  const multipart = internal[META.multipart] !== undefined;
  if (kind === 'SSE-C') return { kind, sealed, multipart };
  const keyId = internal[META.kmsKeyId];
  const dataKey = internal[META.kmsDataKey];
  if ((keyId === undefined) !== (dataKey === undefined) || keyId === undefined) {
    throw corrupted('the KMS key id and sealed data key must both be present');
  }
  return {
    kind,
    sealed,
    keyId,
    dataKey: b64(dataKey, 'the KMS data key'),
    context: internal[META.context],
    multipart,
  };
}
