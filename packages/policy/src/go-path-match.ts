// Go's `path.Match`, reimplemented from its documented grammar and behaviour. It works on the
// UTF-8 bytes of both strings, as Go does: literals compare byte by byte, while `?` and character
// classes consume one UTF-8-decoded rune.
//
//   pattern  = { term }
//   term     = '*'                 any run of non-'/' characters
//            | '?'                 one non-'/' character
//            | '[' ['^'] { range } ']'   character class (non-empty; '^' negates)
//            | c                   the character c (c != '*', '?', '\\', '[')
//            | '\\' c              the character c
//   range    = c | '\\' c | lo '-' hi

const enc = new TextEncoder();

const STAR = 0x2a;
const QUESTION = 0x3f;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const SLASH = 0x2f;
const RUNE_ERROR = 0xfffd;

/** The outcome of {@link goPathMatch}: `badPattern` mirrors Go's `path.ErrBadPattern`. */
export interface GoMatchResult {
  readonly matched: boolean;
  readonly badPattern: boolean;
}

type Bytes = Uint8Array;

/** Decodes one rune like Go's utf8.DecodeRune: invalid input gives (U+FFFD, 1). */
function decodeRune(b: Bytes, i: number): [rune: number, size: number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number): number => {
    const x = b[i + k];
    return x !== undefined && (x & 0xc0) === 0x80 ? x & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 >= 0) return [((b0 & 0x1f) << 6) | c1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 >= 0 && c2 >= 0) {
      const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
      if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) return [r, 3];
    }
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
      const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
      if (r >= 0x10000 && r <= 0x10ffff) return [r, 4];
    }
  }
  return [RUNE_ERROR, 1];
}

/** Splits off the next chunk: leading stars, then everything up to the next star outside `[…]`. */
function scanChunk(p: Bytes, from: number): { star: boolean; start: number; end: number } {
  let i = from;
  let star = false;
  while (i < p.length && p[i] === STAR) {
    i++;
    star = true;
  }
  const start = i;
  let inRange = false;
  for (; i < p.length; i++) {
    const ch = p[i];
    if (ch === BACKSLASH) {
      if (i + 1 < p.length) i++;
    } else if (ch === LBRACKET) {
      inRange = true;
    } else if (ch === RBRACKET) {
      inRange = false;
    } else if (ch === STAR && !inRange) {
      break;
    }
  }
  return { star, start, end: i };
}

/** Reads a possibly escaped class character; `null` = bad pattern. */
function classChar(p: Bytes, i: number, end: number): [rune: number, next: number] | null {
  if (i >= end || p[i] === DASH || p[i] === RBRACKET) return null;
  if (p[i] === BACKSLASH) {
    i++;
    if (i >= end) return null;
  }
  const [r, n] = decodeRune(p.subarray(0, end), i);
  if (r === RUNE_ERROR && n === 1) return null;
  if (i + n >= end) return null; // a class must still be closed after this character
  return [r, i + n];
}

/**
 * Matches chunk p[start,end) against the beginning of s[from…]. Returns the index in s after the
 * match, -1 for no match, or -2 for a malformed chunk (checked even after a mismatch).
 */
function matchChunk(p: Bytes, start: number, end: number, s: Bytes, from: number): number {
  let i = start;
  let j = from;
  let failed = false;
  while (i < end) {
    if (!failed && j >= s.length) failed = true;
    const ch = p[i]!;
    if (ch === LBRACKET) {
      let r = -1;
      if (!failed) {
        const [rr, n] = decodeRune(s, j);
        r = rr;
        j += n;
      }
      i++;
      let negated = false;
      if (i < end && p[i] === CARET) {
        negated = true;
        i++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (i < end && p[i] === RBRACKET && nrange > 0) {
          i++;
          break;
        }
        const lo = classChar(p, i, end);
        if (!lo) return -2;
        let hi = lo;
        if (p[lo[1]] === DASH) {
          hi = classChar(p, lo[1] + 1, end) ?? [-1, -1];
          if (hi[1] < 0) return -2;
        }
        i = hi[1];
        if (lo[0] <= r && r <= hi[0]) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (ch === QUESTION) {
      if (!failed) {
        if (s[j] === SLASH) failed = true;
        j += decodeRune(s, j)[1];
      }
      i++;
    } else {
      if (ch === BACKSLASH) {
        i++;
        if (i >= end) return -2;
      }
      if (!failed) {
        if (p[i] !== s[j]) failed = true;
        j++;
      }
      i++;
    }
  }
  return failed ? -1 : j;
}

/**
 * Go's `path.Match(pattern, name)`: whether `name` matches the whole shell `pattern`, with `*`
 * and `?` never matching `/`. `badPattern` is true when the pattern is malformed (an unclosed or
 * empty `[…]`, a trailing `\`, a range like `[a-]`), in which case `matched` is false.
 * Pure and total: never throws.
 */
export function goPathMatch(pattern: string, name: string): GoMatchResult {
  const p = enc.encode(pattern);
  const s = enc.encode(name);
  let pi = 0;
  let si = 0;
  patterns: while (pi < p.length) {
    const { star, start, end } = scanChunk(p, pi);
    pi = end;
    if (star && start === end) {
      // A trailing star matches the rest unless it contains a slash.
      return { matched: s.indexOf(SLASH, si) < 0, badPattern: false };
    }
    const t = matchChunk(p, start, end, s, si);
    if (t >= 0 && (t === s.length || pi < p.length)) {
      si = t;
      continue;
    }
    if (t === -2) return { matched: false, badPattern: true };
    if (star) {
      for (let k = si; k < s.length && s[k] !== SLASH; k++) {
        const t2 = matchChunk(p, start, end, s, k + 1);
        if (t2 >= 0) {
          if (pi >= p.length && t2 < s.length) continue;
          si = t2;
          continue patterns;
        }
        if (t2 === -2) return { matched: false, badPattern: true };
      }
    }
    // No match: report a malformed remainder all the same, as Go does.
    while (pi < p.length) {
      const rest = scanChunk(p, pi);
      pi = rest.end;
      if (matchChunk(p, rest.start, rest.end, new Uint8Array(0), 0) === -2) {
        return { matched: false, badPattern: true };
      }
    }
    return { matched: false, badPattern: false };
  }
  return { matched: si === s.length, badPattern: false };
}

/**
 * Whether `pattern` is well-formed for Go's `path.Match` (Go reports `syntax error in pattern`
 * otherwise). Pure; never throws.
 */
export function isGoPathPatternValid(pattern: string): boolean {
  const p = enc.encode(pattern);
  let pi = 0;
  while (pi < p.length) {
    const chunk = scanChunk(p, pi);
    pi = chunk.end;
    if (matchChunk(p, chunk.start, chunk.end, new Uint8Array(0), 0) === -2) return false;
  }
  return true;
}
