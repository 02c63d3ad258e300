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
import { JsonParser } from './hcl-json.js';
import { fail, HclLexer } from './hcl-lexer.js';
import type { HclItem, HclListNode, HclNode, HclObject, HclObjectNode, HclValue } from './hcl-nodes.js';

export type {
  HclItem,
  HclListNode,
  HclLiteralNode,
  HclNode,
  HclObject,
  HclObjectNode,
  HclPos,
  HclValue,
} from './hcl-nodes.js';

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
