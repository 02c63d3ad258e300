// The wildcard patterns of bucket policies (docs/s3.md#bucket-policies): `*` matches any run of
// characters, `?` exactly one, everything else itself, case-sensitively.

/** True when `pattern` matches the whole of `text`. An empty pattern matches only the empty text. */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '*') return true;
  // Iterative matching with one backtrack point (the last `*`): linear in practice, never exponential.
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * True when some text starting with `prefix` could match `pattern`: the pattern agrees with the prefix
 * up to its first `*` (a policy's Resource must name the bucket it is put on).
 */
export function couldMatchPrefix(pattern: string, prefix: string): boolean {
  for (let i = 0; i < prefix.length && i < pattern.length; i++) {
    if (pattern[i] === '*') return true;
    if (pattern[i] !== '?' && pattern[i] !== prefix[i]) return false;
  }
  return prefix.length <= pattern.length;
}
