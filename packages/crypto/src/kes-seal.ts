// KES data-key sealing (docs/kes-protocol.md#keys-and-sealing), which MinIO's builtin single-key KMS shares
// (docs/minio-sse.md#static-key). One master key seals many messages; each message gets a fresh
// 16-byte IV that derives a one-time sealing key and a fresh 12-byte AEAD nonce:
//   AES256:   sealingKey = HMAC-SHA256(masterKey, iv)  → AES-256-GCM
//   ChaCha20: sealingKey = HChaCha20(masterKey, iv)    → ChaCha20-Poly1305 (IETF, 12-byte nonce)
// with the caller's context bytes as associated data. Current KES writes the raw layout
// sealed ‖ iv ‖ nonce; older releases wrote JSON (≤ v0.19.1) and MessagePack (v0.19.2 – 2023),
// which must stay readable.
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { CryptoError } from './errors.js';
import { hchacha20 } from './hchacha20.js';
import { secureRandomBytes } from './random.js';
import { zeroize } from './secrets.js';

/** Cipher of a KES master key. `AES256` is what we create; `ChaCha20` exists to read old keys. */
export type KesKeyCipher = 'AES256' | 'ChaCha20';

/**
 * Codes of the CryptoErrors thrown by {@link sealDataKey} and {@link openDataKey}:
 * - `kes/decryption-failed`: wrong key, wrong context (AAD) or tampered bytes. Maps to KES's 400
 *   `decryption failed: ciphertext is not authentic`; the error's message is exactly that text.
 * - `kes/invalid-ciphertext`: bytes that are not a ciphertext in any format (too short, a JSON or
 *   MessagePack ciphertext with a bad IV/nonce size or unknown algorithm). Also a 400 in KES.
 * - `kes/invalid-key`: the master key is not 32 bytes (a configuration or programming error).
 * - `kes/invalid-cipher`: the cipher argument is neither `AES256` nor `ChaCha20`.
 */
export type KesSealErrorCode =
  | 'kes/decryption-failed'
  | 'kes/invalid-ciphertext'
  | 'kes/invalid-key'
  | 'kes/invalid-cipher';

/** Bytes the raw format adds to a plaintext: 16 (tag) + 16 (IV) + 12 (nonce). */
export const KES_CIPHERTEXT_OVERHEAD = 44;

const KEY_SIZE = 32;
const IV_SIZE = 16;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;

// Algorithm names found in old ciphertexts: JSON `aead` (≤ v0.19.1) and the MessagePack first
// element (2022 names, then the key-type names from late 2023).
const JSON_ALGORITHMS: Readonly<Record<string, KesKeyCipher>> = {
  'AES-256-GCM-HMAC-SHA-256': 'AES256',
  ChaCha20Poly1305: 'ChaCha20',
};
const MSGPACK_ALGORITHMS: Readonly<Record<string, KesKeyCipher>> = {
  'AES256-GCM_SHA256': 'AES256',
  AES256: 'AES256',
  'XCHACHA20-POLY1305': 'ChaCha20',
  ChaCha20: 'ChaCha20',
};

const NOT_AUTHENTIC = 'decryption failed: ciphertext is not authentic';

function fail(code: KesSealErrorCode, message: string): CryptoError {
  return new CryptoError(code, message);
}

function checkKey(masterKey: Uint8Array): void {
  if (masterKey.length !== KEY_SIZE) throw fail('kes/invalid-key', `invalid key size ${masterKey.length}`);
}

function checkCipher(cipher: string): asserts cipher is KesKeyCipher {
  if (cipher !== 'AES256' && cipher !== 'ChaCha20') {
    throw fail('kes/invalid-cipher', `algorithm '${String(cipher)}' is not supported`);
  }
}

function sealingKey(masterKey: Uint8Array, iv: Uint8Array, cipher: KesKeyCipher): Buffer {
  return cipher === 'AES256' ? createHmac('sha256', masterKey).update(iv).digest() : hchacha20(masterKey, iv);
}

// Both AEADs have the same shape (12-byte nonce, 16-byte tag, setAAD/setAuthTag/getAuthTag).
function createSealer(cipher: KesKeyCipher, key: Uint8Array, nonce: Uint8Array) {
  return cipher === 'AES256'
    ? createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE })
    : createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
}

