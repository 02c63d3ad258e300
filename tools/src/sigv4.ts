// One AWS Signature Version 4 signer for tests and benchmarks that build S3 requests by hand: in the
// Authorization header, as a presigned URL, and for aws-chunked uploads with per-chunk signatures.
// It signs exactly what it is given (the wire path, the headers as passed), so tests can send what
// SDKs never do: headers outside the signature, skewed clocks, tampered chunks, traversal paths.
import { createHash, createHmac } from 'node:crypto';

/** Who signs. `region` defaults to us-east-1; the service is always s3. */
export interface SigV4Credentials {
  accessKey: string;
  secretKey: string;
  region?: string;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Lower-case hex SHA-256. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const EMPTY_SHA256 = sha256Hex('');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** ISO 8601 basic format (20260102T030405Z), as X-Amz-Date carries it. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function scopeOf(creds: SigV4Credentials, stamp: string): string {
  return `${stamp.slice(0, 8)}/${creds.region ?? 'us-east-1'}/s3/aws4_request`;
}

function signingKey(creds: SigV4Credentials, stamp: string): Buffer {
  const day = hmac(`AWS4${creds.secretKey}`, stamp.slice(0, 8));
  return hmac(hmac(hmac(day, creds.region ?? 'us-east-1'), 's3'), 'aws4_request');
}

/** The query in canonical form: parameters sorted, a bare name given its `=`. Values are taken as encoded. */
function canonicalQuery(query: string): string {
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort()
    .join('&');
}

function signature(
  creds: SigV4Credentials,
  stamp: string,
  r: { method: string; path: string; query: string; headers: Record<string, string>; payloadHash: string },
): string {
  const names = Object.keys(r.headers).sort();
  const canonical = [
    r.method,
    r.path,
    canonicalQuery(r.query),
    names.map((n) => `${n}:${r.headers[n]!.trim().replace(/ +/g, ' ')}\n`).join(''),
    names.join(';'),
    r.payloadHash,
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scopeOf(creds, stamp), sha256Hex(canonical)].join('\n');
  return createHmac('sha256', signingKey(creds, stamp)).update(toSign).digest('hex');
}

export interface SignRequest {
  method: string;
  /** Path exactly as it goes on the wire (already encoded): it is signed as is. */
  path: string;
  /** Query string without `?`, as on the wire. */
  query?: string;
  /** Headers to sign (names are lower-cased); they override the ones the signer adds. */
  headers?: Record<string, string>;
  /** x-amz-content-sha256: the body's SHA-256, UNSIGNED-PAYLOAD (default) or a streaming mode. */
  payloadHash?: string;
  /** Signing time (default now), to test clock skew. */
  date?: Date;
}

/**
 * The headers of a request signed in the Authorization header: host, x-amz-date,
 * x-amz-content-sha256, the given ones, and authorization. Every header returned is signed.
 */
export function signHeaders(host: string, creds: SigV4Credentials, r: SignRequest): Record<string, string> {
  const stamp = amzDate(r.date ?? new Date());
  const headers: Record<string, string> = {
    host,
    'x-amz-date': stamp,
    'x-amz-content-sha256': r.payloadHash ?? UNSIGNED_PAYLOAD,
    ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const sig = signature(creds, stamp, {
    method: r.method,
    path: r.path,
    query: r.query ?? '',
    headers,
    payloadHash: headers['x-amz-content-sha256']!,
  });
  headers['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scopeOf(creds, stamp)}, ` +
    `SignedHeaders=${Object.keys(headers).sort().join(';')}, Signature=${sig}`;
  return headers;
}

/** RFC 3986 encoding, as SigV4 wants query parameters. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A presigned URL's path and query for `method` on `path` (wire form), valid `expires` seconds from
 * `date` (default now), signing only the host header and an unsigned payload.
 */
export function presignPath(
  host: string,
  creds: SigV4Credentials,
  r: { method: string; path: string; expires: number; date?: Date },
): string {
  const stamp = amzDate(r.date ?? new Date());
  const query = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKey}/${scopeOf(creds, stamp)}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(r.expires)],
    ['X-Amz-SignedHeaders', 'host'],
  ]
    .map(([k, v]) => `${uriEncode(k!)}=${uriEncode(v!)}`)
    .sort()
    .join('&');
  const sig = signature(creds, stamp, {
    method: r.method,
    path: r.path,
    query,
    headers: { host },
    payloadHash: UNSIGNED_PAYLOAD,
  });
  return `${r.path}?${query}&X-Amz-Signature=${sig}`;
}

