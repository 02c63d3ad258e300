// The syntax tree and plain values of the HCL 1 parser (hcl.ts); types only.

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
