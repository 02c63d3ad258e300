// Shamir secret sharing with Vault's exact share layout (docs/vault.md#shamir-shares).
//
// Written here rather than taken from npm. The one audited library with Vault's byte layout,
// `shamir-secret-sharing` (Privy; Cure53 and Zellic audits), multiplies through log/exp tables
// indexed by secret bytes (not constant-time), is async, draws x-coordinates with a biased shuffle
// (random byte mod 255) and has its own error texts; other audited ones (e.g. `secrets.js-grempe`)
// use a different share encoding (hex strings with a bits/id prefix).
//
// The field is GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (0x11B), as in Vault and AES. The arithmetic
// is constant-time in the sense that matters in JS: no table lookups and no branches indexed by
// secret values (multiplication is a fixed 8-step shift-and-add with masks; inversion is a fixed
// exponentiation a^254).
import { randomBytes, randomInt } from 'node:crypto';
import { CryptoError } from './errors.js';
import { zeroize } from './secrets.js';

/**
 * Multiplies two elements of GF(2^8) modulo 0x11B. Inputs are bytes (0–255); the result is a byte.
 * Runs the same operations whatever the values (no secret-dependent branches or lookups).
 */
export function gf256Mul(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    product ^= -(b & 1) & a; // add a when the low bit of b is set
    const carry = -((a >> 7) & 1) & 0x1b; // reduce by 0x11B when a overflows
    a = ((a << 1) ^ carry) & 0xff;
    b >>= 1;
  }
  return product;
}

/**
 * Multiplicative inverse in GF(2^8) modulo 0x11B, computed as a^254 with a fixed chain of 13
 * multiplications (constant-time). Maps 0 to 0, which callers must never divide by.
 */
export function gf256Inverse(a: number): number {
  let power = gf256Mul(a, a); // a^2
  let result = power;
  for (let i = 0; i < 6; i++) {
    power = gf256Mul(power, power); // a^4, a^8, …, a^128
    result = gf256Mul(result, power); // a^(2+4+…) → a^254 at the end
  }
  return result;
}

/** Vault's x-coordinates: a uniformly random permutation of 1…255 (Fisher–Yates), first n used. */
function shuffledXCoordinates(n: number): Uint8Array {
  const xs = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs.subarray(0, n);
}

function splitError(message: string): CryptoError {
  return new CryptoError('shamir/invalid-split', message);
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which reconstruct it (Vault's
 * `shamir.Split`). Each share is `secret.length + 1` bytes: one y byte per secret byte (each
 * secret byte has its own random polynomial of degree threshold−1), then a trailing tag byte
 * holding the share's x-coordinate. The x-coordinates are distinct and drawn at random from 1…255.
 * A 32-byte secret gives 33-byte shares.
 *
 * Requires 2 ≤ threshold ≤ parts ≤ 255 (integers) and a non-empty secret; otherwise throws
 * `CryptoError('shamir/invalid-split')` with Vault's message, checked in Vault's order:
 * `parts cannot be less than threshold`, `parts cannot exceed 255`, `threshold must be at least 2`,
 * `threshold cannot exceed 255`, `cannot split an empty secret`. The polynomial coefficients are
 * zeroized before returning; the caller owns (and should zeroize) the secret and the shares.
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number): Buffer[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) {
    throw splitError('parts and threshold must be integers');
  }
  if (parts < threshold) throw splitError('parts cannot be less than threshold');
  if (parts > 255) throw splitError('parts cannot exceed 255');
  if (threshold < 2) throw splitError('threshold must be at least 2');
  if (threshold > 255) throw splitError('threshold cannot exceed 255');
  if (secret.length === 0) throw splitError('cannot split an empty secret');

  const length = secret.length;
  const degree = threshold - 1;
  const xs = shuffledXCoordinates(parts);
  const shares = Array.from(xs, (x) => {
    const share = Buffer.alloc(length + 1);
    share[length] = x;
    return share;
  });
  // coefficients[idx * degree + k] is the x^(k+1) coefficient of the polynomial for secret[idx].
  const coefficients = randomBytes(length * degree);
  try {
    for (let idx = 0; idx < length; idx++) {
      const base = idx * degree;
      for (let i = 0; i < parts; i++) {
        const x = xs[i]!;
        // Horner: ((c_d·x + c_{d−1})·x + …)·x + secret
        let y = coefficients[base + degree - 1]!;
        for (let k = degree - 2; k >= 0; k--) y = gf256Mul(y, x) ^ coefficients[base + k]!;
        shares[i]![idx] = gf256Mul(y, x) ^ secret[idx]!;
      }
    }
  } finally {
    zeroize(coefficients);
  }
  return shares;
}

function combineError(message: string, code = 'shamir/invalid-parts'): CryptoError {
  return new CryptoError(code, message);
}

/**
 * Reconstructs a secret from shares made by {@link shamirSplit} or Vault (`shamir.Combine`):
 * Lagrange interpolation at x = 0 of every byte position, the x-coordinate being each share's
 * trailing tag byte. Returns `share.length − 1` bytes.
 *
 * Fewer shares than the threshold cannot be detected: they yield a wrong, uniformly random-looking
 * secret, so callers must verify the result (Vault does, by decrypting the root key).
 *
 * Throws `CryptoError('shamir/invalid-parts')` with Vault's messages — `less than two parts cannot
 * be used to reconstruct the secret`, `parts must be at least two bytes`, `all parts must be the
 * same length` — and `CryptoError('shamir/duplicate-part', 'duplicate part detected')` when two
 * shares carry the same tag.
 */
export function shamirCombine(shares: readonly Uint8Array[]): Buffer {
  if (shares.length < 2) throw combineError('less than two parts cannot be used to reconstruct the secret');
  const shareLength = shares[0]!.length;
  if (shareLength < 2) throw combineError('parts must be at least two bytes');
  for (const share of shares) {
    if (share.length !== shareLength) throw combineError('all parts must be the same length');
  }
  const xs = shares.map((share) => share[shareLength - 1]!);
  if (new Set(xs).size !== xs.length) throw combineError('duplicate part detected', 'shamir/duplicate-part');

  // The Lagrange basis at 0 depends only on the public x tags, so compute it once:
  // basis_i = Π_{j≠i} x_j / (x_i − x_j), where − is XOR in GF(2^8).
  const basis = xs.map((xi, i) => {
    let numerator = 1;
    let denominator = 1;
    xs.forEach((xj, j) => {
      if (j === i) return;
      numerator = gf256Mul(numerator, xj);
      denominator = gf256Mul(denominator, xi ^ xj);
    });
    return gf256Mul(numerator, gf256Inverse(denominator));
  });

  const secret = Buffer.alloc(shareLength - 1);
  for (let idx = 0; idx < secret.length; idx++) {
    let value = 0;
    for (let i = 0; i < shares.length; i++) value ^= gf256Mul(shares[i]![idx]!, basis[i]!);
    secret[idx] = value;
  }
  return secret;
}
