// HTTP rules of object requests: which request headers become object properties, which headers a
// response carries, conditional requests (RFC 7232 as S3 applies it) and single byte ranges.

import { S3Error } from '../errors.js';
import type { ObjectMeta, ObjectProperties } from '../storage/types.js';
import { checksumHeader } from './checksum.js';
import { parseTaggingHeader } from './tagging.js';

/** Content headers stored with an object and returned on GET/HEAD. */
export const CONTENT_HEADERS = [
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
] as const;

/** S3's limit on user-defined metadata (names and values), in bytes. */
export const MAX_USER_METADATA = 2 * 1024;
const STORAGE_CLASSES = new Set(['STANDARD', 'REDUCED_REDUNDANCY']);

type HeaderGetter = (name: string) => string | undefined;

/**
 * Object properties from PUT / CreateMultipartUpload / CopyObject(REPLACE) headers, tags from
 * x-amz-tagging. Throws MetadataTooLarge, InvalidStorageClass, and InvalidTag / BadRequest. aws-chunked is a
 * transfer detail and is not stored.
 */
export function propertiesFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): ObjectProperties {
  const get: HeaderGetter = (name) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const userMetadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    userMetadata[name] = v;
    metaBytes += name.length - 'x-amz-meta-'.length + Buffer.byteLength(v);
  }
  if (metaBytes > MAX_USER_METADATA) throw new S3Error('MetadataTooLarge');
  const out: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    let v = get(name);
    if (name === 'content-encoding' && v !== undefined) v = withoutAwsChunked(v);
    if (v !== undefined) out[name] = v;
  }
  const storageClass = get('x-amz-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(storageClass)) throw new S3Error('InvalidStorageClass');
  return {
    // Absent, S3's default; present, stored as sent, whatever it says (docs/s3.md#content-type).
    contentType: get('content-type') ?? 'binary/octet-stream',
    headers: out,
    userMetadata,
    storageClass,
    tags: parseTaggingHeader(get('x-amz-tagging')),
    internal: {},
  };
}

/**
 * Content-Encoding without the `aws-chunked` transfer detail, as MinIO stores it: the value split on
 * commas, elements exactly `aws-chunked` dropped, the rest joined back untouched (`deflate, gzip` stays
 * byte-for-byte; ` aws-chunked` with its space is not the token). Undefined when nothing is left
 * (docs/s3.md#content-encoding).
 */
export function withoutAwsChunked(value: string): string | undefined {
  const kept = value.split(',').filter((s) => s !== 'aws-chunked');
  return kept.length === 0 ? undefined : kept.join(',');
}

/** Last-Modified as HTTP date (second precision). */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** Quotes an ETag for headers and XML. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** The headers a GET/HEAD response for `meta` carries (before range and overrides). */
export function objectResponseHeaders(meta: ObjectMeta, withChecksum: boolean): Record<string, string> {
  const h: Record<string, string> = {
    etag: quoteEtag(meta.etag),
    'last-modified': httpDate(meta.lastModified),
    'content-type': meta.contentType,
    'accept-ranges': 'bytes',
    ...meta.headers,
    ...meta.userMetadata,
  };
  if (meta.storageClass !== 'STANDARD') h['x-amz-storage-class'] = meta.storageClass;
  // A multipart object of one part still counts its parts, as its ETag's "-1" says.
  if (meta.parts.length > 1 || /-\d+$/.test(meta.etag)) h['x-amz-mp-parts-count'] = String(meta.parts.length);
  if (meta.tags && meta.tags.length > 0) h['x-amz-tagging-count'] = String(meta.tags.length);
  if (withChecksum && meta.checksum) h[checksumHeader(meta.checksum.algorithm)] = meta.checksum.value;
  return h;
}

/** response-* query parameters of signed GETs override these response headers. */
export const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function etagList(value: string): string[] {
  return value.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
}

