import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/seeded-random.js';
import { HclError } from './errors.js';
import { hclBlocks, hclLabeledBlocks, parseHcl, parseHclDocument } from './hcl.js';

describe('parseHcl values', () => {
  it.each([
    ['a = 1', { a: 1 }],
    ['a = -3', { a: -3 }],
    ['a = 1.5', { a: 1.5 }],
    ['a = -1.5', { a: -1.5 }],
    ['a = 1e3', { a: 1000 }],
    ['a = 1.5e-2', { a: 0.015 }],
    ['a = .5', { a: 0.5 }],
    ['a = 0x10', { a: 16 }],
    ['a = -0x10', { a: -16 }],
    ['a = 010', { a: 8 }],
    ['a = 0', { a: 0 }],
    ['a = true b = false', { a: true, b: false }],
    ['a = "x"', { a: 'x' }],
    ['a = ""', { a: '' }],
    ['a = "é 😀"', { a: 'é 😀' }],
    ['a = "tab\tinside"', { a: 'tab\tinside' }],
    ['a = "x\\ny\\t\\"\\u00e9\\\\"', { a: 'x\ny\t"é\\' }],
    ['a = "\\a\\b\\f\\v\\r"', { a: '\x07\b\f\v\r' }],
    ['a = "\\x41\\101\\U0001F600"', { a: 'AA😀' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation text, kept verbatim
    ['a = "${foo}"', { a: '${foo}' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation text, kept verbatim
    ['a = "${lookup(x, "k")}"', { a: '${lookup(x, "k")}' }],
    ['a = "$x"', { a: '$x' }],
    ['"quoted key" = 1', { 'quoted key': 1 }],
    ['a-b.c_d = 1', { 'a-b.c_d': 1 }],
    ['a = []', { a: [] }],
    ['a = [1, "x", true, {b = 1}]', { a: [1, 'x', true, { b: 1 }] }],
    ['a = ["read",]', { a: ['read'] }],
    ['a = [[1,2],[3]]', { a: [[1, 2], [3]] }],
    ['a = [\n  "x", # comment\n  "y" // another\n]', { a: ['x', 'y'] }],
    ['a = {}', { a: {} }],
    ['a = {b = 1, c = 2}', { a: { b: 1, c: 2 } }],
    ['a {\n  b = 1,\n  c = 2,\n}', { a: { b: 1, c: 2 } }],
    ['a = 1,\nb = 2', { a: 1, b: 2 }],
    ['a = 1\na = 2', { a: 2 }],
    ['a.b = 1', { 'a.b': 1 }],
    ['# c\n// c\n/* c */ a = 1 /* multi\nline */ b = 2', { a: 1, b: 2 }],
    ['', {}],
    ['  \n# only a comment\n', {}],
    ['a = "x" # trailing', { a: 'x' }],
    ['a = "x"\r\nb = 2\r\n', { a: 'x', b: 2 }],
    ['__proto__ = 1', JSON.parse('{"__proto__": 1}')],
  ])('%j', (text, expected) => {
    expect(parseHcl(text)).toEqual(expected);
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const v = parseHcl('__proto__ { polluted = true }');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseHcl blocks', () => {
  it('turns labels into nested objects', () => {
    expect(parseHcl('a b c { x = 1 }')).toEqual({ a: { b: { c: { x: 1 } } } });
    expect(parseHcl('"a" "b" { c = 1 }')).toEqual({ a: { b: { c: 1 } } });
    expect(parseHcl('path "a" {}')).toEqual({ path: { a: {} } });
  });

  it('collects repeated blocks into a list in source order', () => {
    expect(parseHcl('path "a" { x = 1 }\npath "b" { x = 2 }\npath "a" { x = 3 }')).toEqual({
      path: [{ a: { x: 1 } }, { b: { x: 2 } }, { a: { x: 3 } }],
    });
    expect(parseHcl('a { b { c = 1 } }\na { d = 2 }')).toEqual({ a: [{ b: { c: 1 } }, { d: 2 }] });
    expect(parseHcl('a = {}\na = {}')).toEqual({ a: [{}, {}] });
    expect(parseHcl('a = [{x = 1}]\na { y = 2 }')).toEqual({ a: [{ x: 1 }, { y: 2 }] });
  });

  it('rejects a key used both for a block and a value', () => {
    expect(() => parseHcl('a = true\na { x = 1 }')).toThrow(
      new HclError(2, 1, 'key "a" is used both for a block or object and for a plain value'),
    );
    expect(() => parseHcl('a { x = 1 }\na = true')).toThrow(HclError);
  });

  it('parses the MinIO guide Vault config (HCL form)', () => {
    const text = `
api_addr = "https://127.0.0.1:8200"
storage "file" { path = "vault/file" }          # "backend" is the legacy synonym
listener "tcp" {
  address = "0.0.0.0:8200"
  tls_cert_file = "vault.crt"  tls_key_file = "vault.key"  tls_min_version = "tls12"
}
default_lease_ttl = "168h"   max_lease_ttl = "720h"   disable_mlock = true   ui = true
`;
    const v = parseHcl(text);
    expect(v).toEqual({
      api_addr: 'https://127.0.0.1:8200',
      storage: { file: { path: 'vault/file' } },
      listener: {
        tcp: {
          address: '0.0.0.0:8200',
          tls_cert_file: 'vault.crt',
          tls_key_file: 'vault.key',
          tls_min_version: 'tls12',
        },
      },
      default_lease_ttl: '168h',
      max_lease_ttl: '720h',
      disable_mlock: true,
      ui: true,
    });
    expect(hclLabeledBlocks(v['storage'], 'storage')).toEqual([
      { label: 'file', body: { path: 'vault/file' } },
    ]);
  });

  it('gives the same labelled blocks for the HCL and both JSON config forms', () => {
    const hcl = parseHcl(`
listener "tcp" { address = "127.0.0.1:8200"
  tls_disable = 1 }
listener "tcp" { address = "127.0.0.1:8300" tls_disable = "true" }
storage "raft" {
  path = "/data"
  retry_join { leader_api_addr = "http://a:8200" }
  retry_join { leader_api_addr = "http://b:8200" }
}`);
    const json = parseHcl(`{
  "listener": [{"tcp": {"address": "127.0.0.1:8200", "tls_disable": 1}},
               {"tcp": {"address": "127.0.0.1:8300", "tls_disable": "true"}}],
  "storage": {"raft": {"path": "/data", "retry_join": [{"leader_api_addr": "http://a:8200"},
                                                      {"leader_api_addr": "http://b:8200"}]}}}`);
    for (const v of [hcl, json]) {
      expect(hclLabeledBlocks(v['listener'], 'listener')).toEqual([
        { label: 'tcp', body: { address: '127.0.0.1:8200', tls_disable: 1 } },
        { label: 'tcp', body: { address: '127.0.0.1:8300', tls_disable: 'true' } },
      ]);
      const [raft] = hclLabeledBlocks(v['storage'], 'storage');
      expect(raft?.label).toBe('raft');
      expect(hclBlocks(raft?.body['retry_join'], 'retry_join').map((b) => b['leader_api_addr'])).toEqual([
        'http://a:8200',
        'http://b:8200',
      ]);
    }
    expect(hclLabeledBlocks(parseHcl('{"listener": {"tcp": {"address": "x"}}}')['listener'])).toEqual([
      { label: 'tcp', body: { address: 'x' } },
    ]);
  });

  it('hclBlocks and hclLabeledBlocks reject non-blocks by name', () => {
    expect(hclBlocks(undefined)).toEqual([]);
    expect(hclBlocks(null)).toEqual([]);
    expect(() => hclBlocks('x', 'storage')).toThrow(
      new HclError(0, 0, 'storage: expected a block or an object'),
    );
    expect(() => hclBlocks([{}, 1], 'storage')).toThrow(HclError);
    expect(() => hclLabeledBlocks({ file: 'x' }, 'storage')).toThrow(
      'storage "file": expected a block or an object',
    );
  });
});

describe('parseHcl heredocs', () => {
  it.each([
    ['a = <<EOF\nhello\n  world\nEOF\n', 'hello\n  world\n'],
    ['a = <<EOF\nx\nEOF', 'x\n'],
    ['a = <<EOF\nEOF\n', ''],
    ['a = <<EOF\nx\nEOFX\nEOF\n', 'x\nEOFX\n'],
    ['a = <<EOF\n  x\n  EOF\n', '  x\n'],
    ['a = <<-EOT\n    indented\n      more\n    EOT\n', 'indented\n  more\n'],
    ['a = <<-EOT\n    indented\n  less\n    EOT\n', '    indented\n  less\n'],
    ['a = <<-EOT\nflush\nEOT\n', 'flush\n'],
    ['a = <<EOF\r\nwin\r\nEOF\r\n', 'win\r\n'],
    [
      'a = <<POLICY\npath "x" { capabilities = ["read"] }\nPOLICY\nb = 2',
      'path "x" { capabilities = ["read"] }\n',
    ],
  ])('%j', (text, expected) => {
    expect(parseHcl(text)['a']).toBe(expected);
  });

  it('continues after a heredoc', () => {
    expect(parseHcl('a = <<EOF\nx\nEOF\nb = 2')).toEqual({ a: 'x\n', b: 2 });
    expect(parseHcl('a = [<<EOF\nx\nEOF\n, "y"]')).toEqual({ a: ['x\n', 'y'] });
  });
});

describe('parseHcl errors (HCL 1 wording and positions)', () => {
  it.each([
    [
      'path "a" { capabilities = ["read" }',
      'At 1:35: error parsing list, expected comma or list end, got: RBRACE',
    ],
    ['path "a" { capabilities = ["read"] ', 'At 1:36: object expected closing RBRACE got: EOF'],
    ['a = [1 2]', 'At 1:8: error parsing list, expected comma or list end, got: NUMBER'],
    ['a = [1,', 'At 1:8: error parsing list, expected comma or list end, got: EOF'],
    ['a "l" = { b = 1 }', 'At 1:7: nested object expected: LBRACE got: ASSIGN'],
    ['a = "x" "y"', `At 1:12: key '"y"' expected start of object ('{') or assignment ('=')`],
    ['a', `At 1:2: key 'a' expected start of object ('{') or assignment ('=')`],
    ['a = 1;', 'At 1:6: illegal char'],
    ["a = 'x'", 'At 1:5: illegal char'],
    ['a = "unterminated', 'At 1:18: literal not terminated'],
    ['a = "line\nbreak"', 'At 1:10: literal not terminated'],
    ['a = "\\q"', 'At 1:7: illegal char escape'],
    ['a = "\\/"', 'At 1:7: illegal char escape'],
    ['a = "\\x4"', 'At 1:9: illegal char escape'],
    ['a = "\\400"', 'At 1:7: illegal char escape'],
    ['a = "\\uD800"', 'At 1:7: illegal char escape'],
    ['a = b', 'At 1:5: Unknown token: 1:5 IDENT b'],
    ['a = null', 'At 1:5: Unknown token: 1:5 IDENT null'],
    ['a = TRUE', 'At 1:5: Unknown token: 1:5 IDENT TRUE'],
    ['a = ]', 'At 1:5: Unknown token: 1:5 RBRACK ]'],
    ['a =', 'At 1:4: Unknown token: 1:4 EOF '],
    ['9a = 1', 'At 1:1: expected: IDENT | STRING | ASSIGN | LBRACE got: NUMBER'],
    ['}', 'At 1:1: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE'],
    ['a/b = 1', "At 1:2: expected '/' for comment"],
    ['/* unterminated', 'At 1:16: comment not terminated'],
    ['a = <<EOF x\nEOF', 'At 1:10: invalid characters in heredoc anchor'],
    ['a = <<EOF\nx\n', 'At 3:1: heredoc not terminated'],
    ['a = <<EOF', 'At 1:10: heredoc not terminated'],
    ['a = <<\nx\n', 'At 1:7: zero-length heredoc anchor'],
    ['a = <x', "At 1:5: heredoc expected second '<', didn't see it"],
    ['a = 08', 'At 1:5: illegal octal number'],
    ['a = 1e', 'At 1:7: illegal exponent'],
    ['a = 0x', 'At 1:7: illegal hexadecimal number'],
    ['a = 1\n  b = [\n "x"\n  c = 2', 'At 4:3: error parsing list, expected comma or list end, got: IDENT'],
  ])('%j → %s', (text, message) => {
    expect(() => parseHcl(text)).toThrow(message);
    try {
      parseHcl(text);
    } catch (e) {
      expect(e).toBeInstanceOf(HclError);
      const [, line, column] = /^At (\d+):(\d+): /.exec((e as HclError).message)!;
      expect([(e as HclError).line, (e as HclError).column]).toEqual([Number(line), Number(column)]);
    }
  });

  it('never throws anything but HclError on arbitrary input', () => {
    const alphabet = [
      'a',
      '=',
      '"',
      '{',
      '}',
      '[',
      ']',
      ',',
      '\n',
      ' ',
      '<<',
      'EOF',
      '1',
      '-',
      '\\',
      '#',
      '/',
      '*',
      '.',
    ];
    const rand = seededRandom(12345);
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const len = rand(30);
      for (let k = 0; k < len; k++) text += alphabet[rand(alphabet.length)];
      try {
        parseHcl(text);
      } catch (e) {
        if (!(e instanceof HclError)) throw new Error(`${JSON.stringify(text)} threw ${String(e)}`);
      }
    }
  });

  it('rejects a non-string input with HclError', () => {
    expect(() => parseHcl(undefined as unknown as string)).toThrow(HclError);
  });
});

describe('parseHcl JSON', () => {
  it.each([
    ['{"path": {"kv/*": {"capabilities": ["read"]}}}', { path: { 'kv/*': { capabilities: ['read'] } } }],
    [
      ' \n {"a": null, "b": 1.5, "c": [1, {"d": 2}], "e": -0, "f": 1e2}',
      { a: null, b: 1.5, c: [1, { d: 2 }], e: -0, f: 100 },
    ],
    ['{"s": "\\u00e9\\/\\n\\ud83d\\ude00"}', { s: 'é/\n😀' }],
    ['{}', {}],
    ['{"a": {}, "b": []}', { a: {}, b: [] }],
  ])('%j', (text, expected) => {
    expect(parseHcl(text)).toEqual(expected);
  });

  it('keeps duplicate JSON keys as repeated items', () => {
    expect(parseHcl('{"path": {"a": {}}, "path": {"b": {}}}')).toEqual({ path: [{ a: {} }, { b: {} }] });
  });

  it.each([
    ['{"a": 1', "At 1:8: expected ',' or '}' got: EOF"],
    ['{"a" 1}', `At 1:6: expected ':' got: "1"`],
    ['{a: 1}', 'At 1:2: expected: STRING got: "a"'],
    ['{"a": 01}', `At 1:8: expected ',' or '}' got: "1"`],
    ['{"a": tru}', 'At 1:7: expected a JSON value got: "t"'],
    ['{"a": "x\ny"}', 'At 1:9: invalid control character in string literal'],
    ['{"a": "\\q"}', 'At 1:8: illegal char escape'],
    ['{"a": 1} x', 'At 1:10: invalid character after top-level value'],
    ['{"a": [1 2]}', "At 1:10: expected ',' or ']' got: \"2\""],
  ])('%j → %s', (text, message) => {
    expect(() => parseHcl(text)).toThrow(new HclError(0, 0, '').constructor as typeof HclError);
    expect(() => parseHcl(text)).toThrow(message);
  });
});

describe('parseHclDocument', () => {
  it('keeps every item with positions', () => {
    const doc = parseHclDocument('path "a" {\n  capabilities = ["read"]\n}\nname = "x"');
    expect(doc.items.map((i) => [i.keys, i.keyPos, i.assign])).toEqual([
      [['path', 'a'], { line: 1, column: 1 }, null],
      [['name'], { line: 4, column: 1 }, { line: 4, column: 6 }],
    ]);
    const body = doc.items[0]!.value;
    expect(body.kind).toBe('object');
    if (body.kind === 'object') expect(body.items[0]!.assign).toEqual({ line: 2, column: 16 });
  });
});

describe('parseHcl input hygiene', () => {
  it('ignores a leading byte-order mark', () => {
    expect(parseHcl('\uFEFFa = 1')).toEqual({ a: 1 });
    expect(parseHcl('\uFEFF{"a": 1}')).toEqual({ a: 1 });
  });
});