function createOpener(cipher: KesKeyCipher, key: Uint8Array, nonce: Uint8Array) {
  return cipher === 'AES256'
    ? createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE })
    : createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
}

/**
 * Seals `plaintext` (a data key, or any message) under a KES master key, binding `aad` (the
 * context bytes; empty is allowed) as associated data. Returns the raw format current KES writes:
 * `ciphertext ‖ tag(16) ‖ iv(16) ‖ nonce(12)`, i.e. plaintext length + 44 bytes (76 for a 32-byte
 * data key). `cipher` is the master key's cipher, default `AES256`.
 *
 * Throws CryptoError `kes/invalid-key` (master key not 32 bytes) or `kes/invalid-cipher`.
 * Intermediate keys are zeroized; the caller owns and should zeroize `masterKey` and `plaintext`.
 */
export function sealDataKey(
  masterKey: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  cipher: KesKeyCipher = 'AES256',
): Buffer {
  checkKey(masterKey);
  checkCipher(cipher);
  const random = secureRandomBytes(IV_SIZE + NONCE_SIZE);
  const iv = random.subarray(0, IV_SIZE);
  const nonce = random.subarray(IV_SIZE);
  const key = sealingKey(masterKey, iv, cipher);
  try {
    const aead = createSealer(cipher, key, nonce);
    aead.setAAD(aad);
    const body = aead.update(plaintext);
    aead.final();
    return Buffer.concat([body, aead.getAuthTag(), random]);
  } finally {
    zeroize(key);
  }
}

/** The parts of a ciphertext, whatever format it came in. */
interface SealedParts {
  sealed: Uint8Array;
  iv: Uint8Array;
  nonce: Uint8Array;
  /** Cipher named inside a JSON/MessagePack ciphertext; absent for raw. */
  cipher?: KesKeyCipher;
}

/** A structured (JSON/MessagePack) ciphertext that parsed, but whose fields are unusable. */
interface Malformed {
  malformed: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a Go `[]byte` JSON field (standard base64; `null` or missing = empty). */
function base64Field(value: unknown): Uint8Array | undefined {
  if (value === null || value === undefined) return new Uint8Array(0);
  if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 === 1) return undefined;
  return Buffer.from(value, 'base64');
}

function checkParts(
  algorithm: string,
  names: Readonly<Record<string, KesKeyCipher>>,
  iv: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
): SealedParts | Malformed {
  const cipher = Object.hasOwn(names, algorithm) ? names[algorithm] : undefined;
  if (cipher === undefined) return { malformed: `invalid algorithm: ${algorithm.slice(0, 64)}` };
  if (iv.length !== IV_SIZE) return { malformed: `invalid iv size ${iv.length}` };
  if (nonce.length !== NONCE_SIZE) return { malformed: `invalid nonce size ${nonce.length}` };
  if (sealed.length < TAG_SIZE) return { malformed: `invalid ciphertext size ${sealed.length}` };
  return { sealed, iv, nonce, cipher };
}

/**
 * JSON ciphertext `{"aead","id","iv","nonce","bytes"}`. Field names match case-insensitively and
 * the last duplicate wins, as in Go's decoder; `id` is ignored (HEAD KES ignores it too). Returns
 * `undefined` when the bytes are not a JSON object at all, so they are tried as raw.
 */
function parseJson(ct: Uint8Array): SealedParts | Malformed | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(ct.buffer, ct.byteOffset, ct.length).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) fields[k.toLowerCase()] = v;
  const aead = fields['aead'];
  if (typeof aead !== 'string') return { malformed: 'invalid algorithm: missing' };
  const iv = base64Field(fields['iv']);
  const nonce = base64Field(fields['nonce']);
  const sealed = base64Field(fields['bytes']);
  if (!iv || !nonce || !sealed) return { malformed: 'invalid ciphertext: iv, nonce or bytes is not base64' };
  return checkParts(aead, JSON_ALGORITHMS, iv, nonce, sealed);
}

/**
 * MessagePack ciphertext: fixarray(5) [algorithm str, key-ID str, bin(16) iv, bin(12) nonce,
 * bin sealed], nothing after it. Returns `undefined` when the bytes do not decode as that shape.
 */
