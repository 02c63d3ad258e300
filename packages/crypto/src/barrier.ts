// Vault's storage barrier format (docs/vault.md#barrier-and-keyring): every value Vault stores behind the barrier
// is term(4, big-endian) ‖ version(1) ‖ nonce(12) ‖ AES-GCM ciphertext ‖ tag(16), encrypted with
// the keyring key of that term. Version 2 authenticates the storage path as associated data, so a
// value copied to another path does not decrypt; version 1 (older Vaults) has no associated data.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from './errors.js';
import { secureRandomBytes } from './random.js';
import { zeroize } from './secrets.js';

/** Version byte of values written without associated data (read only). */
export const BARRIER_VERSION_1 = 0x01;
/** Version byte of values written with the storage path as associated data (what we write). */
export const BARRIER_VERSION_2 = 0x02;

const TERM_SIZE = 4;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const HEADER_SIZE = TERM_SIZE + 1;
/** Smallest barrier value: header, nonce and tag around an empty plaintext (33 bytes). */
const MIN_SIZE = HEADER_SIZE + NONCE_SIZE + TAG_SIZE;

type GcmAlgorithm = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

function gcmFor(key: Uint8Array): GcmAlgorithm {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new CryptoError('barrier/invalid-key', `key size must be 16, 24 or 32, got ${key.length}`);
  }
}

function pathAad(version: number, path: string): Buffer {
  return version === BARRIER_VERSION_2 ? Buffer.from(path, 'utf8') : Buffer.alloc(0);
}

/**
 * Encrypts `plaintext` for storage at `path` under the keyring key of `term`, in Vault's current
 * format: `term (uint32 BE) ‖ 0x02 ‖ nonce(12, random) ‖ ciphertext ‖ tag(16)` — plaintext length
 * + 33 bytes. The path's UTF-8 bytes are the associated data (an empty path means none, as in
 * Vault). `key` is 16, 24 or 32 bytes (AES-128/192/256-GCM; Vault generates 32).
 *
 * Throws `CryptoError('barrier/invalid-key')` for another key size and
 * `CryptoError('barrier/invalid-term')` unless `term` is an integer in 0…2^32−1.
 */
export function barrierEncrypt(key: Uint8Array, term: number, path: string, plaintext: Uint8Array): Buffer {
  const algorithm = gcmFor(key);
  if (!Number.isInteger(term) || term < 0 || term > 0xffffffff) {
    throw new CryptoError('barrier/invalid-term', `term must be a uint32, got ${term}`);
  }
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32BE(term, 0);
  header[TERM_SIZE] = BARRIER_VERSION_2;
  const nonce = secureRandomBytes(NONCE_SIZE);
  const gcm = createCipheriv(algorithm, key, nonce, { authTagLength: TAG_SIZE });
  gcm.setAAD(pathAad(BARRIER_VERSION_2, path));
  const body = gcm.update(plaintext);
  gcm.final();
  return Buffer.concat([header, nonce, body, gcm.getAuthTag()]);
}

/**
 * Reads the key term of a barrier value (its first four bytes, big-endian) without decrypting.
 * Throws `CryptoError('barrier/invalid-ciphertext')` when the value is shorter than four bytes.
 */
export function barrierTerm(blob: Uint8Array): number {
  if (blob.length === 0) throw new CryptoError('barrier/invalid-ciphertext', 'empty ciphertext');
  if (blob.length < TERM_SIZE) throw new CryptoError('barrier/invalid-ciphertext', 'invalid ciphertext term');
  return Buffer.from(blob.buffer, blob.byteOffset, TERM_SIZE).readUInt32BE(0);
}

/**
 * Decrypts a barrier value stored at `path`, version 1 (no associated data) or 2 (path as
 * associated data). The key comes from `keyForTerm(term)` for the value's term; return `undefined`
 * for a term the keyring does not hold.
 *
 * Throws CryptoError:
 * - `barrier/invalid-ciphertext`: `empty ciphertext`, `invalid ciphertext term` (< 4 bytes),
 *   `invalid cipher length` (shorter than the 33-byte minimum), `version bytes mis-match`
 *   (version byte neither 1 nor 2) — Vault's texts;
 * - `barrier/unknown-term`: `no decryption key available for term N`;
 * - `barrier/invalid-key`: the key for the term is not 16, 24 or 32 bytes;
 * - `barrier/authentication-failed`: wrong key, wrong path (version 2) or tampered bytes, with
 *   Vault's message `decryption failed: cipher: message authentication failed`.
 * Never returns unauthenticated bytes.
 */
export function barrierDecrypt(
  keyForTerm: (term: number) => Uint8Array | undefined,
  path: string,
  blob: Uint8Array,
): Buffer {
  const term = barrierTerm(blob);
  const key = keyForTerm(term);
  if (key === undefined) {
    throw new CryptoError('barrier/unknown-term', `no decryption key available for term ${term}`);
  }
  const algorithm = gcmFor(key);
  if (blob.length < MIN_SIZE) throw new CryptoError('barrier/invalid-ciphertext', 'invalid cipher length');
  const version = blob[TERM_SIZE]!;
  if (version !== BARRIER_VERSION_1 && version !== BARRIER_VERSION_2) {
    throw new CryptoError('barrier/invalid-ciphertext', 'version bytes mis-match');
  }
  const nonce = blob.subarray(HEADER_SIZE, HEADER_SIZE + NONCE_SIZE);
  const body = blob.subarray(HEADER_SIZE + NONCE_SIZE, blob.length - TAG_SIZE);
  let plaintext: Buffer | undefined;
  try {
    const gcm = createDecipheriv(algorithm, key, nonce, { authTagLength: TAG_SIZE });
    gcm.setAuthTag(blob.subarray(blob.length - TAG_SIZE));
    gcm.setAAD(pathAad(version, path));
    plaintext = gcm.update(body);
    gcm.final();
    return plaintext;
  } catch {
    zeroize(plaintext); // unauthenticated plaintext must not linger
    throw new CryptoError(
      'barrier/authentication-failed',
      'decryption failed: cipher: message authentication failed',
    );
  }
}
