// createLogger: the one place a server's logger is made, so that the three write the same fields,
// honour their level the same way and redact the same secrets.
import pino, { type Logger } from 'pino';
import type { LogFormat, LogLevel } from './levels.js';
import { REDACTED, redactPaths, scrubSecrets } from './redact.js';
import { formatStandard } from './standard.js';

export type { Logger } from 'pino';

/** Anything a line can be written to: process.stdout/stderr, a file stream. */
export interface LineSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** The `service` field of every line: `vault`, `kes` or `minio`. */
  service: string;
  /** Default `info`; `off` writes nothing. */
  level?: LogLevel;
  /** Default `standard`. */
  format?: LogFormat;
  /** Where lines go (default process.stdout); each gets every line. */
  sinks?: LineSink[];
  /** Called with each record after redaction (the `/v1/log/error` stream of KES). */
  onRecord?: (record: Record<string, unknown>) => void;
}

/** An error as logged: its class, message, code and causes; never its other own properties. */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out['code'] = code;
  if (err.cause !== undefined && depth < 4) out['cause'] = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * A pino logger writing `{"level","time","service","msg",…}` lines (level as its word, time as
 * RFC 3339 UTC) in JSON or the readable form, with SECRET_FIELDS redacted, anything shaped like
 * a Vault token or KES API key replaced (SECRET_PATTERNS), and errors under `err`
 * reduced to type, message, code and cause (another property of an error may hold a request and
 * its headers). Writes are synchronous: a line is out before the call returns.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const format = opts.format ?? 'standard';
  const sinks = opts.sinks ?? [process.stdout];
  const destination = {
    write(raw: string): void {
      const line = scrubSecrets(raw);
      const record =
        format === 'standard' || opts.onRecord ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      const text = format === 'json' ? line : formatStandard(record!);
      for (const s of sinks) s.write(text);
      if (record) opts.onRecord?.(record);
    },
  };
  const level = opts.level ?? 'info';
  return pino(
    {
      level: level === 'off' ? 'silent' : level,
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    destination,
  );
}
