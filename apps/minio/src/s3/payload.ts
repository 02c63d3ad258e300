// Request bodies as verified byte streams. Decodes aws-chunked framing (signed chunks, unsigned chunks
// with trailers), and hashes while the bytes pass: MD5 for ETags and Content-MD5, SHA-256 when the
// payload hash was signed, and the flexible checksum named by a header or trailer. Nothing is buffered
// beyond one socket read; verification errors surface from finish(), before anything is committed.
import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.js';
import type { ChecksumValue } from '../storage/types.js';
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  type Checksummer,
  checksumHeader,
  createChecksummer,
  isValidChecksumValue,
  parseChecksumAlgorithm,
} from './checksum.js';
import type { AuthResult, ChunkSigner } from './sigv4.js';

export type { ChecksumValue };

/** What a fully read payload turned out to be. */
export interface PayloadResult {
  size: number;
  md5: Buffer;
  checksum?: ChecksumValue | undefined;
}

const EMPTY = Buffer.alloc(0);
const MAX_LINE = 4096;

/** Decodes an aws-chunked body; yields the data bytes and fills `trailers`. */
export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer>,
  signer: ChunkSigner | null,
  signedTrailer: boolean,
  trailers: Map<string, string>,
): AsyncGenerator<Buffer> {
  let pending = EMPTY;
  type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';
  let state = 'size' as State;
  let remaining = 0;
  let chunkHash: Hash | null = null;
  let chunkSig = '';
  let trailerSig: string | undefined;
  const malformed = () => new S3Error('IncompleteBody', 'The aws-chunked body is malformed or truncated.');

  const endTrailer = (): State => {
    if (signer && signedTrailer) {
      if (trailerSig === undefined) {
        throw new S3Error('SignatureDoesNotMatch', 'The trailer signature is missing.');
      }
      // Canonical trailing headers: "name:value\n" each, sorted by name (as the SDK signers build them).
      const trailerText = [...trailers.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => `${name}:${value}\n`)
        .join('');
      signer.verifyTrailer(trailerText, trailerSig);
    }
    return 'done';
  };

  for await (const input of source) {
    const buf = pending.length > 0 ? Buffer.concat([pending, input]) : input;
    let pos = 0;
    while (pos < buf.length && state !== 'done') {
      if (state === 'data') {
        const take = Math.min(remaining, buf.length - pos);
        const slice = buf.subarray(pos, pos + take);
        chunkHash?.update(slice);
        pos += take;
        remaining -= take;
        if (remaining === 0) state = 'data-crlf';
        yield slice;
        continue;
      }
      if (state === 'data-crlf') {
        if (buf.length - pos < 2) break;
        if (buf[pos] !== 13 || buf[pos + 1] !== 10) throw malformed();
        pos += 2;
        if (signer && chunkHash) signer.verifyChunk(chunkHash.digest('hex'), chunkSig);
        chunkHash = null;
        state = 'size';
        continue;
      }
      const nl = buf.indexOf('\r\n', pos, 'latin1');
      if (nl < 0) {
        if (buf.length - pos > MAX_LINE) throw malformed();
        break;
      }
      const line = buf.toString('latin1', pos, nl);
      pos = nl + 2;
      if (state === 'size') {
        const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?\s*$/.exec(line);
        if (!m) throw malformed();
        const size = Number.parseInt(m[1]!, 16);
        if (signer) {
          if (m[2] === undefined) throw new S3Error('SignatureDoesNotMatch', 'A chunk signature is missing.');
          chunkSig = m[2];
        }
        if (size === 0) {
          if (signer) signer.verifyChunk(createHash('sha256').digest('hex'), chunkSig);
          state = 'trailer';
        } else {
          remaining = size;
          chunkHash = signer ? createHash('sha256') : null;
          state = 'data';
        }
      } else {
        if (line === '') {
          state = endTrailer();
          break;
        }
        // A signed body without a signed trailer ends at its last chunk: a trailer would be unsigned input.
        if (signer && !signedTrailer) throw malformed();
        const colon = line.indexOf(':');
        if (colon <= 0) throw malformed();
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'x-amz-trailer-signature') trailerSig = value;
        else trailers.set(name, value);
      }
    }
    pending = pos < buf.length && state !== 'done' ? Buffer.from(buf.subarray(pos)) : EMPTY;
  }
  // Some clients end the body right after the last trailer line without the closing CRLF.
  if (state === 'trailer' && pending.length === 0) state = endTrailer();
  if (state !== 'done') throw malformed();
}

/** Header access by lowercase name (joined when repeated). */
export type HeaderGetter = (name: string) => string | undefined;

interface ChecksumPlan {
  algorithm: ChecksumAlgorithm;
  /** From a header; undefined when it arrives as a trailer or when we only compute it. */
  expected?: string | undefined;
  trailer: boolean;
}

function planChecksum(header: HeaderGetter): ChecksumPlan | undefined {
  const present = CHECKSUM_ALGORITHMS.filter((a) => header(checksumHeader(a)) !== undefined);
  if (present.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header.');
  const trailerHeader = header('x-amz-trailer');
  if (present.length === 1) {
    if (trailerHeader !== undefined)
      throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header.');
    const algorithm = present[0]!;
    const expected = header(checksumHeader(algorithm))!;
    if (!isValidChecksumValue(algorithm, expected)) {
      throw new S3Error('InvalidDigest', `Value for ${checksumHeader(algorithm)} header is invalid.`);
    }
    return { algorithm, expected, trailer: false };
  }
  if (trailerHeader !== undefined) {
    const m = /^x-amz-checksum-([a-z0-9]+)$/i.exec(trailerHeader.trim());
    if (!m) throw new S3Error('InvalidRequest', `Unsupported x-amz-trailer: ${trailerHeader}`);
    return { algorithm: parseChecksumAlgorithm(m[1]!), trailer: true };
  }
  const requested = header('x-amz-checksum-algorithm') ?? header('x-amz-sdk-checksum-algorithm');
  if (requested !== undefined) return { algorithm: parseChecksumAlgorithm(requested), trailer: false };
  return undefined;
}

/** Parses Content-MD5; throws InvalidDigest unless it is base64 of 16 bytes. */
export function parseContentMd5(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== value.trim()) throw new S3Error('InvalidDigest');
  return raw;
}

