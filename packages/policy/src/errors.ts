/**
 * A policy could not be parsed or is invalid. `message` is the text Vault (or KES) would answer
 * with, e.g. `failed to parse policy: path "kv/*": invalid capability "foo"`, so an HTTP layer can
 * put it in `{"errors":[message]}` unchanged. `cause` holds the underlying {@link HclError} when
 * the text itself did not parse.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/**
 * HCL (or JSON) text did not parse, or a parsed value did not have the expected shape.
 * `message` is `At <line>:<column>: <detail>` in the style of HashiCorp's HCL 1 parser (1-based
 * line and column, columns counted in characters), so that `failed to parse policy: ${message}`
 * reads like Vault's own answer. When no position is known (`line` 0) the message is `detail`.
 */
export class HclError extends Error {
  override readonly name = 'HclError';

  constructor(
    /** 1-based line of the offending character; 0 when unknown. */
    readonly line: number,
    /** 1-based column of the offending character; 0 when unknown. */
    readonly column: number,
    /** The problem without the position prefix, e.g. `literal not terminated`. */
    readonly detail: string,
  ) {
    super(line > 0 ? `At ${line}:${column}: ${detail}` : detail);
  }
}
