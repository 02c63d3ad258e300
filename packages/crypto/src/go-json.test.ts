import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import { canonicalContextJson, goJsonString } from './go-json.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('goJsonString', () => {
  // Expected outputs are what Go's encoding/json (HTML escaping on, Go < 1.22) writes for the
  // same bytes, per its documented rules: <, >, & and U+2028/2029 escaped, control bytes as
  // \u00XX except \n \r \t, invalid UTF-8 replaced byte by byte with \ufffd.
  it.each<[string, string | Uint8Array, string]>([
    ['empty', '', '""'],
    ['plain ASCII', 'photos/2024/a.jpg', '"photos/2024/a.jpg"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['slash is not escaped', '/', '"/"'],
    ['apostrophe is not escaped', "it's", `"it's"`],
    ['HTML characters', '<a&b>', '"\\u003ca\\u0026b\\u003e"'],
    ['newline, return, tab short forms', '\n\r\t', '"\\n\\r\\t"'],
    ['NUL', '\x00', '"\\u0000"'],
    ['unit separator 0x1f', '\x1f', '"\\u001f"'],
    ['backspace (pre-1.22 form)', '\b', '"\\u0008"'],
    ['form feed (pre-1.22 form)', '\f', '"\\u000c"'],
    ['vertical tab', '\v', '"\\u000b"'],
    ['escape 0x1b', '\x1b', '"\\u001b"'],
    ['DEL is copied', '\x7f', '"\x7f"'],
    ['space', ' ', '" "'],
    ['non-ASCII copied as UTF-8', 'café €', '"café €"'],
    ['astral character copied', '😀', '"😀"'],
    ['U+2028 LINE SEPARATOR', 'a\u2028b', '"a\\u2028b"'],
    ['U+2029 PARAGRAPH SEPARATOR', '\u2029', '"\\u2029"'],
    ['U+2027 and U+202A are not escaped', '\u2027\u202a', '"\u2027\u202a"'],
    ['literal U+FFFD is copied', '\ufffd', '"\ufffd"'],
    ['lone high surrogate becomes U+FFFD', 'a\ud800b', '"a\ufffdb"'],
    ['lone low surrogate becomes U+FFFD', '\udc00', '"\ufffd"'],
    ['bytes: valid UTF-8', hex('63 61 66 c3 a9'), '"café"'],
    ['bytes: 0xff', hex('ff'), '"\\ufffd"'],
    ['bytes: stray continuation', hex('61 80 62'), '"a\\ufffdb"'],
    ['bytes: overlong NUL C0 80', hex('c0 80'), '"\\ufffd\\ufffd"'],
    ['bytes: overlong E0 80 AF', hex('e0 80 af'), '"\\ufffd\\ufffd\\ufffd"'],
    ['bytes: UTF-8 encoded surrogate ED A0 80', hex('ed a0 80'), '"\\ufffd\\ufffd\\ufffd"'],
    ['bytes: truncated 3-byte sequence', hex('e2 82 41'), '"\\ufffd\\ufffdA"'],
    ['bytes: truncated at end', hex('41 e2 82'), '"A\\ufffd\\ufffd"'],
    ['bytes: above U+10FFFF', hex('f4 90 80 80'), '"\\ufffd\\ufffd\\ufffd\\ufffd"'],
    ['bytes: F5 lead byte', hex('f5 80 80 80'), '"\\ufffd\\ufffd\\ufffd\\ufffd"'],
    ['bytes: U+10FFFF is valid', hex('f4 8f bf bf'), '"\u{10ffff}"'],
    ['bytes: U+2028 encoded', hex('e2 80 a8'), '"\\u2028"'],
    ['bytes: invalid then HTML', hex('ff 3c'), '"\\ufffd\\u003c"'],
  ])('%s', (_name, input, want) => {
    expect(goJsonString(input)).toBe(want);
  });

  it.each<[string, string, string]>([
    ['backspace', '\b', '"\\b"'],
    ['form feed', '\f', '"\\f"'],
    ['other control bytes unchanged', '\x01\n', '"\\u0001\\n"'],
  ])('Go 1.22+ short forms: %s', (_name, input, want) => {
    expect(goJsonString(input, { goVersion: '1.22' })).toBe(want);
  });

  it('respects the window of a Uint8Array view', () => {
    const backing = Buffer.from('xx<ab>xx');
    expect(goJsonString(backing.subarray(2, 6))).toBe('"\\u003cab\\u003e"');
  });

  it('always yields JSON that JSON.parse reads back (valid input)', () => {
    for (let cp = 0; cp < 0x3000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `x${String.fromCodePoint(cp)}y`;
      expect(JSON.parse(goJsonString(s))).toBe(s);
    }
  });
});

describe('canonicalContextJson', () => {
  it.each<[string, Record<string, string> | undefined | null, string]>([
    ['undefined', undefined, '{}'],
    ['null', null, '{}'],
    ['empty map', {}, '{}'],
    ['SSE-S3 context', { photos: 'photos/2024/a.jpg' }, '{"photos":"photos/2024/a.jpg"}'],
    ['builtin KMS test vector context', { key: 'value' }, '{"key":"value"}'],
    ['keys sorted', { b: '2', a: '1', c: '3' }, '{"a":"1","b":"2","c":"3"}'],
    ['uppercase before lowercase', { a: '', B: '' }, '{"B":"","a":""}'],
    ['prefix sorts first', { ab: '', a: '' }, '{"a":"","ab":""}'],
    // UTF-16 order would put the astral key (0xD83D…) before U+FF61; UTF-8 bytes (EF… < F0…) do not.
    ['UTF-8 byte order, not UTF-16', { '😀': 'x', '｡': 'y' }, '{"｡":"y","😀":"x"}'],
    ['escaping in keys and values', { 'a<b': 'x&y\u2028' }, '{"a\\u003cb":"x\\u0026y\\u2028"}'],
    ['control characters', { k: 'line\nbreak\x01' }, '{"k":"line\\nbreak\\u0001"}'],
  ])('%s', (_name, ctx, want) => {
    const got = canonicalContextJson(ctx);
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.toString('utf8')).toBe(want);
  });

  it('empty context is e30= in base64, as KES docs show', () => {
    expect(canonicalContextJson({}).toString('base64')).toBe('e30=');
  });

  it('rejects non-string values with a CryptoError', () => {
    const bad = { a: 1 } as unknown as Record<string, string>;
    expect(() => canonicalContextJson(bad)).toThrow(CryptoError);
    try {
      canonicalContextJson(bad);
    } catch (err) {
      expect((err as CryptoError).code).toBe('json/invalid-context');
    }
  });
});
