import { timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (MACs, tokens, identities, keys) without a data-dependent early exit.
 *
 * Strings are compared as their UTF-8 bytes. The time taken depends only on the lengths: inputs of
 * different lengths return `false` at once (so the length is the one thing that leaks), inputs of
 * equal length are compared in full with `crypto.timingSafeEqual`. Never throws.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.byteLength !== y.byteLength) return false;
  return timingSafeEqual(x, y);
}

/**
 * Overwrites every given buffer with zeros, in place. `undefined` and `null` are skipped so callers
 * can pass optional secrets in `finally` blocks. A view zeroes only its own window of the underlying
 * memory. Use it on key material as soon as it is no longer needed; it cannot reach copies the
 * caller made (strings, base64 text), so keep secrets in buffers.
 */
export function zeroize(...bufs: Array<Uint8Array | undefined | null>): void {
  for (const buf of bufs) buf?.fill(0);
}
