// The DARE package machinery shared by the streams, the buffer helpers and the ranged reader.
// Internal: the public surface is dare.ts and dare-range.ts.
//
// Hot-path rules (every encrypted object byte passes through here):
// - input chunks are never copied: a package is fed to the cipher as views of the caller's chunks;
// - output is never concatenated: header, ciphertext pieces and tag are separate Buffers, so the only
//   per-package allocation of size is the one Node's `cipher.update` makes anyway;
// - one cipher context per package is unavoidable (Node cannot re-key a context with a new nonce).
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import {
  HEADER_SIZE,
  MAX_SEQUENCE,
  PACKAGE_SIZE,
  PAYLOAD_SIZE,
  sealPackage,
  TAG_SIZE,
  VERSION_20,
  xorSequence,
} from './dare-package.js';
import { CryptoError } from './errors.js';

/** Bytes of a DARE package header. */
export const DARE_HEADER_SIZE: number = HEADER_SIZE;
/** Bytes of a DARE package's AEAD tag. */
export const DARE_TAG_SIZE: number = TAG_SIZE;
/** Largest (and, except for the final package, the only) payload of a DARE 2.0 package: 64 KiB. */
export const DARE_PAYLOAD_SIZE: number = PAYLOAD_SIZE;
/** Bytes of a full DARE package: header + 64 KiB payload + tag = 65 568. */
export const DARE_PACKAGE_SIZE: number = PACKAGE_SIZE;
/** Header overhead of one package (header + tag): 32 bytes. */
export const DARE_OVERHEAD = DARE_HEADER_SIZE + DARE_TAG_SIZE;
/** Version byte of DARE 1.0 (legacy; decrypted, never written). */
export const DARE_VERSION_10 = 0x10;
/** Version byte of DARE 2.0 (what is written). */
export const DARE_VERSION_20: number = VERSION_20;
/** Largest plaintext one DARE stream may carry: 2^32 packages of 64 KiB = 2^48 bytes. */
export const DARE_MAX_PLAINTEXT = 2 ** 48;

/** The two DARE cipher suites, by their Node cipher names. Header ids: AES-256-GCM 0x00, ChaCha20-Poly1305 0x01. */
export type DareCipher = 'aes-256-gcm' | 'chacha20-poly1305';

/**
 * Stable codes of the CryptoErrors raised by the DARE functions.
 * - `dare/invalid-key`: key is not 32 bytes; `dare/invalid-nonce`: stream nonce is not 12 bytes;
 *   `dare/invalid-option`: another option is out of its documented domain.
 * - `dare/unsupported-version`: version byte is not 0x20 (or 0x10 where 1.0 is allowed), or changes mid-stream.
 * - `dare/unsupported-cipher`: cipher byte is not 0x00/0x01; `dare/cipher-mismatch`: differs from the first package.
 * - `dare/nonce-mismatch`: a package's stream nonce differs from the first package's.
 * - `dare/invalid-payload-size`: a non-final 2.0 package does not carry exactly 64 KiB.
 * - `dare/authentication-failed`: AEAD tag check failed (wrong key, tampering).
 * - `dare/out-of-order`: a package is authentic but belongs at another sequence number (reordered,
 *   duplicated or dropped packages; for 2.0 found by re-trying nearby sequence numbers after a tag failure).
 * - `dare/truncated`: input ended inside a package, or (2.0) before the final package.
 * - `dare/trailing-data`: bytes follow the final package (or the end of a planned range).
 * - `dare/too-large`: more than 2^32 packages (2^48 plaintext bytes) in one stream.
 * - `dare/invalid-size`: an encrypted size no DARE stream can have; `dare/invalid-range`: a bad range request.
 */
export type DareErrorCode =
  | 'dare/invalid-key'
  | 'dare/invalid-nonce'
  | 'dare/invalid-option'
  | 'dare/unsupported-version'
  | 'dare/unsupported-cipher'
  | 'dare/cipher-mismatch'
  | 'dare/nonce-mismatch'
  | 'dare/invalid-payload-size'
  | 'dare/authentication-failed'
  | 'dare/out-of-order'
  | 'dare/truncated'
  | 'dare/trailing-data'
  | 'dare/too-large'
  | 'dare/invalid-size'
  | 'dare/invalid-range';

