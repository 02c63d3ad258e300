import { CryptoError } from './errors.js';

// "expand 32-byte k" as four little-endian words.
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  // Additions wrap through `>>> 0` on store (Uint32Array); rotations are done on 32-bit values.
  s[a] = s[a]! + s[b]!;
  s[d] = s[d]! ^ s[a]!;
  s[d] = (s[d]! << 16) | (s[d]! >>> 16);
  s[c] = s[c]! + s[d]!;
  s[b] = s[b]! ^ s[c]!;
  s[b] = (s[b]! << 12) | (s[b]! >>> 20);
  s[a] = s[a]! + s[b]!;
  s[d] = s[d]! ^ s[a]!;
  s[d] = (s[d]! << 8) | (s[d]! >>> 24);
  s[c] = s[c]! + s[d]!;
  s[b] = s[b]! ^ s[c]!;
  s[b] = (s[b]! << 7) | (s[b]! >>> 25);
}

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha §2.2): derives a 32-byte subkey from a 32-byte key and a
 * 16-byte input by running the 20 ChaCha rounds over (constants, key, input) and returning state
 * words 0–3 and 12–15, little-endian, without the final feed-forward. KES and MinIO use it as the
 * sealing-key derivation for ChaCha20 keys (Node's crypto has no HChaCha20).
 *
 * Throws `CryptoError('hchacha20/invalid-input')` unless `key` is 32 bytes and `nonce16` 16 bytes.
 * The returned Buffer is a secret: zeroize it after use. Branch-free and table-free, so its
 * timing does not depend on the key.
 */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  if (key.length !== 32) throw new CryptoError('hchacha20/invalid-input', `invalid key size ${key.length}`);
  if (nonce16.length !== 16) {
    throw new CryptoError('hchacha20/invalid-input', `invalid nonce size ${nonce16.length}`);
  }
  const k = Buffer.from(key.buffer, key.byteOffset, 32);
  const n = Buffer.from(nonce16.buffer, nonce16.byteOffset, 16);
  const s = new Uint32Array(16);
  s.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) s[4 + i] = k.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = n.readUInt32LE(4 * i);
  for (let round = 0; round < 10; round++) {
    quarterRound(s, 0, 4, 8, 12);
    quarterRound(s, 1, 5, 9, 13);
    quarterRound(s, 2, 6, 10, 14);
    quarterRound(s, 3, 7, 11, 15);
    quarterRound(s, 0, 5, 10, 15);
    quarterRound(s, 1, 6, 11, 12);
    quarterRound(s, 2, 7, 8, 13);
    quarterRound(s, 3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE(s[i]!, 4 * i);
    out.writeUInt32LE(s[12 + i]!, 16 + 4 * i);
  }
  s.fill(0);
  return out;
}
