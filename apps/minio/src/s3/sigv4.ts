// AWS Signature Version 4 verification for S3: Authorization header, presigned query, and the
// seed for streaming chunk signatures. Facts: the AWS SigV4 documentation (canonical request, string to
// sign, signing key chain); S3 signs the payload hash given in x-amz-content-sha256 and does not
// double-encode the path.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Credentials } from '../config/env.js';
import { S3Error } from '../errors.js';

export type { Credentials };

/** What a request's payload hash claims, deciding how the body is verified. */
export type PayloadMode =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hex: string }
  | { kind: 'streaming-signed'; trailer: boolean; chunkSigner: ChunkSigner }
  | { kind: 'streaming-unsigned-trailer' };

/** A verified request identity and the payload verification it implies. */
export interface AuthResult {
  accessKey: string;
  payload: PayloadMode;
  presigned: boolean;
}

/** The parts of an HTTP request that SigV4 covers. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent, without the query. */
  rawPath: string;
  /** The query exactly as sent, without '?'. */
  rawQuery: string;
  /** Header name (lowercase) → values in arrival order. */
  headers: Map<string, string[]>;
}

/** The maximum difference between the request time and ours. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Percent-encodes per SigV4: everything but A-Z a-z 0-9 - _ . ~ (and '/' when `keepSlash`). */
export function uriEncode(text: string, keepSlash: boolean): string {
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) unescaped; SigV4 escapes ! * ' ( ) too.
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidArgument', 'The request contains an invalid UTF-16 string.');
  }
  const out = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? out.replace(/%2F/g, '/') : out;
}

/** decodeURIComponent that reports malformed escapes as an S3 error instead of throwing URIError. */
export function safeDecode(text: string, plusIsSpace = false): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    throw new S3Error('InvalidArgument', 'The request contains a malformed percent-encoding.');
  }
}

/** Splits a raw query into decoded name/value pairs, in order ('+' means space, as Go's ParseQuery). */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([safeDecode(name, true), safeDecode(value, true)]);
  }
  return out;
}

function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalHeaders(req: SignedRequest, signed: string[]): string {
  return signed
    .map((name) => {
      const values = req.headers.get(name) ?? [];
      return `${name}:${values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`;
    })
    .join('');
}

/** Candidate canonical URIs: the decoded path re-encoded once (what SDKs sign), then the raw path. */
function canonicalUris(rawPath: string): string[] {
  const reencoded = rawPath
    .split('/')
    .map((seg) => uriEncode(safeDecode(seg), false))
    .join('/');
  return reencoded === rawPath ? [rawPath] : [reencoded, rawPath];
}

interface Scope {
  accessKey: string;
  date: string;
  region: string;
  service: string;
}

function parseCredential(value: string, queryForm: boolean): Scope {
  const code = queryForm ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
  const parts = value.split('/');
  // The access key itself may contain '/', so take the scope from the end.
  if (parts.length < 5)
    throw new S3Error(code, 'The credential is malformed; expected "<key>/<date>/<region>/s3/aws4_request".');
  const terminator = parts.pop()!;
  const service = parts.pop()!;
  const region = parts.pop()!;
  const date = parts.pop()!;
  const accessKey = parts.join('/');
  if (terminator !== 'aws4_request')
    throw new S3Error(code, `The credential terminator is ${terminator}, expected aws4_request.`);
  if (service !== 's3') throw new S3Error(code, `The credential service is ${service}, expected s3.`);
  if (!/^\d{8}$/.test(date)) throw new S3Error(code, 'The credential date is malformed.');
  return { accessKey, date, region, service };
}

function parseAmzDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function toAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The signing key HMAC chain; cached per (secret, date, region) since it changes once a day. */
const keyCache = new Map<string, Buffer>();
function signingKey(secret: string, scope: Scope): Buffer {
  const id = `${scope.date}/${scope.region}/${createHash('sha256').update(secret).digest('hex')}`;
  let key = keyCache.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), 's3'), 'aws4_request');
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

function scopeString(scope: Scope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

function isSignatureEqual(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex, 'hex'));
}

/**
 * Verifies the per-chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) bodies: each chunk
 * signs the previous signature and the chunk's SHA-256, starting from the request's seed signature.
 */
export class ChunkSigner {
  private previous: string;
  constructor(
    private readonly key: Buffer,
    private readonly amzDate: string,
    private readonly scope: string,
    seedSignature: string,
  ) {
    this.previous = seedSignature;
  }

  /** Checks one chunk's signature given the hex SHA-256 of its data; throws SignatureDoesNotMatch. */
  verifyChunk(dataSha256Hex: string, signature: string): void {
    const toSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      this.amzDate,
      this.scope,
      this.previous,
      EMPTY_SHA256,
      dataSha256Hex,
    ].join('\n');
    this.check(toSign, signature);
  }

  /** Checks the trailer signature over the trailer lines as sent ("name:value\n" each). */
  verifyTrailer(trailerText: string, signature: string): void {
    const toSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      this.amzDate,
      this.scope,
      this.previous,
      sha256Hex(trailerText),
    ].join('\n');
    this.check(toSign, signature);
  }

  private check(toSign: string, signature: string): void {
    const expected = createHmac('sha256', this.key).update(toSign).digest('hex');
    if (!isSignatureEqual(expected, signature)) throw new S3Error('SignatureDoesNotMatch');
    this.previous = signature;
  }
}

