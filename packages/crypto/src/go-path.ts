// Go's `path.Clean` and `path.Join`, exactly: MinIO binds sealed object keys to path.Join(bucket, object),
// so any difference here makes objects unreadable (docs/minio-sse.md#derivations).
// Go works on bytes; '/' and '.' are ASCII and never part of a multi-unit UTF-16 sequence, so working on
// JS string code units gives the same result for every string.

/**
 * Go's `path.Clean`: the shortest path equivalent to `p` by purely lexical processing — repeated slashes
 * become one, `.` elements go, each `..` removes the element before it (a `..` at the start of a rooted
 * path is dropped), and a trailing slash is removed unless the result is `/`. Empty input gives `.`.
 * Total: never throws.
 */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.charCodeAt(0) === 0x2f;
  const n = p.length;
  // out: the cleaned path so far; r: next index to read; dotdot: where `..` may no longer back up.
  let out = rooted ? '/' : '';
  let r = rooted ? 1 : 0;
  let dotdot = out.length;
  while (r < n) {
    const c = p.charCodeAt(r);
    if (c === 0x2f) {
      r++; // empty element
    } else if (c === 0x2e && (r + 1 === n || p.charCodeAt(r + 1) === 0x2f)) {
      r++; // . element
    } else if (c === 0x2e && p.charCodeAt(r + 1) === 0x2e && (r + 2 === n || p.charCodeAt(r + 2) === 0x2f)) {
      r += 2; // .. element: remove to last '/'
      if (out.length > dotdot) {
        let w = out.length - 1;
        while (w > dotdot && out.charCodeAt(w) !== 0x2f) w--;
        out = out.slice(0, w);
      } else if (!rooted) {
        out += out.length > 0 ? '/..' : '..';
        dotdot = out.length;
      }
    } else {
      // real element: add a slash if needed, then copy it
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out += '/';
      let e = r;
      while (e < n && p.charCodeAt(e) !== 0x2f) e++;
      out += p.slice(r, e);
      r = e;
    }
  }
  return out === '' ? '.' : out;
}

/**
 * Go's `path.Join`: joins the non-empty elements with `/` and cleans the result with
 * {@link goPathClean}. Empty elements are ignored; if every element is empty (or there are none) the
 * result is the empty string (not `.`). Total: never throws.
 */
export function goPathJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  if (parts.length === 0) return '';
  return goPathClean(parts.join('/'));
}
