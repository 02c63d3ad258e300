// Ranged reads of DARE-encrypted objects, single- or multipart (docs/minio-sse.md#ranged-reads).
import { Transform, type TransformCallback } from 'node:stream';
import { dareDecryptedSize, dareEncryptedSize } from './dare.js';
import { DARE_PACKAGE_SIZE, DARE_PAYLOAD_SIZE, DareDecoder, dareError } from './dare-core.js';

/**
 * The sizes of an object's parts, in order, either as plaintext or as stored (encrypted) sizes. A
 * single-part object is one entry. Each part is its own DARE stream.
 */
export type DarePartSizes = { plaintext: readonly number[] } | { encrypted: readonly number[] };

/** One part's share of a planned range read. */
export interface DareRangePart {
  /** Index of the part in the sizes given to {@link planDareRange} (not the S3 part number). */
  index: number;
  /** Where to start reading, relative to the start of this part's ciphertext (a package boundary). */
  offsetInPart: number;
  /** Where to start reading, relative to the start of the object's ciphertext (all parts concatenated). */
  encryptedOffset: number;
  /** Ciphertext bytes to read from this part (whole packages). */
  encryptedLength: number;
  /** Sequence number of the first package read from this part (0 except possibly for the first part). */
  sequence: number;
  /** True when the read reaches the part's end, so its final package must be seen. */
  readsToPartEnd: boolean;
}

/** Everything a ranged read of a DARE-encrypted object needs; produced by {@link planDareRange}. */
export interface DareRangePlan {
  /** Plaintext offset of the range (as requested). */
  offset: number;
  /** Plaintext bytes of the range (as requested). */
  length: number;
  /** Total plaintext size of the object. */
  plaintextSize: number;
  /** First ciphertext byte to read, relative to the object's whole ciphertext. */
  encryptedOffset: number;
  /** Ciphertext bytes to read from `encryptedOffset` (contiguous across parts). */
  encryptedLength: number;
  /** Index of the part holding the first byte of the range. */
  firstPart: number;
  /** Index of the part holding the last byte of the range. */
  lastPart: number;
  /** Sequence number of the first package read (within `firstPart`). */
  startSequence: number;
  /** Plaintext bytes to drop from the start of the decrypted output. */
  skip: number;
  /** Per-part slices, `firstPart..lastPart` in order (parts of size 0 are left out). */
  parts: DareRangePart[];
}

function checkSizes(sizes: DarePartSizes): { plain: number[]; enc: number[] } {
  if ('plaintext' in sizes) {
    return { plain: [...sizes.plaintext], enc: sizes.plaintext.map((p) => dareEncryptedSize(p)) };
  }
  return { plain: sizes.encrypted.map((c) => dareDecryptedSize(c)), enc: [...sizes.encrypted] };
}

/**
 * Plan a ranged read of plaintext bytes `[offset, offset + length)` of a DARE-encrypted object whose
 * parts have the given sizes: which ciphertext bytes to read, which part and sequence number decryption
 * starts at, and how many plaintext bytes to skip (docs/minio-sse.md#ranged-reads). Pure arithmetic.
 *
 * Resolving an HTTP Range header against the plaintext size (and answering InvalidRange) is the
 * caller's job; this takes the resolved offset and length. Throws CryptoError `dare/invalid-range` when
 * the range is empty or not inside the object, and `dare/invalid-size` for an impossible part size.
 */
export function planDareRange(sizes: DarePartSizes, offset: number, length: number): DareRangePlan {
  const { plain, enc } = checkSizes(sizes);
  const total = plain.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 1) {
    throw dareError('dare/invalid-range', 'a range needs an integer offset >= 0 and length >= 1');
  }
  if (offset + length > total) {
    throw dareError('dare/invalid-range', `range ${offset}+${length} is outside the ${total}-byte object`);
  }
  const last = offset + length - 1;
  let first = -1;
  let lastPart = -1;
  let startPkg = 0;
  let skip = 0;
  let endPkg = 0;
  let plainStart = 0;
  let encStart = 0;
  let encryptedOffset = 0;
  let encryptedEnd = 0;
  const parts: DareRangePart[] = [];
  for (let i = 0; i < plain.length && lastPart < 0; i++) {
    const p = plain[i]!;
    const c = enc[i]!;
    const plainEnd = plainStart + p;
    if (first < 0 && offset < plainEnd) {
      first = i;
      const rel = offset - plainStart;
      startPkg = Math.floor(rel / DARE_PAYLOAD_SIZE);
      skip = rel % DARE_PAYLOAD_SIZE;
      encryptedOffset = encStart + startPkg * DARE_PACKAGE_SIZE;
    }
    if (first >= 0 && p > 0) {
      const sliceStart = i === first ? startPkg * DARE_PACKAGE_SIZE : 0;
      let sliceEnd = c;
      if (last < plainEnd) {
        lastPart = i;
        endPkg = Math.floor((last - plainStart) / DARE_PAYLOAD_SIZE);
        sliceEnd = Math.min((endPkg + 1) * DARE_PACKAGE_SIZE, c);
        encryptedEnd = encStart + sliceEnd;
      }
      parts.push({
        index: i,
        offsetInPart: sliceStart,
        encryptedOffset: encStart + sliceStart,
        encryptedLength: sliceEnd - sliceStart,
        sequence: i === first ? startPkg : 0,
        readsToPartEnd: sliceEnd === c,
      });
    }
    plainStart = plainEnd;
    encStart += c;
  }
  return {
    offset,
    length,
    plaintextSize: total,
    encryptedOffset,
    encryptedLength: encryptedEnd - encryptedOffset,
    firstPart: first,
    lastPart,
    startSequence: startPkg,
    skip,
    parts,
  };
}