function payloadMode(
  hash: string,
  key: Buffer,
  amzDate: string,
  scope: string,
  seed: string,
  presigned: boolean,
): PayloadMode {
  switch (hash) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'unsigned' };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'streaming-unsigned-trailer' };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      if (presigned) break;
      return {
        kind: 'streaming-signed',
        trailer: hash.endsWith('-TRAILER'),
        chunkSigner: new ChunkSigner(key, amzDate, scope, seed),
      };
    default:
      if (/^[0-9a-f]{64}$/.test(hash)) return { kind: 'sha256', hex: hash };
  }
  throw new S3Error('InvalidArgument', `Unsupported x-amz-content-sha256 value: ${hash}`);
}

function verify(
  req: SignedRequest,
  query: Array<[string, string]>,
  signedHeaders: string[],
  payloadHash: string,
  amzDate: string,
  scope: Scope,
  key: Buffer,
  signature: string,
): void {
  const headerBlock = canonicalHeaders(req, signedHeaders);
  const queryString = canonicalQuery(query);
  const credentialScope = scopeString(scope);
  for (const uri of canonicalUris(req.rawPath)) {
    const canonical = [req.method, uri, queryString, headerBlock, signedHeaders.join(';'), payloadHash].join(
      '\n',
    );
    const toSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonical)].join('\n');
    const expected = createHmac('sha256', key).update(toSign).digest('hex');
    if (isSignatureEqual(expected, signature)) return;
  }
  throw new S3Error('SignatureDoesNotMatch');
}

function checkAccessKey(scope: Scope, creds: Credentials): void {
  const given = Buffer.from(scope.accessKey);
  const ours = Buffer.from(creds.accessKey);
  if (given.length !== ours.length || !timingSafeEqual(given, ours)) throw new S3Error('InvalidAccessKeyId');
}

function parseSignedHeaders(
  value: string | undefined,
  code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
): string[] {
  if (!value) throw new S3Error(code, 'SignedHeaders is missing.');
  const list = value.split(';');
  if (!list.includes('host')) throw new S3Error(code, 'The host header must be signed.');
  return list;
}

/**
 * x-amz-* headers a header signature binds without naming them: the payload hash is the last line of the
 * canonical request and the date is in the string to sign. A presigned request takes both from its
 * (signed) query and ignores the headers; x-amz-content-sha256 is still tolerated there, as S3 does.
 */
const BOUND_BY_HEADER_SIGNATURE = new Set(['x-amz-content-sha256', 'x-amz-date']);
const IGNORED_BY_PRESIGNED = new Set(['x-amz-content-sha256']);

/**
 * Refuses a request that carries an x-amz-* header its signature does not cover (AWS: 403 AccessDenied
 * with <HeadersNotSigned>). Handlers obey those headers (copy source, metadata, tagging, SSE, checksums,
 * aws-chunked lengths), so an unsigned one would let whoever holds a signed request, e.g. a presigned
 * PUT URL, turn it into another operation.
 */
function rejectUnsignedAmzHeaders(req: SignedRequest, signedHeaders: string[], exempt: Set<string>): void {
  const signed = new Set(signedHeaders.map((h) => h.toLowerCase()));
  const unsigned = [...req.headers.keys()].filter(
    (name) => name.startsWith('x-amz-') && !signed.has(name) && !exempt.has(name),
  );
  if (unsigned.length === 0) return;
  const err = new S3Error('AccessDenied', 'There were headers present in the request which were not signed');
  err.elements.push(['HeadersNotSigned', unsigned.join(', ')]);
  throw err;
}

function header(req: SignedRequest, name: string): string | undefined {
  return req.headers.get(name)?.join(',');
}

