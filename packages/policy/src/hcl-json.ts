// Strict JSON for hcl.ts, read into the same syntax tree as HCL 1 (HCL 1 parses text that starts
// with `{` as JSON), with positions for error messages.
import { Cursor, fail, isDigit, isHex, isSpace } from './hcl-lexer.js';
import type { HclItem, HclListNode, HclNode, HclObjectNode, HclPos } from './hcl-nodes.js';

/** Strict JSON with positions, producing the same tree as HCL (objects → items). */
export class JsonParser {
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
