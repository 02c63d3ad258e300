// One audit entry per S3 request, in MinIO's audit entry shape (version "1", trigger "incoming", api {…},
// remotehost, requestID, userAgent, requestQuery, requestHeader, responseHeader, tags, accessKey). The
// headers keep the encryption facts — x-amz-server-side-encryption, its KMS key id and context, the
// SSE-C algorithm and key MD5 — and lose every secret: Authorization, cookies, session tokens, the SSE-C
// keys themselves and signatures in the query. `tags.kms` lists the KMS calls the request caused
// (operation, master key name, milliseconds, outcome): no key material ever enters an entry.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { RequestInfo } from '../http/request-context.js';

/** MinIO's audit entry (the fields this server fills). */
export interface AuditEntry {
  version: '1';
  time: string;
  trigger: 'incoming';
  api: {
    name?: string | undefined;
    bucket?: string | undefined;
    object?: string | undefined;
    status?: string | undefined;
    statusCode: number;
    /** Request body bytes (as declared by Content-Length). */
    rx: number;
    /** Response body bytes (as declared by Content-Length). */
    tx: number;
    timeToResponse: string;
    timeToResponseInNS: string;
  };
  remotehost?: string | undefined;
  requestID: string;
  userAgent?: string | undefined;
  requestQuery?: Record<string, string> | undefined;
  requestHeader: Record<string, string>;
  responseHeader: Record<string, string>;
  tags?: { kms: RequestInfo['kmsCalls'] } | undefined;
  accessKey?: string | undefined;
}

/** Headers whose values are secrets or grant access: never written. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-amz-security-token',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key',
]);

/** Query parameters that carry a signature or a session token (presigned URLs). */
const SECRET_QUERY = new Set(['x-amz-signature', 'signature', 'x-amz-security-token']);

function headerRecord(
  headers: IncomingHttpHeaders | Record<string, string | number | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (v === undefined || SECRET_HEADERS.has(lower)) continue;
    out[canonical(lower)] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

/** Canonical forms already computed; clients choose header names, so the map is bounded. */
const canonicalNames = new Map<string, string>();

/** Go's canonical header form, as MinIO's entries show names: `X-Amz-Server-Side-Encryption`. */
function canonical(name: string): string {
  let c = canonicalNames.get(name);
  if (c === undefined) {
    c = name.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
    if (canonicalNames.size < 512) canonicalNames.set(name, c);
  }
  return c;
}

function queryRecord(url: string): Record<string, string> | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(url.slice(q + 1)))
    if (!SECRET_QUERY.has(k.toLowerCase()) && !(k in out)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** What the server knows about a finished request. */
export interface FinishedRequest {
  info: RequestInfo;
  url: string;
  remoteAddress: string | undefined;
  requestHeaders: IncomingHttpHeaders;
  responseHeaders: OutgoingHttpHeaders | Record<string, string | number | string[] | undefined>;
  statusCode: number;
  /** From the request's arrival to the end of the response, in ms. */
  elapsedMs: number;
  /** When the response finished. */
  time: Date;
}

function length(v: unknown): number {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The audit entry of a finished request. Absent facts are left undefined, which JSON.stringify omits,
 * as Go's `omitempty` does.
 */
export function auditEntry(r: FinishedRequest): AuditEntry {
  // Nanoseconds stay exact as a double for 104 days.
  const ns = String(Math.round(r.elapsedMs * 1e6));
  const ua = r.requestHeaders['user-agent'];
  return {
    version: '1',
    time: r.time.toISOString(),
    trigger: 'incoming',
    api: {
      name: r.info.api,
      bucket: r.info.bucket,
      object: r.info.object,
      status: STATUS_CODES[r.statusCode],
      statusCode: r.statusCode,
      rx: length(r.requestHeaders['content-length']),
      tx: length(r.responseHeaders['content-length']),
      timeToResponse: `${ns}ns`,
      timeToResponseInNS: ns,
    },
    remotehost: r.remoteAddress || undefined,
    requestID: r.info.id,
    userAgent: ua || undefined,
    requestQuery: queryRecord(r.url),
    requestHeader: headerRecord(r.requestHeaders),
    responseHeader: headerRecord(r.responseHeaders),
    tags: r.info.kmsCalls.length > 0 ? { kms: r.info.kmsCalls } : undefined,
    accessKey: r.info.accessKey || undefined,
  };
}
