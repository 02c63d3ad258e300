// KES policies: a name, allow patterns and deny patterns over the request's URL path.

import { PolicyError } from './errors.js';
import { goPathMatch, isGoPathPatternValid } from './go-path-match.js';

/**
 * How KES patterns match a URL path.
 * - `prefix`: current KES (Oct 2023 on). A pattern ending in `*` matches every path that starts
 *   with the text before the `*` (`/v1/key/*` matches `/v1/key/create/x`); any other pattern
 *   must equal the path. No other character is special.
 * - `glob`: KES up to mid-2023 (the MinIO KMS guide's era): Go `path.Match` shell globs. `*` is
 *   any run of non-`/` characters, `?` one non-`/` character, `[a-z]`/`[^…]` classes, `\` escapes;
 *   the whole path must match (`/v1/key/*` does not match `/v1/key/create/x`). A malformed
 *   pattern never matches (see {@link validateKesPattern} to reject it at config load).
 */
export type KesMatchMode = 'prefix' | 'glob';

/**
 * Whether `path` (the request's percent-decoded URL path, without the query string, as Go's
 * `r.URL.Path`) matches `pattern` under `mode`. Pure and total: never throws; a malformed glob
 * pattern gives `false`.
 */
export function kesPathMatch(pattern: string, path: string, mode: KesMatchMode): boolean {
  if (mode === 'glob') return goPathMatch(pattern, path).matched;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}

/**
 * Rejects a pattern that can never work under `mode`: in `glob` mode one Go's `path.Match` calls
 * malformed; in `prefix` mode every string is valid.
 * @throws PolicyError `invalid policy pattern "/v1/key/[": syntax error in pattern`.
 */
export function validateKesPattern(pattern: string, mode: KesMatchMode): void {
  if (mode === 'glob' && !isGoPathPatternValid(pattern)) {
    throw new PolicyError(`invalid policy pattern ${JSON.stringify(pattern)}: syntax error in pattern`);
  }
}

/** Which rule decided a {@link KesPolicy} check. */
export interface KesDecision {
  readonly allowed: boolean;
  /** `deny`: a deny pattern matched; `allow`: an allow pattern matched; `none`: nothing did. */
  readonly by: 'deny' | 'allow' | 'none';
  /** The deciding pattern, absent for `none`. */
  readonly pattern?: string;
}

/**
 * One KES policy. E1/E2 configs (`paths = [...]`) are allow-only: pass them as `allow`.
 * Immutable after construction; safe to share between concurrent requests.
 */
export class KesPolicy {
  readonly allow: readonly string[];
  readonly deny: readonly string[];

  /**
   * @param name The policy's name (config key), kept for messages and audit.
   * @param rules Allow and deny patterns, in config order.
   * @param mode Matching semantics, default `prefix` (current KES).
   * Never throws: malformed glob patterns simply never match; use {@link KesPolicy.invalidPatterns}
   * or {@link validateKesPattern} to report them.
   */
  constructor(
    readonly name: string,
    rules: { allow: readonly string[]; deny?: readonly string[] },
    readonly mode: KesMatchMode = 'prefix',
  ) {
    this.allow = Object.freeze([...rules.allow]);
    this.deny = Object.freeze([...(rules.deny ?? [])]);
  }

  /**
   * KES's evaluation of one request path: a matching deny pattern forbids; otherwise a matching
   * allow pattern permits; otherwise forbidden. `path` as in {@link kesPathMatch}.
   */
  verify(path: string): KesDecision {
    for (const pattern of this.deny) {
      if (kesPathMatch(pattern, path, this.mode)) return { allowed: false, by: 'deny', pattern };
    }
    for (const pattern of this.allow) {
      if (kesPathMatch(pattern, path, this.mode)) return { allowed: true, by: 'allow', pattern };
    }
    return { allowed: false, by: 'none' };
  }

  /** `verify(path).allowed`: deny first, then allow, else false. */
  isAllowed(path: string): boolean {
    return this.verify(path).allowed;
  }

  /** The allow and deny patterns that are malformed under this policy's mode (empty in prefix mode). */
  invalidPatterns(): string[] {
    if (this.mode !== 'glob') return [];
    return [...this.allow, ...this.deny].filter((p) => !isGoPathPatternValid(p));
  }
}