export interface ChunkedUpload {
  /** Wire path of the PUT. */
  path: string;
  data: Buffer;
  /** More headers to sign (e.g. x-amz-storage-class). */
  headers?: Record<string, string>;
  chunkSize: number;
  /** A signed trailer: the upload becomes STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER. */
  trailer?: { name: string; value: string };
  /** Text put after the final chunk without any signature (a forged trailer section). */
  unsignedTrailer?: string;
  /** x-amz-decoded-content-length to declare (default the data's length). */
  declaredLength?: number;
  /** Corrupt the signature of this chunk (0-based; the final empty chunk counts). */
  tamperChunk?: number;
  /** Corrupt the trailer's signature. */
  tamperTrailer?: boolean;
  date?: Date;
}

function corrupt(sig: string): string {
  return sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
}

/**
 * An aws-chunked PUT signed by the chunk-signing rules of the AWS docs: each chunk signs the
 * previous signature and its data's hash, a trailer signs its canonical line. Returns the headers
 * (content-length included) and the body to send.
 */
export function signChunkedUpload(
  host: string,
  creds: SigV4Credentials,
  o: ChunkedUpload,
): { headers: Record<string, string>; body: Buffer } {
  const date = o.date ?? new Date();
  const stamp = amzDate(date);
  const scope = scopeOf(creds, stamp);
  const key = signingKey(creds, stamp);
  const mode = o.trailer
    ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
    : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  const signed: Record<string, string> = {
    ...o.headers,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(o.declaredLength ?? o.data.length),
  };
  if (o.trailer) signed['x-amz-trailer'] = o.trailer.name;
  const headers = signHeaders(host, creds, {
    method: 'PUT',
    path: o.path,
    payloadHash: mode,
    headers: signed,
    date,
  });
  let previous = /Signature=([0-9a-f]{64})/.exec(headers['authorization']!)![1]!;
  const next = (kind: string, hash: string, withEmpty: boolean) => {
    const parts = [kind, stamp, scope, previous, ...(withEmpty ? [EMPTY_SHA256] : []), hash];
    previous = createHmac('sha256', key).update(parts.join('\n')).digest('hex');
    return previous;
  };
  const chunks: Buffer[] = [];
  for (let i = 0; i < o.data.length; i += o.chunkSize) chunks.push(o.data.subarray(i, i + o.chunkSize));
  chunks.push(Buffer.alloc(0));
  const pieces: Buffer[] = [];
  chunks.forEach((chunk, i) => {
    const sig = next('AWS4-HMAC-SHA256-PAYLOAD', sha256Hex(chunk), true);
    pieces.push(
      Buffer.from(
        `${chunk.length.toString(16)};chunk-signature=${o.tamperChunk === i ? corrupt(sig) : sig}\r\n`,
      ),
      chunk,
    );
    if (chunk.length > 0) pieces.push(Buffer.from('\r\n'));
  });
  if (o.trailer) {
    const line = `${o.trailer.name}:${o.trailer.value}`;
    const sig = next('AWS4-HMAC-SHA256-TRAILER', sha256Hex(`${line}\n`), false);
    pieces.push(
      Buffer.from(`${line}\r\nx-amz-trailer-signature:${o.tamperTrailer ? corrupt(sig) : sig}\r\n\r\n`),
    );
  } else if (o.unsignedTrailer !== undefined) {
    // The trailer section replaces the empty line that ends a body without one.
    pieces.push(Buffer.from(`${o.unsignedTrailer}\r\n\r\n`));
  } else {
    pieces.push(Buffer.from('\r\n'));
  }
  const body = Buffer.concat(pieces);
  headers['content-length'] = String(body.length);
  return { headers, body };
}
