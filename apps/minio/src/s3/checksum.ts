// The flexible checksums of S3 (x-amz-checksum-*): CRC32, CRC32C, CRC64NVME, SHA1, SHA256. Values
// travel as base64 of the big-endian digest. CRC32 uses zlib's native crc32 where Node has it (20.15+).
import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { S3Error } from '../errors.js';
import type { ChecksumAlgorithm } from '../storage/types.js';

/** Algorithm names as S3 spells them in x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm. */
export type { ChecksumAlgorithm };

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = [
  'CRC32',
  'CRC32C',
  'CRC64NVME',
  'SHA1',
  'SHA256',
];

/** A running checksum. */
export interface Checksummer {
  update(data: Buffer): void;
  /** base64 of the big-endian digest. */
  digest(): string;
}

function crc32Table(poly: number): Uint32Array {
  // Slice-by-4 tables: table[k*256 + b].
  const t = new Uint32Array(1024);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 4; k++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = ((prev >>> 8) ^ t[prev & 0xff]!) >>> 0;
    }
  }
  return t;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

function crc32Update(t: Uint32Array, crc: number, data: Buffer): number {
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 4 <= n; i += 4) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type Crc32Fn = (data: Buffer, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

class Crc32 implements Checksummer {
  private crc = 0;
  constructor(private readonly table: Uint32Array | null) {}
  update(data: Buffer): void {
    this.crc = this.table ? crc32Update(this.table, this.crc, data) : nativeCrc32!(data, this.crc);
  }
  digest(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out.toString('base64');
  }
}

// CRC64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones. The 64-bit state is
// kept as two uint32 halves to stay out of BigInt on the hot path.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_LO[i] = Number(c & 0xffffffffn);
    CRC64_HI[i] = Number(c >> 32n);
  }
}

class Crc64Nvme implements Checksummer {
  private lo = 0xffffffff;
  private hi = 0xffffffff;
  update(data: Buffer): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!;
      hi = (hi >>> 8) ^ CRC64_HI[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }
  digest(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out.toString('base64');
  }
}

class HashChecksum implements Checksummer {
  private readonly hash: Hash;
  private value: string | undefined;
  constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }
  update(data: Buffer): void {
    this.hash.update(data);
  }
  digest(): string {
    this.value ??= this.hash.digest('base64');
    return this.value;
  }
}

/** A fresh checksummer for `algorithm`. */
export function createChecksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32(nativeCrc32 ? null : CRC32_TABLE);
    case 'CRC32C':
      return new Crc32(CRC32C_TABLE);
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new HashChecksum('sha1');
    case 'SHA256':
      return new HashChecksum('sha256');
  }
}

const digestLengths: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** Parses an algorithm name (any case); throws InvalidRequest for unknown ones. */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm {
  const upper = name.toUpperCase() as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(upper)) {
    throw new S3Error('InvalidRequest', `Value for x-amz-checksum-algorithm header is invalid: ${name}`);
  }
  return upper;
}

/** The header carrying `algorithm`'s value: x-amz-checksum-crc32 etc. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** True when `value` is base64 of a digest of the right length for `algorithm`. */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === digestLengths[algorithm];
}
