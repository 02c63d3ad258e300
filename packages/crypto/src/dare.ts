// DARE (github.com/minio/sio) streams and buffer helpers: the format MinIO encrypts object data with.
// Facts: docs/minio-sse.md#dare-packages. Package machinery: dare-core.ts.
import { Transform, type TransformCallback } from 'node:stream';
import {
  DARE_MAX_PLAINTEXT,
  DARE_OVERHEAD,
  DARE_PACKAGE_SIZE,
  DARE_PAYLOAD_SIZE,
  type DareCipher,
  DareDecoder,
  DareEncoder,
  dareError,
} from './dare-core.js';
import { secureRandomBytes } from './random.js';

export {
  DARE_HEADER_SIZE,
  DARE_MAX_PLAINTEXT,
  DARE_OVERHEAD,
  DARE_PACKAGE_SIZE,
  DARE_PAYLOAD_SIZE,
  DARE_TAG_SIZE,
  DARE_VERSION_10,
  DARE_VERSION_20,
  type DareCipher,
  type DareErrorCode,
} from './dare-core.js';

/** Options of {@link createDareEncryptStream} and {@link dareSeal}. */
export interface DareEncryptOptions {
  /** Cipher suite written in every header. Default `aes-256-gcm` (sio's choice on CPUs with AES-NI). */
  cipher?: DareCipher | undefined;
  /**
   * The 12-byte stream nonce (MinIO multipart parts use a deterministic one, see `multipartPartNonce`).
   * Default: 12 fresh random bytes. Bit 7 of its first byte is not part of the nonce: it is overwritten by
   * the final-package flag. Never reuse a nonce with the same key for different plaintext.
   */
  nonce?: Uint8Array | undefined;
  /** Readable-side buffer of the stream, in bytes (default 256 KiB, four packages). */
  readableHighWaterMark?: number | undefined;
}

/** Options of {@link createDareDecryptStream} and {@link dareOpen}. */
export interface DareDecryptOptions {
  /**
   * Sequence number of the first package of the input (default 0). Set it when the input starts at a
   * package boundary inside a stream (ranged reads): package k of a stream starts at byte k × 65 568.
   */
  sequence?: number | undefined;
  /** Accept DARE 1.0 input (default true, like MinIO's default decrypt configuration). */
  allowVersion1?: boolean | undefined;
  /**
   * Require the input to end with a 2.0 final package (default true: truncation is an error). Only a
   * reader that stops early on purpose (a range ending before the stream's end) turns this off.
   */
  requireFinal?: boolean | undefined;
  /** Readable-side buffer of the stream, in bytes (default 256 KiB, four packages). */
  readableHighWaterMark?: number | undefined;
}

const DEFAULT_READABLE_HWM = 4 * DARE_PAYLOAD_SIZE;
const WRITABLE_HWM = DARE_PACKAGE_SIZE;

function randomNonce(): Buffer {
  return secureRandomBytes(12);
}

/** What a DARE stream drives: whole packages (or their verified plaintext) appended to out per write. */
interface DareCoder {
  write(chunk: Buffer, out: Buffer[]): void;
  dispose(): void;
}

/** The part of both DARE streams that feeds input to the coder and pushes what it produced. */
abstract class DareCoderTransform<C extends DareCoder> extends Transform {
  protected readonly coder: C;
  protected readonly out: Buffer[] = [];

  constructor(coder: C, readableHighWaterMark: number) {
    super({ readableHighWaterMark, writableHighWaterMark: WRITABLE_HWM });
    this.coder = coder;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let error: unknown;
    try {
      this.coder.write(chunk, this.out);
    } catch (err) {
      error = err;
    }
    // When decrypting, packages verified before a failure are authentic; release them.
    this.drain();
    callback(error as Error | undefined);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.coder.dispose();
    this.out.length = 0;
    callback(error);
  }

  protected drain(): void {
    const out = this.out;
    for (let i = 0; i < out.length; i++) this.push(out[i]);
    out.length = 0;
  }
}

class DareEncryptTransform extends DareCoderTransform<DareEncoder> {
  override _flush(callback: TransformCallback): void {
    let error: unknown;
    try {
      this.coder.end(this.out);
    } catch (err) {
      error = err;
    }
    this.drain();
    callback(error as Error | undefined);
  }
}

class DareDecryptTransform extends DareCoderTransform<DareDecoder> {
  readonly #requireFinal: boolean;

