// A deliberately small, independent SigV4 signer and raw HTTP client for requests the SDKs refuse to
// send (traversal paths, bad digests, truncated bodies, odd Expect headers).
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { ACCESS_KEY, SECRET_KEY } from './helpers.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export interface SignOptions {
  method: string;
  /** Path exactly as it goes on the wire (already encoded). */
  path: string;
  query?: string;
  headers?: Record<string, string>;
  payloadHash?: string;
  date?: Date;
  secret?: string;
}

/** Headers of a SigV4-signed request; the canonical URI is the wire path. */
export function signHeaders(host: string, o: SignOptions): Record<string, string> {
  const date = o.date ?? new Date();
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const headers: Record<string, string> = {
    host,
    'x-amz-date': stamp,
    'x-amz-content-sha256': o.payloadHash ?? 'UNSIGNED-PAYLOAD',
    ...Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const names = Object.keys(headers).sort();
  const canonicalQuery = (o.query ?? '')
    .split('&')
    .filter((p) => p !== '')
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort()
    .join('&');
  const canonical = [
    o.method,
    o.path,
    canonicalQuery,
    names.map((n) => `${n}:${headers[n]!.trim()}\n`).join(''),
    names.join(';'),
    headers['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secret ?? SECRET_KEY}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}

/** Sends a request (signed unless `unsigned`) and collects the response. */
export function send(
  port: number,
  o: SignOptions & {
    body?: Buffer | string;
    unsigned?: boolean;
    hostHeader?: string;
    extraHeaders?: Record<string, string>;
  },
): Promise<RawResponse> {
  const host = o.hostHeader ?? `127.0.0.1:${port}`;
  const body = o.body === undefined ? undefined : Buffer.from(o.body);
  const headers = o.unsigned ? { host, ...(o.headers ?? {}) } : signHeaders(host, o);
  if (body !== undefined && headers['content-length'] === undefined)
    headers['content-length'] = String(body.length);
  Object.assign(headers, o.extraHeaders ?? {});
  const path = o.query ? `${o.path}?${o.query}` : o.path;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The <Code> of an S3 error body. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

export { sha256 };

const EMPTY_SHA256 = sha256('');

/**
 * A STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) upload built by the chunk-signing rules of the AWS
 * docs: each chunk signs the previous signature and its data hash; the trailer signs the canonical
 * trailing headers. `tamper` corrupts one signature to test rejection.
 */
export function signedChunkedPut(
  port: number,
  path: string,
  data: Buffer,
  chunkSize: number,
  opts: { trailer?: { name: string; value: string }; tamper?: 'chunk' | 'trailer' } = {},
): Promise<RawResponse> {
  const host = `127.0.0.1:${port}`;
  const date = new Date();
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const mode = opts.trailer
    ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
    : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  const signed: Record<string, string> = {
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(data.length),
  };
  if (opts.trailer) signed['x-amz-trailer'] = opts.trailer.name;
  const headers = signHeaders(host, { method: 'PUT', path, payloadHash: mode, headers: signed, date });
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, day), 'us-east-1'), 's3'), 'aws4_request');
  let previous = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
  const sign = (kind: string, hash: string, withEmpty: boolean) => {
    const parts = [kind, stamp, scope, previous, ...(withEmpty ? [EMPTY_SHA256] : []), hash];
    previous = createHmac('sha256', key).update(parts.join('\n')).digest('hex');
    return previous;
  };
  const pieces: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  chunks.push(Buffer.alloc(0));
  chunks.forEach((chunk, i) => {
    let sig = sign('AWS4-HMAC-SHA256-PAYLOAD', sha256(chunk), true);
    if (opts.tamper === 'chunk' && i === 0) sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    pieces.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${sig}\r\n`), chunk);
    if (chunk.length > 0) pieces.push(Buffer.from('\r\n'));
  });
  if (opts.trailer) {
    const line = `${opts.trailer.name}:${opts.trailer.value}`;
    let sig = sign('AWS4-HMAC-SHA256-TRAILER', sha256(`${line}\n`), false);
    if (opts.tamper === 'trailer') sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    pieces.push(Buffer.from(`${line}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`));
  } else {
    pieces.push(Buffer.from('\r\n'));
  }
  const body = Buffer.concat(pieces);
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path, headers }, (res) => {
      const out: Buffer[] = [];
      res.on('data', (c: Buffer) => out.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(out).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
