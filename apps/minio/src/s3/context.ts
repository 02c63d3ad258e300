// The per-request view every S3 handler gets: addressing (bucket, key), query, headers, the verified
// identity, a lazily opened payload, and reply helpers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { S3Error } from '../errors.js';
import { isHeaderValue } from '../http/header-value.js';
import type { SseService } from '../sse/service.js';
import type { FsStore } from '../storage/fs-store.js';
import type { RequestAccess } from './access.js';
import { Payload } from './payload.js';
import type { AuthResult } from './sigv4.js';

/** The owner every bucket and object reports (MinIO's fixed owner id). */
export const OWNER_ID = '02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4';
export const OWNER_NAME = 'minio';

/** Settings handlers need from the server configuration. */
export interface HandlerConfig {
  region: string;
  /** Server-side encryption (KMS, bucket defaults, auto-encryption); buildServer always sets it. */
  sse?: SseService | undefined;
}

/** A request header by lower-case name; repeated headers joined with commas, as Node joins most. */
export function headerValue(headers: FastifyRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Everything a handler needs about one request. */
export class S3Context {
  /** First value of each query parameter. */
  readonly query: Map<string, string>;

  constructor(
    readonly req: FastifyRequest,
    readonly reply: FastifyReply,
    readonly store: FsStore,
    readonly config: HandlerConfig,
    readonly bucket: string | undefined,
    readonly key: string | undefined,
    queryPairs: Array<[string, string]>,
    readonly auth: AuthResult,
    /** What this request may do: everything when signed, what the bucket policy allows when anonymous. */
    readonly access: RequestAccess,
  ) {
    this.query = new Map();
    for (const [k, v] of queryPairs) if (!this.query.has(k)) this.query.set(k, v);
  }

  /** True when the request came over TLS. */
  get isSecure(): boolean {
    return this.req.protocol === 'https';
  }

  /** The server's SSE service (buildServer always sets one). */
  get sse(): SseService | undefined {
    return this.config.sse;
  }

  get method(): string {
    return this.req.method;
  }

  /** A request header by lowercase name; repeated headers joined with ','. */
  header(name: string): string | undefined {
    return headerValue(this.req.headers, name);
  }

  /**
   * The headers that describe a new object: the request's, plus on a presigned request the x-amz-meta-*
   * and x-amz-tagging parameters SDK presigners hoist into the (signed) query. A header wins over a
   * parameter of the same name.
   */
  objectHeaders(): Record<string, string | string[] | undefined> {
    if (!this.auth.presigned) return this.req.headers;
    const merged: Record<string, string | string[] | undefined> = { ...this.req.headers };
    for (const [param, value] of this.query) {
      const name = param.toLowerCase();
      if ((name.startsWith('x-amz-meta-') || name === 'x-amz-tagging') && merged[name] === undefined) {
        // A header value stored here is sent back on every GET: it must be one an answer can carry.
        if (!isHeaderValue(value)) throw new S3Error('InvalidArgument', `Invalid ${param} value.`);
        merged[name] = value;
      }
    }
    return merged;
  }

  /** The bucket, which the route guarantees is present. */
  get bucketName(): string {
    if (this.bucket === undefined) throw new Error('route without bucket');
    return this.bucket;
  }

  /** The object key, which the route guarantees is present. */
  get objectKey(): string {
    if (this.key === undefined) throw new Error('route without key');
    return this.key;
  }

  /** Opens the request body for reading once, decoded and verified. */
  payload(maxSize: number): Payload {
    const source = this.req.raw.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    return new Payload(source, this.auth, (n) => this.header(n), maxSize);
  }

  /** Reads a small XML request body whole (bounded). */
  async readBody(limit: number): Promise<Buffer> {
    if (this.header('content-length') === undefined && this.header('transfer-encoding') === undefined) {
      return Buffer.alloc(0);
    }
    return this.payload(limit).readAll(limit);
  }

  /** Sends an XML document with `status`. */
  sendXml(xml: string, status = 200, headers: Record<string, string> = {}): FastifyReply {
    return this.reply.code(status).headers(headers).header('content-type', 'application/xml').send(xml);
  }

  /** Sends an empty body with `status`. */
  sendEmpty(status: number, headers: Record<string, string> = {}): FastifyReply {
    return this.reply.code(status).headers(headers).send();
  }

  /** Throws NotImplemented for a sub-resource this server does not provide. */
  notImplemented(what: string): never {
    throw new S3Error('NotImplemented', `${what} is not implemented.`);
  }
}
