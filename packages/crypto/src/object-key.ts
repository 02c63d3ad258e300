// MinIO's object-key hierarchy: object keys (OEK) generated from an external key, sealed under a KEK bound
// to domain and path, part keys, sealed ETags and the derived metadata keys (docs/minio-sse.md#derivations,
// #multipart-encryption and #etags).
import { createHash, createHmac } from 'node:crypto';
import { dareOpen, dareSeal } from './dare.js';
import type { DareCipher } from './dare-core.js';
import { CryptoError } from './errors.js';
import { goPathJoin } from './go-path.js';
import { secureRandomBytes } from './random.js';

/** Seal algorithm tag of every key MinIO seals today. */
export const SEAL_ALGORITHM = 'DAREv2-HMAC-SHA256';
/** Legacy seal algorithm tag (SSE-C objects written before 2018); unsealed, never written. */
export const LEGACY_SEAL_ALGORITHM = 'DARE-SHA256';

/** The domain string bound into the KEK: which SSE flavour sealed the key. */
export type SseDomain = 'SSE-C' | 'SSE-S3' | 'SSE-KMS';

/**
 * Stable codes of the CryptoErrors raised here. `sse/invalid-key`: an external or object key is not 32
 * bytes, or an IV/random input has the wrong length; `sse/invalid-argument`: another argument is out of
 * its domain; `sse/secret-key-mismatch`: a sealed object key did not unseal (any cause: wrong key, path,
 * domain, algorithm, tampering, malformed input; MinIO answers 403 AccessDenied). ETag unsealing keeps the
 * DARE codes (`dare/...`).
 */
export type SseErrorCode = 'sse/invalid-key' | 'sse/invalid-argument' | 'sse/secret-key-mismatch';

/** A sealed object key as MinIO stores it (base64 of `iv` and `sealedKey` in the object's metadata). */
export interface SealedObjectKey {
  /** The random 32-byte IV bound into the KEK. */
  iv: Buffer;
  /** `DAREv2-HMAC-SHA256` (or, legacy SSE-C only, `DARE-SHA256`). */
  algorithm: string;
  /** The DARE-sealed object key: 64 bytes. */
  sealedKey: Buffer;
}

/** What a sealed object key is bound to. */
export interface ObjectKeyBinding {
  domain: SseDomain;
  bucket: string;
  object: string;
}

/** Options of {@link sealObjectKey}. */
export interface SealObjectKeyOptions extends ObjectKeyBinding {
  /** The 32-byte seal IV; default 32 fresh random bytes. */
  iv?: Uint8Array | undefined;
  /** DARE cipher of the sealed key (default AES-256-GCM). */
  cipher?: DareCipher | undefined;
  /** DARE stream nonce of the sealed key (default random); for reproducible tests only. */
  nonce?: Uint8Array | undefined;
}

function sseError(code: SseErrorCode, message: string): CryptoError {
  return new CryptoError(code, message);
}

function check32(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    throw sseError('sse/invalid-key', `${what} must be 32 bytes`);
  }
}

function hmac(key: Uint8Array, ...parts: Array<Uint8Array | string>): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const DOMAINS: ReadonlySet<string> = new Set(['SSE-C', 'SSE-S3', 'SSE-KMS']);

function checkDomain(domain: string): void {
  if (!DOMAINS.has(domain))
    throw sseError('sse/invalid-argument', `unknown SSE domain ${JSON.stringify(domain)}`);
}

/**
 * A fresh object encryption key: `HMAC-SHA256(key = extKey, "object-encryption-key generation" ‖ R)` with
 * R = `random` (32 bytes) or 32 fresh random bytes. Returns a new 32-byte Buffer (the caller zeroes it
 * when done). Throws CryptoError `sse/invalid-key` unless `extKey` and `random` are 32 bytes.
 */
export function generateObjectKey(extKey: Uint8Array, random?: Uint8Array): Buffer {
  check32(extKey, 'an external key');
  if (random !== undefined) check32(random, 'the random input');
  const r = random ?? secureRandomBytes(32);
  const oek = hmac(extKey, 'object-encryption-key generation', r);
  if (random === undefined) r.fill(0);
  return oek;
}

/**
 * The key-encryption key of a sealed object key: `HMAC-SHA256(key = extKey, iv ‖ domain ‖
 * "DAREv2-HMAC-SHA256" ‖ goPathJoin(bucket, object))`. Exported for tests and tools; sealing and unsealing
 * derive it themselves. Throws CryptoError `sse/invalid-key` / `sse/invalid-argument` on bad input.
 */