/** True when the request carries SigV4 credentials in a header or the query. */
export function hasCredentials(req: SignedRequest, query: Array<[string, string]>): boolean {
  return (
    header(req, 'authorization') !== undefined ||
    query.some(([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Signature')
  );
}

/**
 * Authenticates a request signed in the Authorization header or presigned in the query. Throws S3Error:
 * AccessDenied (anonymous, expired presign, an x-amz-* header left out of the signature),
 * InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, AuthorizationHeaderMalformed /
 * AuthorizationQueryParametersError.
 */
export function authenticate(req: SignedRequest, creds: Credentials, now: Date = new Date()): AuthResult {
  const query = parseQuery(req.rawQuery);
  const auth = header(req, 'authorization');
  if (auth !== undefined) return authenticateHeader(req, query, auth, creds, now);
  if (query.some(([k]) => k === 'X-Amz-Algorithm')) return authenticatePresigned(req, query, creds, now);
  if (query.some(([k]) => k === 'AWSAccessKeyId')) {
    throw new S3Error(
      'AccessDenied',
      'Signature Version 2 is not supported; sign requests with AWS4-HMAC-SHA256.',
    );
  }
  throw new S3Error('AccessDenied');
}

function authenticateHeader(
  req: SignedRequest,
  query: Array<[string, string]>,
  auth: string,
  creds: Credentials,
  now: Date,
): AuthResult {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(auth.trim());
  if (!m) {
    if (auth.startsWith('AWS ')) {
      throw new S3Error(
        'AccessDenied',
        'Signature Version 2 is not supported; sign requests with AWS4-HMAC-SHA256.',
      );
    }
    throw new S3Error('AuthorizationHeaderMalformed', 'Unsupported authorization type.');
  }
  const fields = new Map<string, string>();
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'The authorization header is missing Credential or Signature.',
    );
  }
  const scope = parseCredential(credential, false);
  const signedHeaders = parseSignedHeaders(fields.get('SignedHeaders'), 'AuthorizationHeaderMalformed');
  checkAccessKey(scope, creds);

  const amzDateHeader = header(req, 'x-amz-date');
  let date = parseAmzDate(amzDateHeader);
  let amzDate = amzDateHeader ?? '';
  if (!date) {
    const httpDate = header(req, 'date');
    const ms = httpDate ? Date.parse(httpDate) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    }
    date = new Date(ms);
    amzDate = toAmzDate(date);
  }
  if (Math.abs(now.getTime() - date.getTime()) > MAX_CLOCK_SKEW_MS) throw new S3Error('RequestTimeTooSkewed');
  if (amzDate.slice(0, 8) !== scope.date) {
    throw new S3Error('AuthorizationHeaderMalformed', 'The credential date does not match the request date.');
  }

  const payloadHash = header(req, 'x-amz-content-sha256') ?? EMPTY_SHA256;
  const key = signingKey(creds.secretKey, scope);
  verify(req, query, signedHeaders, payloadHash, amzDate, scope, key, signature);
  rejectUnsignedAmzHeaders(req, signedHeaders, BOUND_BY_HEADER_SIGNATURE);
  return {
    accessKey: scope.accessKey,
    payload: payloadMode(payloadHash, key, amzDate, scopeString(scope), signature, false),
    presigned: false,
  };
}

/**
 * X-Amz-Expires in seconds, read as MinIO reads it (a Go duration of that many seconds): a decimal
 * number with an optional sign and fraction, within Go's duration range; undefined when it is none.
 * 0 is valid and already expired; a negative value is refused apart (docs/s3.md#presigned-urls).
 */
export function parseExpires(value: string): number | undefined {
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(value)) return undefined;
  const seconds = Number(value);
  return Math.abs(seconds) * 1e9 > 2 ** 63 ? undefined : seconds;
}

function authenticatePresigned(
  req: SignedRequest,
  query: Array<[string, string]>,
  creds: Credentials,
  now: Date,
): AuthResult {
  const get = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];
  const code = 'AuthorizationQueryParametersError';
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Error(code, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
  }
  const credential = get('X-Amz-Credential');
  const signature = get('X-Amz-Signature');
  const amzDate = get('X-Amz-Date');
  const expires = get('X-Amz-Expires');
  if (!credential || !signature || !amzDate || expires === undefined) {
    throw new S3Error(
      code,
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const scope = parseCredential(credential, true);
  const signedHeaders = parseSignedHeaders(get('X-Amz-SignedHeaders'), code);
  checkAccessKey(scope, creds);
  const date = parseAmzDate(amzDate);
  if (!date)
    throw new S3Error(code, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const seconds = parseExpires(expires);
  if (seconds === undefined) throw new S3Error(code, 'X-Amz-Expires should be a number');
  if (seconds < 0) throw new S3Error(code, 'X-Amz-Expires must be non-negative');
  if (seconds > MAX_PRESIGN_SECONDS) {
    throw new S3Error(code, 'X-Amz-Expires must be less than a week (in seconds) that is 604800 seconds');
  }
  if (amzDate.slice(0, 8) !== scope.date)
    throw new S3Error(code, 'The credential date does not match X-Amz-Date.');
  if (date.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS)
    throw new S3Error('AccessDenied', 'Request is not valid yet');
  if (now.getTime() > date.getTime() + seconds * 1000)
    throw new S3Error('AccessDenied', 'Request has expired');

  const payloadHash = get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const key = signingKey(creds.secretKey, scope);
  const signedQuery = query.filter(([k]) => k !== 'X-Amz-Signature');
  verify(req, signedQuery, signedHeaders, payloadHash, amzDate, scope, key, signature);
  rejectUnsignedAmzHeaders(req, signedHeaders, IGNORED_BY_PRESIGNED);
  return {
    accessKey: scope.accessKey,
    payload: payloadMode(payloadHash, key, amzDate, scopeString(scope), signature, true),
    presigned: true,
  };
}
