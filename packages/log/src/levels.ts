// The level and format words the three servers accept, parsed once.

/** The levels a server logs at, most verbose first; `off` logs nothing. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';

/** `json`: one JSON object per line. `standard`: one readable line (see standard.ts). */
export type LogFormat = 'standard' | 'json';

// Vault's spellings (`notice` is its alias of info, `warning` and `err` of warn and error), plus
// `off` for KES's `log.error: off`.
const LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  err: 'error',
  error: 'error',
  off: 'off',
};

/**
 * A level word, case-insensitive; the empty string is `info`. Throws `unknown log level: <text>`
 * (callers prefix the field or flag) for any other word.
 */
export function parseLogLevel(text: string): LogLevel {
  const level = LEVELS[text.trim().toLowerCase() || 'info'];
  if (!level) throw new Error(`unknown log level: ${text}`);
  return level;
}

/**
 * A format word, case-insensitive: `standard` (or the empty string) and `json`. Throws
 * `unknown log format: <text>` for any other word.
 */
export function parseLogFormat(text: string): LogFormat {
  const format = text.trim().toLowerCase();
  if (format === '' || format === 'standard') return 'standard';
  if (format === 'json') return 'json';
  throw new Error(`unknown log format: ${text}`);
}