export function dareError(code: DareErrorCode, message: string): CryptoError {
  return new CryptoError(code, message);
}

/**
 * Input pieces shorter than this are copied into a per-stream staging buffer and fed to the cipher together:
 * every `cipher.update` call costs two allocations and a native call, which outweighs copying a few KiB.
 * Larger pieces go to the cipher straight from the caller's memory.
 */
const STAGE_BELOW = 16 * 1024;
/** How far either side of the expected sequence number a failed 2.0 package is re-tried to tell reordering from tampering. */
const REORDER_WINDOW = 16;

export function cipherId(cipher: DareCipher | undefined): number {
  if (cipher === undefined || cipher === 'aes-256-gcm') return 0;
  if (cipher === 'chacha20-poly1305') return 1;
  throw dareError('dare/invalid-option', `unknown DARE cipher ${JSON.stringify(cipher)}`);
}

/** A private copy of a 32-byte key (so the caller may zero or reuse theirs). */
export function copyKey(key: Uint8Array): Buffer {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw dareError('dare/invalid-key', 'a DARE key must be 32 bytes');
  }
  const own = Buffer.alloc(32);
  own.set(key);
  return own;
}

/** The caller's 12-byte stream nonce, or undefined when none was given; throws `dare/invalid-nonce`. */
export function checkNonce(nonce: Uint8Array | undefined): Uint8Array | undefined {
  if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length !== 12)) {
    throw dareError('dare/invalid-nonce', 'a DARE stream nonce must be 12 bytes');
  }
  return nonce;
}

export function checkSequence(sequence: number | undefined): number {
  const seq = sequence ?? 0;
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE) {
    throw dareError('dare/invalid-option', 'a DARE sequence number must be an integer in [0, 2^32)');
  }
  return seq;
}

function newDecipher(id: number, key: Buffer, iv: Buffer): DecipherGCM {
  // authTagLength pins the tag to 16 bytes (GCM would otherwise accept truncated tags).
  return id === 0
    ? createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
    : (createDecipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 }) as unknown as DecipherGCM);
}

export interface EncoderOptions {
  cipher?: DareCipher | undefined;
  nonce?: Uint8Array | undefined;
  /** Sequence number of the first package (sio's Config.SequenceNumber); default 0. */
  sequence?: number | undefined;
  randomNonce: () => Buffer;
}

/**
 * Incremental DARE 2.0 encryptor. `write` and `end` append output Buffers (header, ciphertext pieces,
 * tag, in order) to `out`. Holds at most one package of input as views of the caller's chunks, so
 * callers must not modify a chunk after writing it (the Node stream contract anyway).
 */
export class DareEncoder {
  readonly #key: Buffer;
  readonly #cipherId: number;
  readonly #nonce: Buffer;
  #seq = 0;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #stage: Buffer | undefined;
  #stageFill = 0;
  /** Start of the staged region that is the last pending piece, or -1 if the last piece is not staged. */
  #stageRegion = -1;
  #ended = false;

  constructor(key: Uint8Array, options: EncoderOptions) {
    this.#cipherId = cipherId(options.cipher);
    const nonce = checkNonce(options.nonce);
    this.#seq = checkSequence(options.sequence);
    this.#key = copyKey(key);
    this.#nonce = Buffer.alloc(12);
    this.#nonce.set(nonce ?? options.randomNonce());
  }

