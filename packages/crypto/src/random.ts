// Small CSPRNG draws from a pool. Each randomBytes call crosses into OpenSSL with its locking and
// allocation, which on the hot paths (a DARE nonce per package, an object key and its sealing IV
// per PUT, a data key and a sealing IV/nonce per KES generate) costs more than the cryptography
// around it. The pool is filled 4 KiB at a time from the same CSPRNG; bytes handed out are copied
// into a fresh buffer and wiped from the pool at once, so each byte is used exactly once and no
// secret outlives its caller's copy.
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
/** Draws larger than this skip the pool: one randomBytes call is then cheap per byte. */
const MAX_POOLED = 256;

const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * `n` fresh CSPRNG bytes in a new Buffer the caller owns (zeroize it when it holds a secret).
 * Same contract as `crypto.randomBytes(n)`, without a CSPRNG call per draw for n ≤ 256.
 */
export function secureRandomBytes(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`random byte count must be a non-negative integer: ${n}`);
  if (n > MAX_POOLED) return randomBytes(n);
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, offset, offset + n);
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