function parseMsgpack(ct: Uint8Array): SealedParts | Malformed | undefined {
  let value: unknown;
  try {
    // The limits stop a hostile length prefix from allocating more than the input could hold.
    const max = ct.length;
    value = decodeMsgpack(ct, {
      maxStrLength: max,
      maxBinLength: max,
      maxArrayLength: 5,
      maxMapLength: 0,
      maxExtLength: max,
    });
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 5) return undefined;
  const [algorithm, id, iv, nonce, sealed] = value as unknown[];
  if (typeof algorithm !== 'string' || typeof id !== 'string') return undefined;
  if (!(iv instanceof Uint8Array && nonce instanceof Uint8Array && sealed instanceof Uint8Array)) {
    return undefined;
  }
  return checkParts(algorithm, MSGPACK_ALGORITHMS, iv, nonce, sealed);
}

function parseRaw(ct: Uint8Array): SealedParts {
  const end = ct.length;
  return {
    sealed: ct.subarray(0, end - IV_SIZE - NONCE_SIZE),
    iv: ct.subarray(end - IV_SIZE - NONCE_SIZE, end - NONCE_SIZE),
    nonce: ct.subarray(end - NONCE_SIZE),
  };
}

/** Opens sealed parts, or returns `undefined` when authentication fails. */
function tryOpen(masterKey: Uint8Array, parts: SealedParts, aad: Uint8Array, cipher: KesKeyCipher) {
  const key = sealingKey(masterKey, parts.iv, cipher);
  const bodyLength = parts.sealed.length - TAG_SIZE;
  let body: Buffer | undefined;
  try {
    const aead = createOpener(cipher, key, parts.nonce);
    aead.setAuthTag(parts.sealed.subarray(bodyLength));
    aead.setAAD(aad);
    body = aead.update(parts.sealed.subarray(0, bodyLength));
    aead.final();
    return body;
  } catch {
    zeroize(body); // unauthenticated plaintext must not linger
    return undefined;
  } finally {
    zeroize(key);
  }
}

/**
 * Opens a KES ciphertext sealed under `masterKey` with associated data `aad` (the exact context
 * bytes used when sealing; empty when there was none) and returns the plaintext.
 *
 * Accepts every format KES and MinIO's builtin KMS ever wrote: raw `sealed ‖ iv ‖ nonce`, JSON
 * `{"aead","id","iv","nonce","bytes"}` (first byte `{`) and MessagePack fixarray(5) (first byte
 * 0x95). Bytes that begin like JSON/MessagePack but do not parse as such are read as raw, since a
 * raw ciphertext may begin with either byte.
 *
 * Cipher choice: when `cipher` is given it is the master key's cipher and wins, as in KES (the
 * algorithm inside a JSON/MessagePack ciphertext must still be a known name). When omitted, the
 * algorithm inside a JSON/MessagePack ciphertext decides and raw means AES256, as in MinIO's
 * builtin KMS, whose key has no cipher of its own.
 *
 * Throws CryptoError (see {@link KesSealErrorCode}): `kes/decryption-failed` for a wrong key,
 * wrong AAD or tampering; `kes/invalid-ciphertext` for malformed input; `kes/invalid-key`;
 * `kes/invalid-cipher`. Never returns unauthenticated bytes. The caller owns the returned secret.
 */
export function openDataKey(
  masterKey: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  cipher?: KesKeyCipher,
): Buffer {
  checkKey(masterKey);
  if (cipher !== undefined) checkCipher(cipher);
  const first = ciphertext[0];
  const structured =
    first === 0x7b ? parseJson(ciphertext) : first === 0x95 ? parseMsgpack(ciphertext) : undefined;
  if (structured && !('malformed' in structured)) {
    const plaintext = tryOpen(masterKey, structured, aad, cipher ?? structured.cipher ?? 'AES256');
    if (plaintext === undefined) throw fail('kes/decryption-failed', NOT_AUTHENTIC);
    return plaintext;
  }
  const malformed = structured?.malformed;
  if (ciphertext.length < KES_CIPHERTEXT_OVERHEAD) {
    throw fail('kes/invalid-ciphertext', malformed ?? `invalid ciphertext size ${ciphertext.length}`);
  }
  const plaintext = tryOpen(masterKey, parseRaw(ciphertext), aad, cipher ?? 'AES256');
  if (plaintext !== undefined) return plaintext;
  if (malformed !== undefined) throw fail('kes/invalid-ciphertext', malformed);
  throw fail('kes/decryption-failed', NOT_AUTHENTIC);
}
