// The request-completion line the three servers write at debug.

/** The path of a request target without its query (presigned URLs carry signatures there). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The fields of a request-completion line: method, path (query dropped), status and the time
 * from the first byte of the request to the last of the answer, in milliseconds (one decimal).
 */
export function completionFields(
  method: string,
  url: string,
  status: number,
  elapsedMs: number,
): { method: string; path: string; status: number; durationMs: number } {
  return { method, path: pathOf(url), status, durationMs: Math.round(elapsedMs * 10) / 10 };
}

/**
 * The `X-Request-Id` a caller sent (the object store sends its x-amz-request-id with each KES
 * call, KES with each Vault call), when it is a plain token of at most 128 characters (letters,
 * digits, `.`, `_`, `:`, `-`); anything else is not logged.
 */
export function incomingRequestId(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const v = headers['x-request-id'];
  return typeof v === 'string' && /^[\w.:-]{1,128}$/.test(v) ? v : undefined;
}

/** What a request-line hook reads of a fastify request and reply (no fastify import here). */
export interface CompletedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  log: { debug(fields: object, msg: string): void };
}

/**
 * The onResponse hook of KES's and Vault's request lines: one debug line under the request's id,
 * with the caller's X-Request-Id (`xRequestId`) when it sent one, so the chain's logs join.
 */
export function logCompletedRequest(
  req: CompletedRequest,
  reply: { statusCode: number; elapsedTime: number },
  done: () => void,
): void {
  const upstream = incomingRequestId(req.headers);
  req.log.debug(
    {
      ...completionFields(req.method, req.url, reply.statusCode, reply.elapsedTime),
      ...(upstream ? { xRequestId: upstream } : {}),
    },
    'request completed',
  );
  done();
}
