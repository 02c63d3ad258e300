// The S3 request a piece of code runs for, without passing it down every call: an AsyncLocalStorage
// entered in the first onRequest hook follows the handler through the SSE service into the KES client,
// which sends the request's id on (docs/observability.md#audit-and-trace) and notes each KMS call it
// made for the audit entry. Code outside a request (key warm-up, status probes) sees no request.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/** One KMS call made for a request: operation, master key name (never key material), time, outcome. */
export interface KmsCall {
  op: string;
  key: string;
  /** Milliseconds from the call to its answer, failover and retries included. */
  ms: number;
  /** `ok`, or the KmsError kind it failed with. */
  outcome: string;
}

/** What the layers learn about one request while serving it; the audit entry reads it at the end. */
export interface RequestInfo {
  /** The request's x-amz-request-id. */
  readonly id: string;
  /** The S3 API it resolved to (PutObject, GetObject, …), once routed. */
  api?: string | undefined;
  /** The bucket and object it addresses, once known. */
  bucket?: string | undefined;
  object?: string | undefined;
  /** The access key that signed it; undefined while unauthenticated or anonymous. */
  accessKey?: string | undefined;
  readonly kmsCalls: KmsCall[];
}

const storage = new AsyncLocalStorage<RequestInfo>();
const byRequest = new WeakMap<object, RequestInfo>();

/**
 * Runs `next` (the rest of fastify's hook chain and the handler) inside the context of request `raw`
 * with id `id`. Use as a callback-style onRequest hook registered before any other.
 */
export function runInRequest(raw: object, id: string, next: () => void): void {
  const info: RequestInfo = { id, kmsCalls: [] };
  byRequest.set(raw, info);
  storage.run(info, next);
}

/** The request the calling code runs for, if any. */
export function currentRequest(): RequestInfo | undefined {
  return storage.getStore();
}

/** The context of request `raw` (its IncomingMessage), for hooks that run outside it (onResponse). */
export function requestInfoOf(raw: object): RequestInfo | undefined {
  return byRequest.get(raw);
}

/**
 * The W3C trace-id of a request id: our ids are 16 hex digits (MinIO's form), so the trace-id is the id
 * in lower case, left-padded with zeros to 32 digits — and the id is the trace-id's last 16 digits in
 * upper case. An id that is not hex (none of ours) maps to no trace-id.
 */
export function traceIdOf(requestId: string): string | undefined {
  if (!/^[0-9A-Fa-f]{1,32}$/.test(requestId) || /^0+$/.test(requestId)) return undefined;
  return requestId.toLowerCase().padStart(32, '0');
}

/**
 * The headers that carry request `id` to KES: `X-Request-Id: <id>` and a W3C `traceparent`
 * (`00-<trace-id>-<fresh span id>-01`; sampled, since every call is audited).
 */
export function traceHeaders(id: string): Record<string, string> {
  const traceId = traceIdOf(id);
  const headers: Record<string, string> = { 'x-request-id': id };
  if (traceId) headers['traceparent'] = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  return headers;
}
