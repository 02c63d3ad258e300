// Go-exact JSON string encoding, as MinIO uses it to turn a KMS context into AEAD associated data.
//
// Which Go behaviour, and why: MinIO does not call `encoding/json` for the context. It serialises
// it with its own copy of the stdlib string escaper (internal/kms/context.go, "Adapted from Go
// stdlib"), taken before Go 1.22. That copy writes U+0008 and U+000C as `\u0008` and `\u000c`;
// Go 1.22+ `encoding/json` writes `\b` and `\f` instead. Every MinIO release (and every
// `encoding/json` before 1.22) therefore produced `\u0008`/`\u000c` in the context bytes, and
// those bytes are authenticated by the KMS, so that is the default here. `{ goVersion: '1.22' }`
// selects the newer short forms for callers that must match `json.Marshal` of a current Go.
import { CryptoError } from './errors.js';

/** Options for {@link goJsonString}. */
export interface GoJsonStringOptions {
  /**
   * `'1.21'` (default): U+0008 and U+000C are written `\u0008` and `\u000c`, as Go before 1.22
   * and MinIO's context encoder do. `'1.22'`: written `\b` and `\f`, as Go 1.22+ `json.Marshal`.
   */
  goVersion?: '1.21' | '1.22';
}

const HEX = '0123456789abcdef';

/** Escape text for an ASCII byte, or `undefined` when the byte is written as is (HTML-safe set). */
const ASCII_ESCAPES: Array<string | undefined> = Array.from({ length: 128 }, (_, b) => {
  switch (b) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x3c: // <
    case 0x3e: // >
    case 0x26: // &
      return `\\u00${HEX[b >> 4]}${HEX[b & 0xf]}`;
    default:
      return b < 0x20 ? `\\u00${HEX[b >> 4]}${HEX[b & 0xf]}` : undefined;
  }
});

/**
 * Length of the UTF-8 sequence at `i` if Go's `utf8.DecodeRune` accepts it, else 0. Go rejects
 * overlong forms, surrogates (U+D800–DFFF) and values above U+10FFFF, and reports every rejected
 * or truncated sequence as one invalid byte, so each such byte becomes its own U+FFFD.
 */
function validSequenceLength(buf: Uint8Array, i: number): number {
  const b0 = buf[i]!;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = buf[i + j];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * Encodes `s` as the JSON string literal Go would write, surrounding quotes included, with Go's
 * HTML-safe escaping:
 * - `"` and `\` are backslash-escaped; `\n`, `\r`, `\t` use their short forms; every other byte
 *   below 0x20 is `\u00XX` (lowercase hex; see {@link GoJsonStringOptions} for `\b` and `\f`);
 * - `<`, `>`, `&` become `\u003c`, `\u003e`, `\u0026`; U+2028 and U+2029 become `\u2028`, `\u2029`;
 * - DEL and all other valid UTF-8 is copied unchanged (no `\u` escapes for non-ASCII);
 * - given bytes, each byte that does not start a valid UTF-8 sequence (Go's rules) becomes
 *   `\ufffd`; a literal, validly encoded U+FFFD is copied unchanged;
 * - given a string, it is first encoded as UTF-8 (as `Buffer.from` does), so a lone surrogate is
 *   the character U+FFFD — what Go's own decoder makes of `"\ud800"` before re-encoding it.
 *
 * Pure; never throws. The result is valid UTF-8, so `Buffer.from(result)` gives Go's bytes.
 */
export function goJsonString(s: string | Uint8Array, options?: GoJsonStringOptions): string {
  const buf = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const short = options?.goVersion === '1.22';
  const text = (from: number, to: number) =>
    Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('utf8');
  let out = '"';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let replacement: string | undefined;
    let size = 1;
    if (b < 0x80) {
      replacement = short && b === 0x08 ? '\\b' : short && b === 0x0c ? '\\f' : ASCII_ESCAPES[b];
    } else {
      size = validSequenceLength(buf, i);
      if (size === 0) {
        replacement = '\\ufffd';
        size = 1;
      } else if (
        size === 3 &&
        b === 0xe2 &&
        buf[i + 1] === 0x80 &&
        (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9)
      ) {
        replacement = buf[i + 2] === 0xa8 ? '\\u2028' : '\\u2029';
      }
    }
    if (replacement !== undefined) {
      if (start < i) out += text(start, i);
      out += replacement;
      start = i + size;
    }
    i += size;
  }
  if (start < buf.length) out += text(start, buf.length);
  return out + '"';
}

/**
 * Serialises a KMS context exactly as MinIO does (`kms.Context.MarshalText`): a JSON object with
 * keys sorted by their UTF-8 bytes, no whitespace, keys and values escaped by {@link goJsonString}
 * (Go < 1.22 rules). An absent or empty context is `{}`. The result is the AEAD associated data
 * KES and MinIO's builtin KMS authenticate, so it must match byte for byte.
 *
 * Throws `CryptoError('json/invalid-context')` if a value is not a string.
 */
export function canonicalContextJson(ctx: Record<string, string> | undefined | null): Buffer {
  const keys = ctx ? Object.keys(ctx) : [];
  if (keys.length === 0) return Buffer.from('{}');
  const entries = keys.map((key) => {
    const value: unknown = ctx![key];
    if (typeof value !== 'string') {
      throw new CryptoError('json/invalid-context', `context value for ${goJsonString(key)} is not a string`);
    }
    return { key: Buffer.from(key, 'utf8'), value };
  });
  // Go's sort.Strings orders by UTF-8 bytes; JS's default sort would use UTF-16 code units.
  entries.sort((x, y) => Buffer.compare(x.key, y.key));
  const body = entries.map((e) => `${goJsonString(e.key)}:${goJsonString(e.value)}`).join(',');
  return Buffer.from(`{${body}}`, 'utf8');
}
