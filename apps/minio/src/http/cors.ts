// Cross-origin requests as MinIO answers them with its global CORS setting, MINIO_API_CORS_ALLOW_ORIGIN
// (docs/s3.md#cors). MinIO wraps its whole API in one CORS handler configured once: origins matched
// against the allowed list with `*` wildcards, any request header allowed, the methods GET PUT HEAD POST
// DELETE OPTIONS PATCH, credentials allowed, a fixed list of exposed headers, no max-age. The allowed
// origin is always echoed, never `*`.
import type { IncomingMessage } from 'node:http';

/** MINIO_API_CORS_ALLOW_ORIGIN's default: every origin. */
export const DEFAULT_CORS_ALLOW_ORIGINS: readonly string[] = ['*'];

const ALLOWED_METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);

/** The response headers MinIO lets browsers read, in its order and canonical spelling. */
export const EXPOSED_HEADERS = [
  'Date',
  'Etag',
  'Server',
  'Connection',
  'Accept-Ranges',
  'Content-Range',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'Content-Disposition',
  'Last-Modified',
  'Content-Language',
  'Cache-Control',
  'Retry-After',
  'X-Amz-Bucket-Region',
  'Expires',
  'X-Amz*',
  'X-Amz*',
  '*',
].join(', ');

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** A CORS preflight: OPTIONS naming the method it asks about. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && firstHeader(req, 'access-control-request-method') !== '';
}

/**
 * The CORS headers of the answer to `req` given the allowed origin patterns: for a preflight, the
 * origin, the asked method and headers echoed (when the origin and method are allowed); for any other
 * request with an allowed origin, the origin, the exposed headers and credentials. `Vary` always.
 */
export function corsHeaders(req: IncomingMessage, allowOrigins: readonly string[]): Record<string, string> {
  const origin = firstHeader(req, 'origin');
  const allowed = origin !== '' && allowOrigins.some((pattern) => matchWildcard(pattern, origin));
  if (isPreflight(req)) {
    const method = firstHeader(req, 'access-control-request-method');
    if (!allowed || !ALLOWED_METHODS.has(method)) return { vary: PREFLIGHT_VARY };
    const out: Record<string, string> = {
      vary: PREFLIGHT_VARY,
      'access-control-allow-origin': origin,
      'access-control-allow-methods': method,
      'access-control-allow-credentials': 'true',
    };
    const asked = req.headers['access-control-request-headers'];
    if (asked !== undefined && asked !== '') out['access-control-allow-headers'] = asked;
    return out;
  }
  if (!allowed || !ALLOWED_METHODS.has(req.method ?? '')) return { vary: 'Origin' };
  return {
    vary: 'Origin',
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
    'access-control-allow-credentials': 'true',
  };
}

/** The first value of a request header ('' when absent), as Go's Header.Get reads it. */
function firstHeader(req: IncomingMessage, name: string): string {
  const i = req.rawHeaders.findIndex((h, at) => at % 2 === 0 && h.toLowerCase() === name);
  return i < 0 ? '' : req.rawHeaders[i + 1]!;
}

/** MinIO's simple wildcard match: `*` stands for any run of characters, everything else is literal. */
export function matchWildcard(pattern: string, text: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > text.length - last.length) return false;
    at = found + part.length;
  }
  return text.endsWith(last);
}