export function objectKeySealingKey(extKey: Uint8Array, iv: Uint8Array, binding: ObjectKeyBinding): Buffer {
  check32(extKey, 'an external key');
  check32(iv, 'a seal IV');
  checkDomain(binding.domain);
  return hmac(extKey, iv, binding.domain, SEAL_ALGORITHM, goPathJoin(binding.bucket, binding.object));
}

/**
 * Seal a 32-byte object key for storage, as MinIO does: KEK = {@link objectKeySealingKey}, sealed key =
 * DARE 2.0 of the OEK under the KEK (64 bytes, random stream nonce). Returns fresh Buffers; the KEK is
 * zeroed. Throws CryptoError `sse/invalid-key` for a wrong-length key or IV, `sse/invalid-argument` for an
 * unknown domain, `dare/invalid-option` / `dare/invalid-nonce` for bad DARE options.
 */
export function sealObjectKey(
  oek: Uint8Array,
  extKey: Uint8Array,
  options: SealObjectKeyOptions,
): SealedObjectKey {
  check32(oek, 'an object key');
  if (options.iv !== undefined) check32(options.iv, 'a seal IV');
  const iv = Buffer.alloc(32);
  iv.set(options.iv ?? secureRandomBytes(32));
  const kek = objectKeySealingKey(extKey, iv, options);
  try {
    const sealedKey = dareSeal(kek, oek, { cipher: options.cipher, nonce: options.nonce });
    return { iv, algorithm: SEAL_ALGORITHM, sealedKey };
  } finally {
    kek.fill(0);
  }
}

/**
 * Recover the object key from a sealed key. `DAREv2-HMAC-SHA256`: KEK as in {@link sealObjectKey}, DARE 2.0
 * only. `DARE-SHA256` (legacy, accepted only for domain `SSE-C`): key = `SHA256(extKey ‖ iv)`, DARE 1.0 or
 * 2.0. The result must be exactly 32 bytes. Returns a new 32-byte Buffer (the caller zeroes it).
 * Any failure — wrong external key, bucket, object, domain or algorithm, tampering, wrong lengths — throws
 * CryptoError `sse/secret-key-mismatch` (the message says which check failed, never key material).
 */
export function unsealObjectKey(
  sealed: SealedObjectKey,
  extKey: Uint8Array,
  binding: ObjectKeyBinding,
): Buffer {
  const mismatch = (why: string) =>
    sseError('sse/secret-key-mismatch', `the object key does not unseal: ${why}`);
  if (!(extKey instanceof Uint8Array) || extKey.length !== 32)
    throw mismatch('the external key is not 32 bytes');
  if (!(sealed.iv instanceof Uint8Array) || sealed.iv.length !== 32)
    throw mismatch('the seal IV is not 32 bytes');
  if (!(sealed.sealedKey instanceof Uint8Array) || sealed.sealedKey.length !== 64) {
    throw mismatch('the sealed key is not 64 bytes');
  }
  if (!DOMAINS.has(binding.domain)) throw mismatch(`unknown SSE domain ${JSON.stringify(binding.domain)}`);
  let key: Buffer;
  let allowVersion1: boolean;
  if (sealed.algorithm === SEAL_ALGORITHM) {
    key = objectKeySealingKey(extKey, sealed.iv, binding);
    allowVersion1 = false;
  } else if (sealed.algorithm === LEGACY_SEAL_ALGORITHM) {
    if (binding.domain !== 'SSE-C') throw mismatch(`${LEGACY_SEAL_ALGORITHM} is only valid for SSE-C`);
    key = createHash('sha256').update(extKey).update(sealed.iv).digest();
    allowVersion1 = true;
  } else {
    throw mismatch(`unsupported seal algorithm ${JSON.stringify(sealed.algorithm)}`);
  }
  let oek: Buffer;
  try {
    oek = dareOpen(key, sealed.sealedKey, { allowVersion1 });
  } catch (err) {
    throw mismatch(err instanceof CryptoError ? err.code : 'decryption failed');
  } finally {
    key.fill(0);
  }
  if (oek.length !== 32) {
    oek.fill(0);
    throw mismatch('the sealed value is not a 32-byte key');
  }
  return oek;
}

