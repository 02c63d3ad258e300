// A parser for the HCL 1 subset that Vault reads: ACL policies and `vault server -config` files.
//
// Why our own parser: the npm candidates did not fit. `hcl2-parser` and `@cdktf/hcl2json` are
// HCL 2 (a different language: Vault still parses policies and config with HCL 1), the latter is
// WebAssembly behind an async API. `js-hcl-parser` is HCL 1 itself (hashicorp/hcl compiled with
// GopherJS) but a 1.5 MB unmaintained blob from an old hcl release (no `<<-` heredocs, no empty
// heredocs) that reports errors as a returned string. `hcl-to-json` is an untested 2017 port.
// The subset is small and stable, so a ~500-line recursive-descent parser with table tests is
// the cheaper, clearer dependency. It follows HCL 1's scanner and parser rules and error texts
// (`At 1:36: object expected closing RBRACE got: EOF`) so Vault-style messages come out right.
//
// Like HCL 1, text whose first non-space character is `{` is parsed as JSON.

import { HclError } from './errors.js';

/** A 1-based position in the source text (columns count characters, not bytes). */
export interface HclPos {
  readonly line: number;
  readonly column: number;
}

/** A node of the syntax tree returned by {@link parseHclDocument}. */
export type HclNode = HclObjectNode | HclListNode | HclLiteralNode;

/** `{ … }`, a block body, or the whole document: items in source order, duplicates kept. */
export interface HclObjectNode {
  readonly kind: 'object';
  readonly pos: HclPos;
  readonly items: readonly HclItem[];
}

/**
 * One `key = value`, `key "label" … { body }` or JSON `"key": value`. `keys` holds the key and
 * then the block labels (`listener "tcp" {}` has keys `["listener", "tcp"]`); a block's value is
 * its body. `assign` is the position of `=` (or JSON `:`), `null` for a block.
 */
export interface HclItem {
  readonly keys: readonly string[];
  readonly keyPos: HclPos;
  readonly assign: HclPos | null;
  readonly value: HclNode;
}

/** `[ … ]`. */
export interface HclListNode {
  readonly kind: 'list';
  readonly pos: HclPos;
  readonly elements: readonly HclNode[];
}

/** A string (quoted or heredoc), number, bool, or JSON `null`. */
export interface HclLiteralNode {
  readonly kind: 'literal';
  readonly pos: HclPos;
  readonly value: string | number | boolean | null;
}

/** A plain value produced by {@link parseHcl}: what `JSON.parse` of the equivalent JSON gives. */
export type HclValue = string | number | boolean | null | HclValue[] | HclObject;

/** A plain object produced by {@link parseHcl}. */
export interface HclObject {
  [key: string]: HclValue;
}

type TokType =
  | 'IDENT'
  | 'STRING'
  | 'HEREDOC'
  | 'NUMBER'
  | 'FLOAT'
  | 'BOOL'
  | 'NULL'
  | 'LBRACE'
  | 'RBRACE'
  | 'LBRACK'
  | 'RBRACK'
  | 'COMMA'
  | 'ASSIGN'
  | 'COLON'
  | 'EOF';

/** Single-character tokens: { } [ ] , = */
const PUNCTUATION: ReadonlyMap<number, TokType> = new Map([
  [0x7b, 'LBRACE'],
  [0x7d, 'RBRACE'],
  [0x5b, 'LBRACK'],
  [0x5d, 'RBRACK'],
  [0x2c, 'COMMA'],
  [0x3d, 'ASSIGN'],
]);

interface Token {
  readonly type: TokType;
  /** The source text of the token (for messages). */
  readonly text: string;
  readonly pos: HclPos;
  /** Decoded value for literals and the key text for IDENT/STRING. */
  readonly value: string | number | boolean | null;
}

/** Walks the text by code point, keeping line and column. */
class Cursor {
  i = 0;
  line = 1;
  column = 1;

  constructor(readonly src: string) {}

  get eof(): boolean {
    return this.i >= this.src.length;
  }

  /** The code point at the cursor, or -1 at the end. */
  peek(ahead = 0): number {
    let j = this.i;
    for (let k = 0; k < ahead && j < this.src.length; k++) j += this.width(j);
    return j < this.src.length ? this.src.codePointAt(j)! : -1;
  }

