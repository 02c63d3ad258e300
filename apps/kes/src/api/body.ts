// Request-body helpers with KES's leniency: JSON objects, Go-style base64 ([]byte) fields where
// padding may be missing, and null/missing byte fields meaning empty.
import { errInvalidBody, type KesError } from '../errors.js';

const b64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses a JSON object body; `onError` makes the route-specific error (e.g. the import text). */
export function parseJsonObject(
  body: Buffer,
  onError: () => KesError = errInvalidBody,
): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw onError();
  }
  if (doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw onError();
  return doc as Record<string, unknown>;
}

/** Decodes a base64 byte field; missing or null → empty; anything else invalid → `onError()`. */
export function bytesField(
  obj: Record<string, unknown>,
  name: string,
  onError: () => KesError = errInvalidBody,
): Buffer {
  const v = obj[name];
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v !== 'string') throw onError();
  const s = v.replace(/=+$/, '');
  if (!b64.test(v) || s.length % 4 === 1) throw onError();
  return Buffer.from(s, 'base64');
}

/** A string field; missing or null → ''. */
export function stringField(
  obj: Record<string, unknown>,
  name: string,
  onError: () => KesError = errInvalidBody,
): string {
  const v = obj[name];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw onError();
  return v;
}

/** Standard base64 with padding, as Go encodes []byte. */
export const toB64 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