/** The key of part `index` (an index into the sizes the plan was made from), or one key for every part. */
export type DarePartKey = Uint8Array | ((partIndex: number) => Uint8Array);

/** Options of {@link createDareRangeDecryptStream}. */
export interface DareRangeDecryptOptions {
  /** Accept DARE 1.0 parts (default true). */
  allowVersion1?: boolean | undefined;
  /** Readable-side buffer of the stream, in bytes (default 256 KiB). */
  readableHighWaterMark?: number | undefined;
}

class DareRangeDecryptTransform extends Transform {
  readonly #plan: DareRangePlan;
  readonly #key: DarePartKey;
  readonly #allowV1: boolean;
  #slice = -1;
  #sliceRemaining = 0;
  #decoder: DareDecoder | undefined;
  #skip: number;
  #emitRemaining: number;
  readonly #out: Buffer[] = [];

  constructor(key: DarePartKey, plan: DareRangePlan, options: DareRangeDecryptOptions) {
    super({ readableHighWaterMark: options.readableHighWaterMark ?? 4 * DARE_PAYLOAD_SIZE });
    this.#plan = plan;
    this.#key = key;
    this.#allowV1 = options.allowVersion1 ?? true;
    this.#skip = plan.skip;
    this.#emitRemaining = plan.length;
    this.#nextSlice();
  }

  #nextSlice(): void {
    this.#slice += 1;
    const part = this.#plan.parts[this.#slice];
    if (part === undefined) {
      this.#decoder = undefined;
      return;
    }
    const key = typeof this.#key === 'function' ? this.#key(part.index) : this.#key;
    this.#decoder = new DareDecoder(key, { sequence: part.sequence, allowVersion1: this.#allowV1 });
    this.#sliceRemaining = part.encryptedLength;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let error: unknown;
    try {
      let rest = chunk;
      while (rest.length > 0) {
        const decoder = this.#decoder;
        if (decoder === undefined) {
          throw dareError('dare/trailing-data', 'input continues past the planned range');
        }
        const k = Math.min(this.#sliceRemaining, rest.length);
        decoder.write(k === rest.length ? rest : rest.subarray(0, k), this.#out);
        this.#sliceRemaining -= k;
        rest = rest.subarray(k);
        if (this.#sliceRemaining === 0) {
          decoder.end(this.#plan.parts[this.#slice]!.readsToPartEnd);
          this.#nextSlice();
        }
      }
    } catch (err) {
      error = err;
    }
    this.#drain();
    callback(error as Error | undefined);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#decoder !== undefined || this.#emitRemaining > 0) {
      this.#decoder?.dispose();
      callback(dareError('dare/truncated', 'input ended before the planned range was read'));
      return;
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#decoder?.dispose();
    this.#out.length = 0;
    callback(error);
  }

  #drain(): void {
    const out = this.#out;
    for (let i = 0; i < out.length; i++) {
      let b = out[i]!;
      if (this.#skip > 0) {
        if (b.length <= this.#skip) {
          this.#skip -= b.length;
          continue;
        }
        b = b.subarray(this.#skip);
        this.#skip = 0;
      }
      if (this.#emitRemaining === 0) break;
      if (b.length > this.#emitRemaining) b = b.subarray(0, this.#emitRemaining);
      this.#emitRemaining -= b.length;
      this.push(b);
    }
    out.length = 0;
  }
}

/**
 * A Transform that turns the ciphertext bytes `[plan.encryptedOffset, plan.encryptedOffset +
 * plan.encryptedLength)` of an object into exactly `plan.length` plaintext bytes of the planned range.
 *
 * The first part is decrypted from `plan.startSequence`, later parts from 0, each with its own key
 * (`key(partIndex)`; multipart objects use `partKey(oek, partNumber)`), each limited to its slice; the
 * first `plan.skip` plaintext bytes are dropped and output stops at `plan.length`. Parts read to their end
 * must end with their final package; the last part may stop early. Errors are CryptoErrors with the codes
 * of `createDareDecryptStream`, plus `dare/trailing-data` for input beyond the plan and `dare/truncated` for
 * input that ends before it.
 */
export function createDareRangeDecryptStream(
  key: DarePartKey,
  plan: DareRangePlan,
  options: DareRangeDecryptOptions = {},
): Transform {
  return new DareRangeDecryptTransform(key, plan, options);
}