  next(): number {
    if (this.i >= this.src.length) return -1;
    const cp = this.src.codePointAt(this.i)!;
    this.i += this.width(this.i);
    if (cp === 0x0a) {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return cp;
  }

  pos(): HclPos {
    return { line: this.line, column: this.column };
  }

  private width(j: number): number {
    return this.src.codePointAt(j)! > 0xffff ? 2 : 1;
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isLetter = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  c === 0x5f ||
  (c >= 0x80 && /\p{L}/u.test(String.fromCodePoint(c)));
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function fail(pos: HclPos, detail: string): never {
  throw new HclError(pos.line, pos.column, detail);
}

/** The HCL 1 scanner: comments, idents, strings with escapes, heredocs, numbers, punctuation. */
class HclLexer {
  private readonly c: Cursor;
  private peeked: Token | undefined;

  constructor(src: string) {
    this.c = new Cursor(src);
  }

  peek(): Token {
    this.peeked ??= this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private skipSpaceAndComments(): void {
    const c = this.c;
    for (;;) {
      const ch = c.peek();
      if (isSpace(ch)) {
        c.next();
      } else if (ch === 0x23 /* # */) {
        while (!c.eof && c.peek() !== 0x0a) c.next();
      } else if (ch === 0x2f /* / */) {
        const at = c.pos();
        const second = c.peek(1);
        if (second === 0x2f) {
          while (!c.eof && c.peek() !== 0x0a) c.next();
        } else if (second === 0x2a /* * */) {
          c.next();
          c.next();
          for (;;) {
            if (c.eof) fail(c.pos(), 'comment not terminated');
            if (c.peek() === 0x2a && c.peek(1) === 0x2f) {
              c.next();
              c.next();
              break;
            }
            c.next();
          }
        } else {
          fail(at, "expected '/' for comment");
        }
      } else {
        return;
      }
    }
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const c = this.c;
    const pos = c.pos();
    const start = c.i;
    const ch = c.peek();
    const tok = (type: TokType, value: Token['value'] = null): Token => ({
      type,
      text: c.src.slice(start, c.i),
      pos,
      value,
    });
    if (ch === -1) return { type: 'EOF', text: '', pos, value: null };
    const punct = PUNCTUATION.get(ch);
    if (punct) {
      c.next();
      return tok(punct);
    }
    if (ch === 0x22) {
      const value = this.scanString();
      return tok('STRING', value);
    }
    if (ch === 0x3c) return tok('HEREDOC', this.scanHeredoc());
    if (isDigit(ch) || ((ch === 0x2d || ch === 0x2e) && isDigit(c.peek(1)))) {
      const [type, value] = this.scanNumber();
      return tok(type, value);
    }
    if (isLetter(ch)) {
      while (isLetter(c.peek()) || isDigit(c.peek()) || c.peek() === 0x2d || c.peek() === 0x2e) c.next();
      const text = c.src.slice(start, c.i);
      if (text === 'true' || text === 'false') return tok('BOOL', text === 'true');
      return tok('IDENT', text);
    }
    fail(pos, 'illegal char');
  }

  /** A double-quoted string; `${ … }` sequences are kept verbatim (quotes inside them allowed). */
  private scanString(): string {
    const c = this.c;
    c.next(); // opening quote
    let out = '';
    let braces = 0;
    for (;;) {
      const at = c.pos();
      const ch = c.next();
      if (ch === -1 || (ch === 0x0a && braces === 0)) fail(at, 'literal not terminated');
      if (braces === 0 && ch === 0x22) return out;
      if (braces === 0 && ch === 0x24 /* $ */ && c.peek() === 0x7b) {
        c.next();
        braces = 1;
        out += '${';
        continue;
      }
      if (braces > 0) {
        if (ch === 0x7b) braces++;
        else if (ch === 0x7d) braces--;
        out += String.fromCodePoint(ch);
        continue;
      }
      if (ch === 0x5c /* \ */) {
        out += this.scanEscape();
        continue;
      }
      out += String.fromCodePoint(ch);
    }
  }

  private scanEscape(): string {
    const c = this.c;
    const at = c.pos();
    const ch = c.next();
    const simple: Record<number, string> = {
      97: '\x07',
      98: '\b',
      102: '\f',
      110: '\n',
      114: '\r',
      116: '\t',
      118: '\v',
      92: '\\',
      34: '"',
    };
    const s = simple[ch];
    if (s !== undefined) return s;
    const digits = (n: number, ok: (d: number) => boolean, radix: number): number => {
      let text = '';
      for (let k = 0; k < n; k++) {
        const d = c.peek();
        if (!ok(d)) fail(c.pos(), 'illegal char escape');
        text += String.fromCodePoint(c.next());
      }
      return Number.parseInt(text, radix);
    };
    if (ch >= 0x30 && ch <= 0x37) {
      const rest = digits(2, (d) => d >= 0x30 && d <= 0x37, 8);
      const v = (ch - 0x30) * 64 + rest;
      if (v > 255) fail(at, 'illegal char escape');
      return String.fromCharCode(v);
    }
    let cp: number;
    if (ch === 0x78 /* x */) cp = digits(2, isHex, 16);
    else if (ch === 0x75 /* u */) cp = digits(4, isHex, 16);
    else if (ch === 0x55 /* U */) cp = digits(8, isHex, 16);
    else fail(at, 'illegal char escape');
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(at, 'illegal char escape');
    return String.fromCodePoint(cp);
  }

  private scanHeredoc(): string {
    const c = this.c;
    const start = c.pos();
    c.next(); // first '<'
    if (c.peek() !== 0x3c) fail(start, "heredoc expected second '<', didn't see it");
    c.next();
    let indent = false;
    if (c.peek() === 0x2d) {
      indent = true;
      c.next();
    }
    let anchor = '';
    while (isLetter(c.peek()) || isDigit(c.peek())) anchor += String.fromCodePoint(c.next());
    if (c.eof) fail(c.pos(), 'heredoc not terminated');
    if (c.peek() === 0x0d && c.peek(1) === 0x0a) c.next();
    if (c.peek() !== 0x0a) fail(c.pos(), 'invalid characters in heredoc anchor');
    if (anchor === '') fail(c.pos(), 'zero-length heredoc anchor');
    c.next(); // newline after the anchor
    const lines: string[] = [];
    for (;;) {
      if (c.eof) fail(c.pos(), 'heredoc not terminated');
      let line = '';
      while (!c.eof && c.peek() !== 0x0a) line += String.fromCodePoint(c.next());
      const bare = line.endsWith('\r') ? line.slice(0, -1) : line;
      const lead = /^[ \t\v\f\r]*/.exec(bare)![0];
      if (bare.slice(lead.length) === anchor) {
        if (!indent || !lines.every((l) => l.startsWith(lead))) return lines.map((l) => l + '\n').join('');
        return lines.map((l) => l.slice(lead.length) + '\n').join('');
      }
      lines.push(line);
      if (c.eof) fail(c.pos(), 'heredoc not terminated');
      c.next(); // newline
    }
  }

  private scanNumber(): ['NUMBER' | 'FLOAT', number] {
    const c = this.c;
    const pos = c.pos();
    let text = '';
    const take = (): void => {
      text += String.fromCodePoint(c.next());
    };
    if (c.peek() === 0x2d) take();
    if (c.peek() === 0x30 && (c.peek(1) === 0x78 || c.peek(1) === 0x58)) {
      take();
      take();
      if (!isHex(c.peek())) fail(c.pos(), 'illegal hexadecimal number');
      while (isHex(c.peek())) take();
      return ['NUMBER', Number.parseInt(text.replace(/0[xX]/, ''), 16)];
    }
    let float = false;
    while (isDigit(c.peek())) take();
    if (c.peek() === 0x2e) {
      float = true;
      take();
      while (isDigit(c.peek())) take();
    }
    if (c.peek() === 0x65 || c.peek() === 0x45) {
      float = true;
      take();
      if (c.peek() === 0x2b || c.peek() === 0x2d) take();
      if (!isDigit(c.peek())) fail(c.pos(), 'illegal exponent');
      while (isDigit(c.peek())) take();
    }
    if (float) return ['FLOAT', Number.parseFloat(text)];
    const digits = text.replace(/^-/, '');
    if (digits.length > 1 && digits.startsWith('0')) {
      if (/[89]/.test(digits)) fail(pos, 'illegal octal number');
      const v = Number.parseInt(digits, 8);
      return ['NUMBER', text.startsWith('-') ? -v : v];
    }
    return ['NUMBER', Number(text)];
  }
}

/** HCL 1 grammar over {@link HclLexer}. */
class HclParser {
  private readonly lx: HclLexer;

  constructor(src: string) {
    this.lx = new HclLexer(src);
  }

  document(): HclObjectNode {
    const pos = this.lx.peek().pos;
    const items = this.objectList(true);
    return { kind: 'object', pos, items };
  }

  private objectList(top: boolean): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const t = this.lx.peek();
      if (t.type === 'EOF') {
        if (top) return items;
        fail(t.pos, 'object expected closing RBRACE got: EOF');
      }
      if (t.type === 'RBRACE' && !top) return items;
      items.push(this.item());
      if (this.lx.peek().type === 'COMMA') this.lx.next();
    }
  }

  private item(): HclItem {
    const first = this.lx.next();
    if (first.type !== 'IDENT' && first.type !== 'STRING') {
      fail(first.pos, `expected: IDENT | STRING | ASSIGN | LBRACE got: ${first.type}`);
    }
    const keys: string[] = [first.value as string];
    let last = first;
    for (;;) {
      const t = this.lx.peek();
      if (t.type === 'ASSIGN') {
        if (keys.length > 1) fail(t.pos, 'nested object expected: LBRACE got: ASSIGN');
        this.lx.next();
        return { keys, keyPos: first.pos, assign: t.pos, value: this.value() };
      }
      if (t.type === 'LBRACE') {
        return { keys, keyPos: first.pos, assign: null, value: this.object() };
      }
      if (t.type === 'IDENT' || t.type === 'STRING') {
        this.lx.next();
        keys.push(t.value as string);
        last = t;
        continue;
      }
      fail(t.pos, `key '${last.text}' expected start of object ('{') or assignment ('=')`);
    }
  }

  private object(): HclObjectNode {
    const open = this.lx.next(); // {
    const items = this.objectList(false);
    this.lx.next(); // }
    return { kind: 'object', pos: open.pos, items };
  }

  private value(): HclNode {
    const t = this.lx.peek();
    switch (t.type) {
      case 'STRING':
      case 'HEREDOC':
      case 'NUMBER':
      case 'FLOAT':
      case 'BOOL':
        this.lx.next();
        return { kind: 'literal', pos: t.pos, value: t.value };
      case 'LBRACK':
        return this.list();
      case 'LBRACE':
        return this.object();
      default:
        fail(t.pos, `Unknown token: ${t.pos.line}:${t.pos.column} ${t.type} ${t.text}`);
    }
  }

  private list(): HclListNode {
    const open = this.lx.next(); // [
    const elements: HclNode[] = [];
    for (;;) {
      const t = this.lx.peek();
      if (t.type === 'RBRACK') {
        this.lx.next();
        return { kind: 'list', pos: open.pos, elements };
      }
      if (t.type === 'EOF') fail(t.pos, 'error parsing list, expected comma or list end, got: EOF');
      elements.push(this.value());
      const sep = this.lx.peek();
      if (sep.type === 'COMMA') {
        this.lx.next();
      } else if (sep.type !== 'RBRACK') {
        fail(sep.pos, `error parsing list, expected comma or list end, got: ${sep.type}`);
      }
    }
  }
}

/** Strict JSON with positions, producing the same tree as HCL (objects → items). */
class JsonParser {
  private readonly c: Cursor;

  constructor(src: string) {
    this.c = new Cursor(src);
  }

  document(): HclObjectNode {
    this.ws();
    const node = this.value();
    if (node.kind !== 'object') fail(node.pos, 'does not contain a root object');
    this.ws();
    if (!this.c.eof) fail(this.c.pos(), `invalid character after top-level value`);
    return node;
  }

  private ws(): void {
    while (isSpace(this.c.peek())) this.c.next();
  }

  private expect(ch: number, what: string): HclPos {
    this.ws();
    const pos = this.c.pos();
    if (this.c.peek() !== ch) fail(pos, `expected ${what} got: ${this.found()}`);
    this.c.next();
    return pos;
  }

  private found(): string {
    const ch = this.c.peek();
    return ch === -1 ? 'EOF' : JSON.stringify(String.fromCodePoint(ch));
  }

  private value(): HclNode {
    this.ws();
    const c = this.c;
    const pos = c.pos();
    const ch = c.peek();
    if (ch === 0x7b) return this.object();
    if (ch === 0x5b) return this.list();
    if (ch === 0x22) return { kind: 'literal', pos, value: this.string() };
    if (ch === 0x2d || isDigit(ch)) return { kind: 'literal', pos, value: this.number() };
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (c.src.startsWith(word, c.i)) {
        for (let k = 0; k < word.length; k++) c.next();
        return { kind: 'literal', pos, value };
      }
    }
    fail(pos, `expected a JSON value got: ${this.found()}`);
  }

  private object(): HclObjectNode {
    const pos = this.expect(0x7b, "'{'");
    const items: HclItem[] = [];
    this.ws();
    if (this.c.peek() === 0x7d) {
      this.c.next();
      return { kind: 'object', pos, items };
    }
    for (;;) {
      this.ws();
      const keyPos = this.c.pos();
      if (this.c.peek() !== 0x22) fail(keyPos, `expected: STRING got: ${this.found()}`);
      const key = this.string();
      const assign = this.expect(0x3a, "':'");
      const value = this.value();
      items.push({ keys: [key], keyPos, assign, value });
      this.ws();
      if (this.c.peek() === 0x2c) {
        this.c.next();
        continue;
      }
      this.expect(0x7d, "',' or '}'");
      return { kind: 'object', pos, items };
    }
  }

  private list(): HclListNode {
    const pos = this.expect(0x5b, "'['");
    const elements: HclNode[] = [];
    this.ws();
    if (this.c.peek() === 0x5d) {
      this.c.next();
      return { kind: 'list', pos, elements };
    }
    for (;;) {
      elements.push(this.value());
      this.ws();
      if (this.c.peek() === 0x2c) {
        this.c.next();
        continue;
      }
      this.expect(0x5d, "',' or ']'");
      return { kind: 'list', pos, elements };
    }
  }

  private string(): string {
    const c = this.c;
    c.next(); // "
    let out = '';
    for (;;) {
      const at = c.pos();
      const ch = c.next();
      if (ch === -1) fail(at, 'literal not terminated');
      if (ch < 0x20) fail(at, 'invalid control character in string literal');
      if (ch === 0x22) return out;
      if (ch !== 0x5c) {
        out += String.fromCodePoint(ch);
        continue;
      }
      const e = c.next();
      const simple: Record<number, string> = {
        34: '"',
        92: '\\',
        47: '/',
        98: '\b',
        102: '\f',
        110: '\n',
        114: '\r',
        116: '\t',
      };
      if (simple[e] !== undefined) {
        out += simple[e];
      } else if (e === 0x75) {
        let hex = '';
        for (let k = 0; k < 4; k++) {
          if (!isHex(c.peek())) fail(c.pos(), 'illegal char escape');
          hex += String.fromCodePoint(c.next());
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
      } else {
        fail(at, 'illegal char escape');
      }
    }
  }

  private number(): number {
    const c = this.c;
    const pos = c.pos();
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(c.src.slice(c.i));
    if (!m) fail(pos, 'invalid number');
    for (let k = 0; k < m[0].length; k++) c.next();
    return Number(m[0]);
  }
}

/** Whether text is JSON by HCL 1's rule: its first non-whitespace character is `{`. */
function looksLikeJson(text: string): boolean {
  const m = /^\s*(\S)/u.exec(text);
  return m?.[1] === '{';
}

/**
 * Parses HCL 1 text (or JSON, when the first non-space character is `{`) into a syntax tree that
 * keeps every item, duplicate keys included, with positions. Use it when you need line numbers
 * or exact repetition; {@link parseHcl} gives plain values.
 *
 * Supported: `key = value`, blocks `key "label" … { … }`, quoted keys, strings with HCL escapes
 * (`\n \t \r \a \b \f \v \\ \"`, `\ooo`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`; `${ … }` kept verbatim),
 * heredocs `<<EOF` and `<<-EOF` (the latter strips the closing line's indentation from every
 * line when all lines have it), decimal/octal/hex integers, floats, `true`/`false`, lists with
 * optional trailing comma, nested objects, commas between items, `#`, `//` and `/* *\/` comments.
 *
 * @throws HclError on any syntax error, with HCL 1's wording where it has one. Never anything else.
 */
export function parseHclDocument(text: string): HclObjectNode {
  if (typeof text !== 'string') throw new HclError(0, 0, 'input is not a string');
  if (text.startsWith('\uFEFF')) text = text.slice(1); // a byte-order mark is not content
  return looksLikeJson(text) ? new JsonParser(text).document() : new HclParser(text).document();
}

const isPlainObject = (v: unknown): v is HclObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlockish = (v: HclValue): boolean => isPlainObject(v) || (Array.isArray(v) && v.every(isPlainObject));
const asBlocks = (v: HclValue): HclObject[] => (isPlainObject(v) ? [v] : (v as HclObject[]));

function setKey(obj: HclObject, key: string, value: HclValue): void {
  // A plain assignment would change the prototype for `__proto__`.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Converts a syntax-tree node to plain values; see {@link parseHcl} for the rules.
 * @throws HclError when one key is used both for a block/object and for a plain value.
 */
export function hclNodeToValue(node: HclNode): HclValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'list':
      return node.elements.map(hclNodeToValue);
    case 'object': {
      const out: HclObject = {};
      for (const item of node.items) {
        let v = hclNodeToValue(item.value);
        for (let i = item.keys.length - 1; i >= 1; i--) {
          const wrapped: HclObject = {};
          setKey(wrapped, item.keys[i]!, v);
          v = wrapped;
        }
        const key = item.keys[0]!;
        if (!Object.hasOwn(out, key)) {
          setKey(out, key, v);
          continue;
        }
        const prev = out[key]!;
        if (isBlockish(prev) && isBlockish(v)) {
          setKey(out, key, [...asBlocks(prev), ...asBlocks(v)]);
        } else if (!isPlainObject(prev) && !isPlainObject(v)) {
          setKey(out, key, v); // HCL 1: a repeated plain attribute takes the last value
        } else {
          fail(item.keyPos, `key "${key}" is used both for a block or object and for a plain value`);
        }
      }
      return out;
    }
  }
}

/**
 * Parses HCL 1 (or JSON) text into plain values: the JSON document Vault treats as equivalent.
 *
 * - `key = value` sets `key`; a block `key "l1" "l2" { body }` is `key = { l1 = { l2 = body } }`.
 * - A key given more than once at one level: if every occurrence is a block, an object or a list
 *   of objects, the value becomes the list of all those objects in source order (so two
 *   `listener "tcp" {}` blocks give `listener: [{tcp: {…}}, {tcp: {…}}]`, exactly what Vault's
 *   JSON config form `"listener": [{…}, {…}]` gives); for plain values the last one wins, as in
 *   HCL 1; mixing the two is an error. Read blocks with {@link hclBlocks} /
 *   {@link hclLabeledBlocks}, which accept every one of these shapes.
 * - Numbers are JS numbers (64-bit integers beyond 2^53 lose precision). JSON `null` stays `null`.
 * - Object key order is JS order: integer-like keys (`"8200"`) come first.
 *
 * @throws HclError on a syntax error (`At 3:5: literal not terminated`) or the mixing above.
 */
export function parseHcl(text: string): HclObject {
  return hclNodeToValue(parseHclDocument(text)) as HclObject;
}

/**
 * Normalises a block-valued key read from {@link parseHcl}: `undefined`/`null` → `[]`, an object
 * → `[object]`, a list of objects → the list.
 * @param what Names the key in the error message, e.g. `listener`.
 * @throws HclError (without position) for anything else.
 */
export function hclBlocks(value: HclValue | undefined, what = 'value'): HclObject[] {
  if (value === undefined || value === null) return [];
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value) && value.every(isPlainObject)) return value;
  throw new HclError(0, 0, `${what}: expected a block or an object`);
}

/**
 * Flattens labelled blocks read from {@link parseHcl} into `{label, body}` pairs in source order:
 * `listener "tcp" { … }` repeated, or JSON `"listener": {"tcp": {…}}` or `[{"tcp": {…}}, …]`.
 * @param what Names the key in the error message, e.g. `storage`.
 * @throws HclError (without position) when a level is not a block, object or list of objects.
 */
export function hclLabeledBlocks(
  value: HclValue | undefined,
  what = 'value',
): Array<{ label: string; body: HclObject }> {
  const out: Array<{ label: string; body: HclObject }> = [];
  for (const obj of hclBlocks(value, what)) {
    for (const [label, v] of Object.entries(obj)) {
      for (const body of hclBlocks(v, `${what} "${label}"`)) out.push({ label, body });
    }
  }
  return out;
}
