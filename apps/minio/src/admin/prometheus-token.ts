// The bearer token of the metrics endpoints, as `mc admin prometheus generate` makes it and MinIO checks
// it (docs/observability.md#the-object-stores-metrics): a JWT signed with HMAC (HS512 from mc; HS256 and
// HS384 accepted as MinIO does) under the secret key, whose `sub` (or `accessKey`) claim names the
// access key and whose `iss` is "prometheus". One step stricter than MinIO: the token must carry an
// `exp` (mc always sets one), so that no token is valid forever.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Credentials } from '../config/env.js';

const HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Longest token looked at; mc's are about 200 characters. */
const MAX_TOKEN = 8 * 1024;

function b64urlJson(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer <token>` header (the scheme matched case-insensitively). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_TOKEN + 7) return undefined;
  return /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
}

/**
 * Whether `token` is a metrics token of `credentials` valid at `nowSeconds`: the signature is compared
 * in constant time, and before any claim is trusted. Never throws.
 */
export function isPrometheusToken(
  token: string,
  credentials: Credentials,
  nowSeconds = Date.now() / 1000,
): boolean {
  if (token.length > MAX_TOKEN) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [head, body, sig] = parts as [string, string, string];
  const header = b64urlJson(head);
  const hash = typeof header?.['alg'] === 'string' ? HASHES[header['alg']] : undefined;
  if (!hash || !/^[A-Za-z0-9_-]+$/.test(sig)) return false;
  const expected = createHmac(hash, credentials.secretKey).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const claims = b64urlJson(body);
  if (!claims) return false;
  const accessKey = claims['accessKey'] ?? claims['sub'];
  if (accessKey !== credentials.accessKey || claims['iss'] !== 'prometheus') return false;
  const { exp, nbf, iat } = claims;
  if (typeof exp !== 'number' || !(nowSeconds < exp)) return false;
  // As golang-jwt: a token is not valid before its nbf, nor when issued in the future.
  if (nbf !== undefined && !(typeof nbf === 'number' && nbf <= nowSeconds)) return false;
  if (iat !== undefined && !(typeof iat === 'number' && iat <= nowSeconds)) return false;
  return true;
}