function matchesEtag(value: string, etag: string): boolean {
  const list = etagList(value);
  return list.includes('*') || list.includes(etag);
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Evaluates If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304 for reads).
 * If-Unmodified-Since is ignored when If-Match is present, If-Modified-Since when If-None-Match is.
 */
export function checkConditions(get: HeaderGetter, meta: ObjectMeta): void {
  const modified = Math.floor(Date.parse(meta.lastModified) / 1000);
  const ifMatch = get('if-match');
  if (ifMatch !== undefined) {
    if (!matchesEtag(ifMatch, meta.etag)) throw new S3Error('PreconditionFailed');
  } else {
    const since = parseDate(get('if-unmodified-since'));
    if (since !== undefined && modified > since) throw new S3Error('PreconditionFailed');
  }
  const notModified = () =>
    new S3Error(
      'NotModified',
      undefined,
      {},
      { etag: quoteEtag(meta.etag), 'last-modified': httpDate(meta.lastModified) },
    );
  const ifNoneMatch = get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (matchesEtag(ifNoneMatch, meta.etag)) throw notModified();
  } else {
    const since = parseDate(get('if-modified-since'));
    if (since !== undefined && modified <= since) throw notModified();
  }
}

/** The x-amz-copy-source-if-* conditions of CopyObject / UploadPartCopy; all fail with 412. */
export function checkCopyConditions(get: HeaderGetter, meta: ObjectMeta): void {
  const modified = Math.floor(Date.parse(meta.lastModified) / 1000);
  const ifMatch = get('x-amz-copy-source-if-match');
  const ifNoneMatch = get('x-amz-copy-source-if-none-match');
  const unmodifiedSince = parseDate(get('x-amz-copy-source-if-unmodified-since'));
  const modifiedSince = parseDate(get('x-amz-copy-source-if-modified-since'));
  const fail = () => new S3Error('PreconditionFailed');
  if (ifMatch !== undefined) {
    if (!matchesEtag(ifMatch, meta.etag)) throw fail();
  } else if (unmodifiedSince !== undefined && modified > unmodifiedSince) throw fail();
  if (ifNoneMatch !== undefined) {
    if (matchesEtag(ifNoneMatch, meta.etag)) throw fail();
  } else if (modifiedSince !== undefined && modified <= modifiedSince) throw fail();
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Resolves a Range header against an object size. Returns undefined for the whole object (no header, or a
 * syntactically invalid / multi-range header, which HTTP says to ignore); throws InvalidRange (416) when
 * the range is well-formed but unsatisfiable.
 */
export function resolveRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () =>
    new S3Error('InvalidRange', undefined, {}, { 'content-range': `bytes */${size}` });
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  return { start, end: Math.min(end, size - 1) };
}

/** Parses x-amz-copy-source-range (bytes=a-b, both required); InvalidArgument / InvalidRange otherwise. */
export function resolveCopyRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m)
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last.',
    );
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || end >= size) {
    throw new S3Error(
      'InvalidRange',
      `The x-amz-copy-source-range is outside the source object of size ${size}.`,
    );
  }
  return { start, end };
}

/** S3's part numbers: 1 to 10000. */
export const MAX_PART_NUMBER = 10_000;

/** A partNumber query parameter; InvalidArgument unless it is an integer from 1 to 10000. */
export function parsePartNumber(value: string | undefined): number {
  const n = value !== undefined && /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
  }
  return n;
}

/**
 * The content bytes of part `value` (GET/HEAD ?partNumber=N) of an object whose parts have these sizes,
 * counted by position in the completed object as S3 does; a single-part object has part 1 only.
 * InvalidArgument for a number outside 1–10000, InvalidPartNumber (416) beyond the object's parts.
 */
export function resolvePartRange(value: string, partSizes: number[]): ByteRange {
  const n = parsePartNumber(value);
  if (n > partSizes.length) throw new S3Error('InvalidPartNumber');
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += partSizes[i]!;
  return { start, end: start + partSizes[n - 1]! - 1 };
}
