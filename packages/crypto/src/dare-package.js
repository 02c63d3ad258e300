// Sealing one DARE 2.0 package (docs/minio-sse.md#dare-packages): the step both encryptors share, the
// in-thread DareEncoder (dare-core.ts) and the encryption worker (dare-worker.js).
//
// Plain JavaScript, typed with JSDoc, on purpose: a worker thread is started from a file and runs it
// as Node loads it, so the worker and what it imports must be JavaScript both in the sources (under
// vitest) and in dist. tsc checks this file and copies it to dist.
import { createCipheriv } from 'node:crypto';

/** Version byte of DARE 2.0. */
export const VERSION_20 = 0x20;
/** Bytes of a package header. */
export const HEADER_SIZE = 16;
/** Bytes of a package's AEAD tag. */
export const TAG_SIZE = 16;
/** Largest payload of a package (the only size of a non-final one): 64 KiB. */
export const PAYLOAD_SIZE = 65_536;
/** Bytes of a full package: 65 568. */
export const PACKAGE_SIZE = HEADER_SIZE + PAYLOAD_SIZE + TAG_SIZE;

/** Highest package sequence number of one DARE stream (2^32 packages). */
export const MAX_SEQUENCE = 0xffff_ffff;

/**
 * XOR the sequence number, little-endian, into the last 4 bytes of a 12-byte nonce (in place).
 * @param {Buffer} iv
 * @param {number} seq
 */
export function xorSequence(iv, seq) {
  iv.writeUInt32LE((iv.readUInt32LE(8) ^ seq) >>> 0, 8);
}

// createCipheriv copies the IV, so one scratch buffer serves every call (all calls are synchronous).
const scratchIv = Buffer.alloc(12);

/**
 * Seals one package and appends its header, ciphertext pieces and tag to `out`, as separate Buffers
 * (no concatenation). The caller checks `seq` against MAX_SEQUENCE and `key`/`nonce` sizes.
 *
 * @param {Buffer} key 32 bytes
 * @param {number} cipherId 0: AES-256-GCM, 1: ChaCha20-Poly1305
 * @param {Buffer} nonce the 12-byte stream nonce (bit 7 of its first byte is replaced by the final flag)
 * @param {number} seq the package's sequence number
 * @param {boolean} final whether this is the stream's last package
 * @param {readonly Buffer[]} pieces the payload, 1 to 65 536 bytes in all
 * @param {number} length the payload's byte count (the sum of the pieces' lengths)
 * @param {Buffer[]} out
 * @returns {void}
 */
export function sealPackage(key, cipherId, nonce, seq, final, pieces, length, out) {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header[0] = VERSION_20;
  header[1] = cipherId;
  header[2] = (length - 1) & 0xff;
  header[3] = (length - 1) >>> 8;
  nonce.copy(header, 4);
  const first = nonce.readUInt8(0);
  header[4] = final ? first | 0x80 : first & 0x7f;
  header.copy(scratchIv, 0, 4, 16);
  xorSequence(scratchIv, seq);
  // chacha20-poly1305 needs authTagLength spelled out; the GCM default is 16 already.
  const cipher =
    cipherId === 0
      ? createCipheriv('aes-256-gcm', key, scratchIv)
      : createCipheriv('chacha20-poly1305', key, scratchIv, { authTagLength: 16 });
  cipher.setAAD(header.subarray(0, 4));
  out.push(header);
  for (const piece of pieces) out.push(cipher.update(piece));
  cipher.final();
  out.push(cipher.getAuthTag());
}
