// Names: bucket naming rules, object key rules, and the byte order S3 lists keys in.
import { StorageError } from './errors.js';

/** Bucket names this server reserves for its own paths (/minio/health, /minio/admin). */
const RESERVED_BUCKETS = new Set(['minio']);

/**
 * True when `name` follows the S3 bucket naming rules: 3-63 characters of a-z 0-9 . -, starting and ending
 * with a letter or digit, no "..", ".-" or "-.", not an IPv4 address.
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  return !RESERVED_BUCKETS.has(name);
}

/** Throws StorageError InvalidBucketName unless `name` is a valid bucket name. */
export function checkBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new StorageError('InvalidBucketName', { bucket: name });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** S3's limit on key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws StorageError (EmptyObjectName, KeyTooLong, InvalidObjectName) unless `key` is a storable object name. Keys are opaque to the store (it addresses them by
 * hash), but names that clean to another path ("a/../b", "./a", "/a"), NUL, and invalid UTF-16 are
 * refused as MinIO does, because the encryption layer binds objects to path.Join(bucket, key).
 */
export function checkObjectKey(key: string): void {
  if (key.length === 0) throw new StorageError('EmptyObjectName');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new StorageError('KeyTooLong', { key });
  if (key.includes('\0') || key.startsWith('/') || LONE_SURROGATE.test(key)) {
    throw new StorageError('InvalidObjectName', { key });
  }
  for (const segment of key.split('/')) {
    if (segment === '.' || segment === '..') throw new StorageError('InvalidObjectName', { key });
  }
}

// UTF-16 code units sort differently from UTF-8 bytes only between surrogates (code points ≥ U+10000)
// and U+E000..U+FFFF; remapping those two ranges gives code-point (= UTF-8 byte) order.
function rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Compares keys in UTF-8 byte order, the order S3 lists them in. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}