/**
 * The key of part `partNumber` of a multipart upload: `HMAC-SHA256(key = oek, uint32_le(partNumber))`.
 * MinIO derives it from the S3 part *number*. Returns a new 32-byte Buffer. Throws CryptoError
 * `sse/invalid-key` unless `oek` is 32 bytes, `sse/invalid-argument` unless 0 <= partNumber < 2^32.
 */
export function partKey(oek: Uint8Array, partNumber: number): Buffer {
  check32(oek, 'an object key');
  if (!Number.isInteger(partNumber) || partNumber < 0 || partNumber > 0xffff_ffff) {
    throw sseError('sse/invalid-argument', 'a part number must be an integer in [0, 2^32)');
  }
  const n = Buffer.alloc(4);
  n.writeUInt32LE(partNumber);
  return hmac(oek, n);
}

/**
 * The DARE stream nonce of a multipart part: the first 12 bytes of `SHA256(uploadId ‖ decimal(partNumber))`
 * (string concatenation, no separator). Returns a new 12-byte Buffer. Throws CryptoError
 * `sse/invalid-argument` unless partNumber is a non-negative safe integer.
 */
export function multipartPartNonce(uploadId: string, partNumber: number): Buffer {
  if (!Number.isSafeInteger(partNumber) || partNumber < 0) {
    throw sseError('sse/invalid-argument', 'a part number must be a non-negative integer');
  }
  const digest = createHash('sha256').update(`${uploadId}${partNumber}`).digest();
  return Buffer.from(digest.subarray(0, 12));
}

/** `HMAC-SHA256(key = oek, label)`: a 32-byte key derived from the object key. Throws `sse/invalid-key`. */
function deriveKey(oek: Uint8Array, label: string): Buffer {
  check32(oek, 'an object key');
  return hmac(oek, label);
}

/** The ETag sealing key: `HMAC-SHA256(key = oek, "SSE-etag")`, a new 32-byte Buffer. Throws `sse/invalid-key`. */
export function etagKey(oek: Uint8Array): Buffer {
  return deriveKey(oek, 'SSE-etag');
}

/** The key that encrypts an object's stored checksum: `HMAC-SHA256(key = oek, "object-checksum")`. Throws `sse/invalid-key`. */
export function objectChecksumKey(oek: Uint8Array): Buffer {
  return deriveKey(oek, 'object-checksum');
}

/** The key that encrypts a compressed object's index: `HMAC-SHA256(key = oek, "compression-index")`. Throws `sse/invalid-key`. */
export function compressionIndexKey(oek: Uint8Array): Buffer {
  return deriveKey(oek, 'compression-index');
}

/**
 * True when a stored ETag is sealed, i.e. longer than 16 bytes (MinIO's rule: a plain MD5 is 16 bytes;
 * a sealed one is DARE of it, 48 bytes).
 */
export function isETagSealed(etag: Uint8Array): boolean {
  return etag.length > 16;
}

/**
 * Seal an ETag (normally the 16-byte MD5 or its random stand-in) with DARE 2.0 under {@link etagKey}: 16
 * bytes become 48 (hex starts `20000f00` for AES-GCM). An empty ETag is returned as a new empty Buffer,
 * unsealed, as MinIO does. Throws `sse/invalid-key` unless `oek` is 32 bytes.
 */
export function sealETag(
  oek: Uint8Array,
  etag: Uint8Array,
  options: { cipher?: DareCipher | undefined; nonce?: Uint8Array | undefined } = {},
): Buffer {
  if (etag.length === 0) {
    check32(oek, 'an object key');
    return Buffer.alloc(0);
  }
  const key = etagKey(oek);
  try {
    return dareSeal(key, etag, options);
  } finally {
    key.fill(0);
  }
}

/**
 * Recover an ETag sealed by {@link sealETag}. A value that is not sealed ({@link isETagSealed} false: 16
 * bytes or fewer) is returned unchanged as a copy, as MinIO does. Throws CryptoError with the DARE code of
 * the failure (`dare/authentication-failed` for a wrong key or tampering, ...), `sse/invalid-key` unless
 * `oek` is 32 bytes.
 */
export function unsealETag(oek: Uint8Array, sealed: Uint8Array): Buffer {
  if (!isETagSealed(sealed)) {
    check32(oek, 'an object key');
    return Buffer.from(sealed);
  }
  const key = etagKey(oek);
  try {
    return dareOpen(key, sealed);
  } finally {
    key.fill(0);
  }
}
