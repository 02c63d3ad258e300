// The HCL 1 scanner for hcl.ts: tokens with positions, HCL 1's literal rules and error texts, and
// the character cursor the JSON reader (hcl-json.ts) shares.
import { HclError } from './errors.js';
import type { HclPos } from './hcl-nodes.js';

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

export interface Token {
  readonly type: TokType;
  /** The source text of the token (for messages). */
  readonly text: string;
  readonly pos: HclPos;
  /** Decoded value for literals and the key text for IDENT/STRING. */
  readonly value: string | number | boolean | null;
}

/** Walks the text by code point, keeping line and column. */
export class Cursor {
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

export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isHex = (c: number): boolean =>
  isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isLetter = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  c === 0x5f ||
  (c >= 0x80 && /\p{L}/u.test(String.fromCodePoint(c)));
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export function fail(pos: HclPos, detail: string): never {
  throw new HclError(pos.line, pos.column, detail);
}

/** The HCL 1 scanner: comments, idents, strings with escapes, heredocs, numbers, punctuation. */
export class HclLexer {
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
