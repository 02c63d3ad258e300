// A KES master key and its stored form (docs/kes-protocol.md#stored-keys). We write the JSON shape
// of KES v0.19.2+ (`{"bytes","algorithm","created_at","created_by"}`), which every real KES version
// reads, and read that shape, its older `{"bytes"}` form and HEAD's base64-protobuf `KeyVersion`.
import { createHmac, randomBytes } from 'node:crypto';
import { type KesKeyCipher, openDataKey, sealDataKey, secureRandomBytes, zeroize } from '@kms-chain/crypto';

/** A master key in memory. `bytes` is secret: never log it. */
export interface KesKey {
  bytes: Buffer;
  cipher: KesKeyCipher;
  /** RFC 3339 creation time, '' when the stored form has none. */
  createdAt: string;
  /** Identity (hex) of the creator, '' when unknown. */
  createdBy: string;
}

/** Thrown when a stored value cannot be decoded; the server reports it as a keystore failure. */
export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFormatError';
  }
}

const cipherNames: Record<string, KesKeyCipher> = {
  AES256: 'AES256',
  'AES256-GCM_SHA256': 'AES256',
  'AES-256-GCM-HMAC-SHA-256': 'AES256',
  ChaCha20: 'ChaCha20',
  'XCHACHA20-POLY1305': 'ChaCha20',
  ChaCha20Poly1305: 'ChaCha20',
};

/** Maps the algorithm spellings of every KES era to a cipher; undefined when unknown. */
export function parseCipher(name: string): KesKeyCipher | undefined {
  return Object.hasOwn(cipherNames, name) ? cipherNames[name] : undefined;
}

/**
 * 32 fresh CSPRNG bytes for a data key (the caller owns and zeroizes the result). Generate is the
 * hot path: the draw comes from crypto's wiped-as-used pool rather than one CSPRNG call per key.
 */
export function randomDataKey(): Buffer {
  return secureRandomBytes(32);
}

/** A fresh random AES256 key (Node always has AES-GCM; docs/kes-protocol.md#keys-and-sealing). */
export function newKey(createdBy: string, now = new Date()): KesKey {
  return { bytes: randomBytes(32), cipher: 'AES256', createdAt: rfc3339(now), createdBy };
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The value stored in the keystore. */
export function encodeKey(key: KesKey): string {
  return JSON.stringify({
    bytes: key.bytes.toString('base64'),
    algorithm: key.cipher,
    created_at: key.createdAt,
    created_by: key.createdBy,
  });
}

/** Decodes a stored value of any KES era; KeyFormatError when it is none of them. */
export function decodeKey(value: string): KesKey {
  const text = value.trim();
  if (text.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new KeyFormatError('stored key is not valid JSON');
    }
    const o = doc as Record<string, unknown>;
    if (typeof o.bytes !== 'string') throw new KeyFormatError('stored key has no bytes');
    const bytes = Buffer.from(o.bytes, 'base64');
    const cipher =
      typeof o.algorithm === 'string' && o.algorithm !== '' ? parseCipher(o.algorithm) : 'AES256';
    if (!cipher) throw new KeyFormatError('stored key has an unknown algorithm');
    if (bytes.length !== 32) throw new KeyFormatError('stored key has the wrong length');
    return {
      bytes,
      cipher,
      createdAt: typeof o.created_at === 'string' ? o.created_at : '',
      createdBy: typeof o.created_by === 'string' ? o.created_by : '',
    };
  }
  return decodeProtobufKey(text);
}

// HEAD (2024+) stores base64(protobuf KeyVersion{1: SecretKey{1: bytes, 2: type}, 2: HMACKey,
// 3: Timestamp{1: seconds, 2: nanos}, 4: created_by}). Only the fields we need are read.
function decodeProtobufKey(text: string): KesKey {
  const buf = Buffer.from(text, 'base64');
  if (buf.length === 0) throw new KeyFormatError('stored key is empty');
  const top = readProto(buf);
  const secret = top.get(1);
  if (!(secret instanceof Buffer)) throw new KeyFormatError('stored key has no secret');
  const sk = readProto(secret);
  const bytes = sk.get(1);
  if (!(bytes instanceof Buffer) || bytes.length !== 32)
    throw new KeyFormatError('stored key has the wrong length');
  const type = sk.get(2);
  const cipher: KesKeyCipher = type === 2 ? 'ChaCha20' : 'AES256';
  let createdAt = '';
  const ts = top.get(3);
  if (ts instanceof Buffer) {
    const secs = readProto(ts).get(1);
    if (typeof secs === 'number') createdAt = rfc3339(new Date(secs * 1000));
  }
  const by = top.get(4);
  return {
    bytes: Buffer.from(bytes),
    cipher,
    createdAt,
    createdBy: by instanceof Buffer ? by.toString('utf8') : '',
  };
}

function readProto(buf: Buffer): Map<number, Buffer | number> {
  const out = new Map<number, Buffer | number>();
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new KeyFormatError('stored key: truncated protobuf');
      const b = buf[i++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new KeyFormatError('stored key: bad varint');
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) out.set(field, varint());
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new KeyFormatError('stored key: truncated protobuf');
      out.set(field, buf.subarray(i, i + len));
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new KeyFormatError('stored key: unsupported protobuf');
  }
  return out;
}

/** Seals `plaintext` under the key with `context` as associated data: the raw 76-byte format for a DEK. */
export function encryptWith(key: KesKey, plaintext: Uint8Array, context: Uint8Array): Buffer {
  return sealDataKey(key.bytes, plaintext, context, key.cipher);
}

/** Opens a raw, JSON or msgpack ciphertext; throws when it is not authentic. */
export function decryptWith(key: KesKey, ciphertext: Uint8Array, context: Uint8Array): Buffer {
  return openDataKey(key.bytes, ciphertext, context, key.cipher);
}

/**
 * HMAC-SHA256 of `message`. Divergence (docs/kes-protocol.md#stored-keys): we store keys in the
 * JSON form, which has no HMAC key, so the HMAC key is derived as HMAC-SHA256(key bytes,
 * "kes-chain hmac key v1"). Real KES answers 409 `key does not support HMAC` for JSON-stored keys
 * instead.
 */
export function hmacWith(key: KesKey, message: Uint8Array): Buffer {
  const hk = createHmac('sha256', key.bytes).update('kes-chain hmac key v1').digest();
  try {
    return createHmac('sha256', hk).update(message).digest();
  } finally {
    zeroize(hk);
  }
}