/** A request body being read once, with its verification state. */
export class Payload {
  /** The decoded length the client declared, when it did. */
  readonly declaredLength: number | undefined;
  private readonly md5 = createHash('md5');
  private readonly sha256: Hash | null;
  private readonly checksummer: Checksummer | null;
  private readonly plan: ChecksumPlan | undefined;
  private readonly contentMd5: Buffer | undefined;
  private readonly trailers = new Map<string, string>();
  private readonly streaming: boolean;
  private size = 0;
  private consumed = false;

  constructor(
    private readonly source: AsyncIterable<Buffer>,
    private readonly auth: AuthResult,
    header: HeaderGetter,
    private readonly maxSize: number,
  ) {
    const mode = auth.payload.kind;
    this.streaming = mode === 'streaming-signed' || mode === 'streaming-unsigned-trailer';
    const lengthHeader = this.streaming ? header('x-amz-decoded-content-length') : header('content-length');
    if (lengthHeader !== undefined) {
      if (!/^\d+$/.test(lengthHeader)) throw new S3Error('InvalidArgument', 'The content length is invalid.');
      this.declaredLength = Number(lengthHeader);
    } else if (this.streaming || header('transfer-encoding') === undefined) {
      throw new S3Error('MissingContentLength');
    }
    if (this.declaredLength !== undefined && this.declaredLength > maxSize)
      throw new S3Error('EntityTooLarge');
    this.contentMd5 = parseContentMd5(header('content-md5'));
    this.plan = planChecksum(header);
    const trailerBody =
      mode === 'streaming-unsigned-trailer' ||
      (auth.payload.kind === 'streaming-signed' && auth.payload.trailer);
    if (this.plan?.trailer && !trailerBody) {
      throw new S3Error(
        'InvalidRequest',
        'x-amz-trailer requires an aws-chunked (STREAMING-*-TRAILER) body.',
      );
    }
    this.checksummer = this.plan ? createChecksummer(this.plan.algorithm) : null;
    this.sha256 = auth.payload.kind === 'sha256' ? createHash('sha256') : null;
  }

  /** The body's data bytes; iterate once. Throws S3Error on framing or chunk-signature errors. */
  async *chunks(): AsyncGenerator<Buffer> {
    if (this.consumed) throw new Error('payload already consumed');
    this.consumed = true;
    const p = this.auth.payload;
    const source =
      p.kind === 'streaming-signed'
        ? decodeAwsChunked(this.source, p.chunkSigner, p.trailer, this.trailers)
        : p.kind === 'streaming-unsigned-trailer'
          ? decodeAwsChunked(this.source, null, false, this.trailers)
          : this.source;
    for await (const chunk of source) {
      this.size += chunk.length;
      if (this.size > this.maxSize) throw new S3Error('EntityTooLarge');
      if (this.declaredLength !== undefined && this.size > this.declaredLength)
        throw new S3Error('IncompleteBody');
      this.md5.update(chunk);
      this.sha256?.update(chunk);
      this.checksummer?.update(chunk);
      yield chunk;
    }
  }

  /** Reads a small body whole (XML requests); MaxMessageLengthExceeded past `limit`. */
  async readAll(limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.chunks()) {
      total += chunk.length;
      if (total > limit) throw new S3Error('MaxMessageLengthExceeded');
      parts.push(chunk);
    }
    this.finish();
    return Buffer.concat(parts);
  }

  /** Checks length, SHA-256, Content-MD5 and checksum once the body is fully read. */
  finish(): PayloadResult {
    if (!this.consumed) throw new Error('payload not read');
    if (this.declaredLength !== undefined && this.size !== this.declaredLength)
      throw new S3Error('IncompleteBody');
    if (this.sha256) {
      const hex = this.sha256.digest('hex');
      if (this.auth.payload.kind === 'sha256' && hex !== this.auth.payload.hex) {
        throw new S3Error('XAmzContentSHA256Mismatch');
      }
    }
    const md5 = this.md5.digest();
    if (this.contentMd5 && !md5.equals(this.contentMd5)) throw new S3Error('BadDigest');
    let checksum: ChecksumValue | undefined;
    if (this.plan && this.checksummer) {
      const value = this.checksummer.digest();
      const expected = this.plan.trailer
        ? this.trailers.get(checksumHeader(this.plan.algorithm))
        : this.plan.expected;
      if (this.plan.trailer && expected === undefined) {
        throw new S3Error('InvalidRequest', `The trailer ${checksumHeader(this.plan.algorithm)} is missing.`);
      }
      if (expected !== undefined && expected !== value) {
        throw new S3Error(
          'BadDigest',
          `The ${this.plan.algorithm} you specified did not match the calculated checksum.`,
        );
      }
      checksum = { algorithm: this.plan.algorithm, value };
    }
    return { size: this.size, md5, checksum };
  }
}