  constructor(decoder: DareDecoder, requireFinal: boolean, readableHighWaterMark: number) {
    super(decoder, readableHighWaterMark);
    this.#requireFinal = requireFinal;
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.coder.end(this.#requireFinal);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }
}

function readableHwm(value: number | undefined): number {
  if (value === undefined) return DEFAULT_READABLE_HWM;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw dareError('dare/invalid-option', 'readableHighWaterMark must be a non-negative integer');
  }
  return value;
}

/**
 * A Transform that DARE 2.0-encrypts what is written to it (sio's format, byte for byte).
 *
 * Output: 64 KiB-payload packages (65 568 bytes each); the final one is flagged and may be shorter. An
 * exact multiple of 64 KiB ends with a full final package; empty input produces empty output. Output
 * size is exactly `dareEncryptedSize(input size)`. Output chunk boundaries are unspecified (header,
 * ciphertext and tag are emitted as separate Buffers to avoid copies).
 *
 * `key` must be 32 bytes (copied; the copy is zeroed when the stream ends or is destroyed). Throws a
 * CryptoError synchronously for a bad key (`dare/invalid-key`), nonce (`dare/invalid-nonce`) or option
 * (`dare/invalid-option`); emits `dare/too-large` past 2^48 bytes. Chunks written must not be modified
 * afterwards (they are encrypted from the caller's memory, up to one package later).
 */
export function createDareEncryptStream(key: Uint8Array, options: DareEncryptOptions = {}): Transform {
  const hwm = readableHwm(options.readableHighWaterMark);
  const encoder = new DareEncoder(key, { cipher: options.cipher, nonce: options.nonce, randomNonce });
  return new DareEncryptTransform(encoder, hwm);
}

/**
 * A Transform that decrypts a DARE stream (2.0, and 1.0 unless `allowVersion1: false`) written to it.
 *
 * Each package's plaintext is released only after its tag verifies. Either cipher is accepted; the first
 * package fixes version, cipher and (2.0) stream nonce. The stream fails with a CryptoError whose code
 * (a `DareErrorCode`) names the problem: `dare/authentication-failed` (wrong key, tampering),
 * `dare/out-of-order` (reordered/duplicated/dropped packages), `dare/truncated` (input ended inside a
 * package or, for 2.0, before the final package), `dare/trailing-data` (bytes after the final package),
 * `dare/unsupported-version`, `dare/unsupported-cipher`, `dare/cipher-mismatch`, `dare/nonce-mismatch`,
 * `dare/invalid-payload-size`. Empty input is the empty plaintext (when `sequence` is 0). A package that
 * fails authentication is re-tried under the 32 nearest sequence numbers to tell reordering from tampering
 * (error path only; bounded work).
 * DARE 1.0 cannot detect truncation at a package boundary (the format has no final flag).
 *
 * `key` must be 32 bytes (copied, zeroed at end/destroy); bad key or options throw synchronously.
 */
export function createDareDecryptStream(key: Uint8Array, options: DareDecryptOptions = {}): Transform {
  const hwm = readableHwm(options.readableHighWaterMark);
  const decoder = new DareDecoder(key, { sequence: options.sequence, allowVersion1: options.allowVersion1 });
  return new DareDecryptTransform(decoder, options.requireFinal ?? true, hwm);
}

/**
 * DARE 2.0-encrypt a small value in one call (e.g. a 32-byte object key → exactly 64 bytes, a 16-byte
 * ETag → 48 bytes). Same format and options as {@link createDareEncryptStream}; returns a new Buffer of
 * `dareEncryptedSize(plaintext.length)` bytes. Throws CryptoError on a bad key, nonce or option.
 */
export function dareSeal(key: Uint8Array, plaintext: Uint8Array, options: DareEncryptOptions = {}): Buffer {
  const encoder = new DareEncoder(key, { cipher: options.cipher, nonce: options.nonce, randomNonce });
  const out: Buffer[] = [];
  try {
    encoder.writeFinal(toBuffer(plaintext), out);
  } finally {
    encoder.dispose();
  }
  return Buffer.concat(out);
}

/**
 * Decrypt and verify a whole DARE value (inverse of {@link dareSeal}; also any complete DARE stream held
 * in memory). Returns a new Buffer with the plaintext; throws a CryptoError with the same codes as
 * {@link createDareDecryptStream}. Options as there (`readableHighWaterMark` is ignored).
 */
export function dareOpen(key: Uint8Array, ciphertext: Uint8Array, options: DareDecryptOptions = {}): Buffer {
  const decoder = new DareDecoder(key, { sequence: options.sequence, allowVersion1: options.allowVersion1 });
  const out: Buffer[] = [];
  try {
    decoder.write(toBuffer(ciphertext), out);
    decoder.end(options.requireFinal ?? true);
  } finally {
    decoder.dispose();
  }
  return Buffer.concat(out);
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw dareError('dare/invalid-size', `${what} must be a non-negative integer`);
  }
}

/**
 * Size in bytes of the DARE 2.0 ciphertext of `plaintextSize` plaintext bytes:
 * `floor(p / 65536) × 65568 + (p mod 65536 > 0 ? p mod 65536 + 32 : 0)`; 0 for 0.
 * Throws CryptoError `dare/invalid-size` for a negative or non-integer size, `dare/too-large` above 2^48.
 */
export function dareEncryptedSize(plaintextSize: number): number {
  checkSize(plaintextSize, 'a plaintext size');
  if (plaintextSize > DARE_MAX_PLAINTEXT) {
    throw dareError('dare/too-large', 'a DARE stream holds at most 2^48 plaintext bytes');
  }
  const rest = plaintextSize % DARE_PAYLOAD_SIZE;
  return (
    Math.floor(plaintextSize / DARE_PAYLOAD_SIZE) * DARE_PACKAGE_SIZE + (rest > 0 ? rest + DARE_OVERHEAD : 0)
  );
}

/**
 * Plaintext size of a DARE stream of `encryptedSize` bytes (inverse of {@link dareEncryptedSize}).
 * Throws CryptoError `dare/invalid-size` when no stream has that size (the last partial package would be
 * 1..32 bytes, i.e. carry no payload; MinIO reports such objects as tampered) or the size is not a
 * non-negative integer, `dare/too-large` above the largest stream.
 */
export function dareDecryptedSize(encryptedSize: number): number {
  checkSize(encryptedSize, 'an encrypted size');
  if (encryptedSize > DARE_MAX_PLAINTEXT + DARE_OVERHEAD * 2 ** 32) {
    throw dareError('dare/too-large', 'larger than any DARE stream');
  }
  const rest = encryptedSize % DARE_PACKAGE_SIZE;
  if (rest > 0 && rest <= DARE_OVERHEAD) {
    throw dareError('dare/invalid-size', `${encryptedSize} bytes is not the size of a DARE stream`);
  }
  return (
    Math.floor(encryptedSize / DARE_PACKAGE_SIZE) * DARE_PAYLOAD_SIZE + (rest > 0 ? rest - DARE_OVERHEAD : 0)
  );
}
