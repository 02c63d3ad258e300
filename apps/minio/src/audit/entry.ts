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
    name?: string;
    bucket?: string;
    object?: string;
    status?: string;
    statusCode: number;
    /** Request body bytes (as declared by Content-Length). */
    rx: number;
    /** Response body bytes (as declared by Content-Length). */
    tx: number;
    timeToResponse: string;
    timeToResponseInNS: string;
  };
  remotehost?: string;
  requestID: string;
  userAgent?: string;
  requestQuery?: Record<string, string>;
  requestHeader: Record<string, string>;
  responseHeader: Record<string, string>;
  tags?: { kms: RequestInfo['kmsCalls'] };
  accessKey?: string;
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

/** Go's canonical header form, as MinIO's entries show names: `X-Amz-Server-Side-Encryption`. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
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

/** The audit entry of a finished request. */
export function auditEntry(r: FinishedRequest): AuditEntry {
  const ns = BigInt(Math.round(r.elapsedMs * 1e6)).toString();
  const entry: AuditEntry = {
    version: '1',
    time: r.time.toISOString(),
    trigger: 'incoming',
    api: {
      ...(r.info.api !== undefined ? { name: r.info.api } : {}),
      ...(r.info.bucket !== undefined ? { bucket: r.info.bucket } : {}),
      ...(r.info.object !== undefined ? { object: r.info.object } : {}),
      ...(STATUS_CODES[r.statusCode] ? { status: STATUS_CODES[r.statusCode] } : {}),
      statusCode: r.statusCode,
      rx: length(r.requestHeaders['content-length']),
      tx: length(r.responseHeaders['content-length']),
      timeToResponse: `${ns}ns`,
      timeToResponseInNS: ns,
    },
    ...(r.remoteAddress ? { remotehost: r.remoteAddress } : {}),
    requestID: r.info.id,
    ...(r.requestHeaders['user-agent'] ? { userAgent: r.requestHeaders['user-agent'] } : {}),
    requestHeader: headerRecord(r.requestHeaders),
    responseHeader: headerRecord(r.responseHeaders),
  };
  const query = queryRecord(r.url);
  if (query) entry.requestQuery = query;
  if (r.info.kmsCalls.length > 0) entry.tags = { kms: r.info.kmsCalls };
  if (r.info.accessKey) entry.accessKey = r.info.accessKey;
  return entry;
}