  write(chunk: Buffer, out: Buffer[]): void {
    if (this.#ended) throw dareError('dare/invalid-option', 'write after end');
    let rest = chunk;
    // Strictly more than one payload available: the first 64 KiB are a non-final package (one-byte look-ahead).
    while (this.#pendingLength + rest.length > DARE_PAYLOAD_SIZE) {
      const take = DARE_PAYLOAD_SIZE - this.#pendingLength;
      if (this.#pendingLength === 0) {
        this.#seal([rest.subarray(0, take)], DARE_PAYLOAD_SIZE, false, out);
      } else {
        this.#addPending(rest.subarray(0, take));
        this.#seal(this.#pending, DARE_PAYLOAD_SIZE, false, out);
        this.#clearPending();
      }
      rest = rest.subarray(take);
    }
    if (rest.length > 0) this.#addPending(rest);
  }

  /**
   * `write(chunk)` then `end(out)`, for a caller that holds the whole rest of the stream: when nothing is
   * pending and `chunk` fits one package it is sealed straight from the caller's memory, without the
   * staging buffer (a 64 KiB allocation, and its zeroing on dispose) that small writes otherwise go through.
   */
  writeFinal(chunk: Buffer, out: Buffer[]): void {
    if (this.#ended) throw dareError('dare/invalid-option', 'write after end');
    if (this.#pendingLength === 0 && chunk.length > 0 && chunk.length <= DARE_PAYLOAD_SIZE) {
      this.#ended = true;
      this.#seal([chunk], chunk.length, true, out);
      this.dispose();
      return;
    }
    this.write(chunk, out);
    this.end(out);
  }

  end(out: Buffer[]): void {
    if (this.#ended) return;
    this.#ended = true;
    // An empty stream has no packages at all; otherwise 1..65536 bytes remain for the final package.
    if (this.#pendingLength > 0) {
      this.#seal(this.#pending, this.#pendingLength, true, out);
      this.#clearPending();
    }
    this.dispose();
  }

  /** Zero the key copy and the staging buffer; the encoder is unusable afterwards. */
  dispose(): void {
    this.#ended = true;
    this.#key.fill(0);
    this.#stage?.fill(0);
    this.#pending = [];
  }

  // Pending input never exceeds one payload, so the staging buffer (one payload) cannot overflow.
  #addPending(piece: Buffer): void {
    this.#pendingLength += piece.length;
    if (piece.length >= STAGE_BELOW) {
      this.#pending.push(piece);
      this.#stageRegion = -1;
      return;
    }
    this.#stage ??= Buffer.allocUnsafe(DARE_PAYLOAD_SIZE);
    const stage = this.#stage;
    const start = this.#stageFill;
    piece.copy(stage, start);
    this.#stageFill = start + piece.length;
    if (this.#stageRegion >= 0) {
      this.#pending[this.#pending.length - 1] = stage.subarray(this.#stageRegion, this.#stageFill);
    } else {
      this.#stageRegion = start;
      this.#pending.push(stage.subarray(start, this.#stageFill));
    }
  }

  #clearPending(): void {
    this.#pending = [];
    this.#pendingLength = 0;
    this.#stageFill = 0;
    this.#stageRegion = -1;
  }

  #seal(pieces: readonly Buffer[], length: number, final: boolean, out: Buffer[]): void {
    const seq = this.#seq;
    if (seq > MAX_SEQUENCE) throw dareError('dare/too-large', 'a DARE stream holds at most 2^32 packages');
    sealPackage(this.#key, this.#cipherId, this.#nonce, seq, final, pieces, length, out);
    this.#seq = seq + 1;
  }
}

export interface DecoderOptions {
  /** Sequence number of the first package fed (ranged reads); default 0. */
  sequence?: number | undefined;
  /** Accept DARE 1.0 streams (default true, as MinIO's default decrypt config). */
  allowVersion1?: boolean | undefined;
}

const PHASE_HEADER = 0;
const PHASE_PAYLOAD = 1;
const PHASE_TAG = 2;

/**
 * Incremental DARE 1.0/2.0 decryptor. `write` appends verified plaintext Buffers to `out`; nothing of a
 * package is released before its tag has been checked. Throws a CryptoError (DareErrorCode) at the first
 * problem, after which the decoder is dead.
 */
export class DareDecoder {
  readonly #key: Buffer;
  readonly #allowV1: boolean;
  readonly #startSeq: number;
  #seq: number;
  #version = 0;
  #cipherId = -1;
  readonly #refNonce = Buffer.alloc(12);
  #final = false;
  #closed = false;
  #phase = PHASE_HEADER;
  readonly #header = Buffer.alloc(DARE_HEADER_SIZE);
  #headerFill = 0;
  readonly #tag = Buffer.alloc(DARE_TAG_SIZE);
  #tagFill = 0;
  readonly #iv = Buffer.alloc(12);
  #decipher: DecipherGCM | undefined;
  #payloadRemaining = 0;
  #pkgFinal = false;
  #plain: Buffer[] = [];
  #pieces: Buffer[] = [];
  #stage: Buffer | undefined;
  #stageStart = 0;
  #stageFill = 0;

