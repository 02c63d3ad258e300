// The request id a KES request carries on to Vault (docs/kes-protocol.md#request-id). A client — the
// object store — sends the id of the S3 request it serves as `X-Request-Id` and as a W3C `traceparent`;
// the pipeline records it in the audit entry and runs the handler inside it, and every Vault call made
// for the request sends it on, the same two headers with a fresh span id, so that Vault's audit log
// names it too. The id is the client's assertion, a label for joining logs, never an identity.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The trace a request belongs to. */
export interface RequestTrace {
  /** The originating request's id (the S3 request's x-amz-request-id). */
  id: string;
  /** The W3C trace-id (32 lower-case hex digits), when the client sent one or the id maps to one. */
  traceId?: string | undefined;
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

const storage = new AsyncLocalStorage<RequestTrace>();

/**
 * The trace of an incoming request: `X-Request-Id` when it is a plain token (letters, digits, `._:-`, at
 * most 128), else the id the `traceparent` maps to — the object store pads its 16-hex-digit ids with
 * zeros to a trace-id, so such a trace-id maps back to the id in upper case, any other to itself.
 * Undefined when neither header is usable: a malformed value is ignored, never an error.
 */
export function traceOf(headers: IncomingHttpHeaders): RequestTrace | undefined {
  const rawId = headers['x-request-id'];
  const rawParent = headers['traceparent'];
  const parent = typeof rawParent === 'string' ? TRACEPARENT.exec(rawParent.trim()) : null;
  const traceId = parent && !/^0+$/.test(parent[1]!) ? parent[1]! : undefined;
  if (typeof rawId === 'string' && ID.test(rawId)) return { id: rawId, traceId };
  if (traceId === undefined) return undefined;
  const id = traceId.startsWith('0'.repeat(16)) ? traceId.slice(16).toUpperCase() : traceId;
  return { id, traceId };
}

/** Runs `fn` with `trace` as the current request's trace (none: `fn` alone). */
export function runTraced<T>(trace: RequestTrace | undefined, fn: () => T): T {
  return trace ? storage.run(trace, fn) : fn();
}

/** The headers that carry the current request's trace to Vault; {} outside a traced request. */
export function traceHeaders(): Record<string, string> {
  const trace = storage.getStore();
  if (!trace) return {};
  const headers: Record<string, string> = { 'x-request-id': trace.id };
  if (trace.traceId) headers['traceparent'] = `00-${trace.traceId}-${randomBytes(8).toString('hex')}-01`;
  return headers;
}