  constructor(key: Uint8Array, options: DecoderOptions = {}) {
    this.#startSeq = checkSequence(options.sequence);
    this.#seq = this.#startSeq;
    this.#allowV1 = options.allowVersion1 ?? true;
    this.#key = copyKey(key);
  }

  /** True while the decoder is between packages (no partial package buffered). */
  get isAtPackageBoundary(): boolean {
    return this.#phase === PHASE_HEADER && this.#headerFill === 0;
  }

  write(chunk: Buffer, out: Buffer[]): void {
    if (this.#closed)
      throw dareError('dare/invalid-option', 'the DARE decoder is closed (ended, disposed or failed)');
    try {
      this.#write(chunk, out);
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /**
   * Signal end of input. With `requireFinal` (default) a 2.0 stream must have ended with its final package;
   * a stream with no packages at all is the empty plaintext (only when it started at sequence 0).
   */
  end(requireFinal = true): void {
    if (this.#closed)
      throw dareError('dare/invalid-option', 'the DARE decoder is closed (ended, disposed or failed)');
    try {
      if (!this.isAtPackageBoundary) {
        throw dareError('dare/truncated', `DARE input ends inside package ${this.#seq}`);
      }
      if (requireFinal) {
        if (this.#version === 0 && this.#startSeq !== 0) {
          throw dareError('dare/truncated', `DARE input is empty but package ${this.#startSeq} was expected`);
        }
        if (this.#version === DARE_VERSION_20 && !this.#final) {
          throw dareError(
            'dare/truncated',
            `DARE input ends after package ${this.#seq - 1} without a final package`,
          );
        }
      }
    } finally {
      this.dispose();
    }
  }

  /** Zero the key copy; the decoder is unusable afterwards. */
  dispose(): void {
    this.#closed = true;
    this.#key.fill(0);
    this.#plain = [];
    this.#pieces = [];
    this.#decipher = undefined;
  }

  #write(chunk: Buffer, out: Buffer[]): void {
    const n = chunk.length;
    let off = 0;
    while (off < n) {
      if (this.#phase === PHASE_PAYLOAD) {
        const k = Math.min(this.#payloadRemaining, n - off);
        if (k < STAGE_BELOW) {
          this.#stage ??= Buffer.allocUnsafe(DARE_PAYLOAD_SIZE);
          chunk.copy(this.#stage, this.#stageFill, off, off + k);
          this.#stageFill += k;
        } else {
          this.#flushStage();
          const piece = off === 0 && k === n ? chunk : chunk.subarray(off, off + k);
          this.#plain.push(this.#decipher!.update(piece));
          this.#pieces.push(piece);
        }
        this.#payloadRemaining -= k;
        off += k;
        if (this.#payloadRemaining === 0) {
          this.#flushStage();
          this.#phase = PHASE_TAG;
        }
      } else if (this.#phase === PHASE_HEADER) {
        if (this.#final) {
          throw dareError(
            'dare/trailing-data',
            `DARE input continues after the final package ${this.#seq - 1}`,
          );
        }
        const k = Math.min(DARE_HEADER_SIZE - this.#headerFill, n - off);
        chunk.copy(this.#header, this.#headerFill, off, off + k);
        this.#headerFill += k;
        off += k;
        if (this.#headerFill === DARE_HEADER_SIZE) this.#openPackage();
      } else {
        const k = Math.min(DARE_TAG_SIZE - this.#tagFill, n - off);
        chunk.copy(this.#tag, this.#tagFill, off, off + k);
        this.#tagFill += k;
        off += k;
        if (this.#tagFill === DARE_TAG_SIZE) this.#closePackage(out);
      }
    }
  }

  // A package's staged ciphertext never exceeds its payload, so the staging buffer cannot overflow.
  #flushStage(): void {
    if (this.#stageFill === this.#stageStart) return;
    const piece = this.#stage!.subarray(this.#stageStart, this.#stageFill);
    this.#plain.push(this.#decipher!.update(piece));
    this.#pieces.push(piece);
    this.#stageStart = this.#stageFill;
  }

  #openPackage(): void {
    const h = this.#header;
    const seq = this.#seq;
    if (seq > MAX_SEQUENCE) throw dareError('dare/too-large', 'a DARE stream holds at most 2^32 packages');
    const version = h[0]!;
    if (this.#version === 0) {
      if (version !== DARE_VERSION_20 && !(version === DARE_VERSION_10 && this.#allowV1)) {
        throw dareError('dare/unsupported-version', `unsupported DARE version 0x${hex2(version)}`);
      }
      this.#version = version;
    } else if (version !== this.#version) {
      throw dareError(
        'dare/unsupported-version',
        `package ${seq} has DARE version 0x${hex2(version)}, the stream 0x${hex2(this.#version)}`,
      );
    }
    const cipher = h[1]!;
    if (cipher > 1) throw dareError('dare/unsupported-cipher', `unsupported DARE cipher 0x${hex2(cipher)}`);
    const length = h.readUInt16LE(2) + 1;
    const iv = this.#iv;
    if (version === DARE_VERSION_20) {
      const final = (h[4]! & 0x80) !== 0;
      if (this.#cipherId < 0) {
        this.#cipherId = cipher;
        h.copy(this.#refNonce, 0, 4, 16);
        this.#refNonce[0]! &= 0x7f;
      } else if (cipher !== this.#cipherId) {
        throw dareError('dare/cipher-mismatch', `package ${seq} switches the DARE cipher`);
      }
      if (!final && length !== DARE_PAYLOAD_SIZE) {
        throw dareError(
          'dare/invalid-payload-size',
          `non-final package ${seq} carries ${length} bytes, not 65536`,
        );
      }
      if ((h[4]! & 0x7f) !== this.#refNonce[0] || h.compare(this.#refNonce, 1, 12, 5, 16) !== 0) {
        throw dareError('dare/nonce-mismatch', `package ${seq} carries another stream nonce`);
      }
      h.copy(iv, 0, 4, 16);
      xorSequence(iv, seq);
      this.#pkgFinal = final;
    } else {
      const written = h.readUInt32LE(4);
      if (written !== seq) {
        throw dareError(
          'dare/out-of-order',
          `package sealed as sequence ${written} found where ${seq} was expected`,
        );
      }
      h.copy(iv, 0, 4, 16);
      this.#pkgFinal = false;
    }
    const decipher = newDecipher(cipher, this.#key, iv);
    decipher.setAAD(h.subarray(0, 4));
    this.#decipher = decipher;
    this.#payloadRemaining = length;
    this.#phase = PHASE_PAYLOAD;
  }

  #closePackage(out: Buffer[]): void {
    const decipher = this.#decipher!;
    decipher.setAuthTag(this.#tag);
    try {
      decipher.final();
    } catch {
      throw this.#diagnose();
    }
    for (const p of this.#plain) out.push(p);
    this.#plain = [];
    this.#pieces = [];
    this.#stageStart = 0;
    this.#stageFill = 0;
    this.#decipher = undefined;
    this.#seq += 1;
    if (this.#pkgFinal) this.#final = true;
    this.#phase = PHASE_HEADER;
    this.#headerFill = 0;
    this.#tagFill = 0;
  }

  /** After a tag failure: is this an authentic package from a nearby position (reordering) or just bad? */
  #diagnose(): CryptoError {
    const seq = this.#seq;
    if (this.#version === DARE_VERSION_20) {
      const lo = Math.max(0, seq - REORDER_WINDOW);
      const hi = Math.min(MAX_SEQUENCE, seq + REORDER_WINDOW);
      const iv = Buffer.alloc(12);
      for (let candidate = lo; candidate <= hi; candidate++) {
        if (candidate === seq) continue;
        this.#header.copy(iv, 0, 4, 16);
        xorSequence(iv, candidate);
        const d = newDecipher(this.#header[1]!, this.#key, iv);
        d.setAAD(this.#header.subarray(0, 4));
        for (const piece of this.#pieces) d.update(piece);
        d.setAuthTag(this.#tag);
        try {
          d.final();
          return dareError(
            'dare/out-of-order',
            `package sealed as sequence ${candidate} found where ${seq} was expected`,
          );
        } catch {
          // not this one
        }
      }
    }
    return dareError('dare/authentication-failed', `DARE package ${seq} failed authentication`);
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
