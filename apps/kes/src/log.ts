// The error and audit logs: written to their targets (stderr / stdout / files) and fanned out to
// the `/v1/log/error` and `/v1/log/audit` ndjson streams. The error log is the server's log in the
// chain's one format (@kms-chain/log: `service: "kes"`, level, request id); the audit log keeps
// KES's own line shape.
import { createWriteStream, type WriteStream } from 'node:fs';
import { createLogger, type LogFormat, type Logger, type LogLevel } from '@kms-chain/log';

/** One audit record, shaped as KES's `/v1/log/audit` lines. */
export interface AuditEvent {
  time: string;
  /**
   * `request_id` (our extension, docs/kes-protocol.md#request-id): the originating request the client
   * named in X-Request-Id or traceparent; absent when it named none.
   */
  request: { ip: string; path: string; identity: string; request_id?: string };
  response: { code: number; time: number };
}

type Listener<T> = (e: T) => void;

class Fanout<T> {
  readonly #listeners = new Set<Listener<T>>();
  subscribe(fn: Listener<T>): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
  emit(e: T): void {
    for (const fn of this.#listeners) fn(e);
  }
  get size(): number {
    return this.#listeners.size;
  }
}

export interface LogTargets {
  /** Write error lines to stderr. */
  errorToStderr: boolean;
  /** Write audit lines to stdout. */
  auditToStdout: boolean;
  errorFiles: string[];
  auditFiles: string[];
  /** The least severe level of the error log (default info). */
  level?: LogLevel;
  /** How error-log lines read (default standard). */
  format?: LogFormat;
}

export class Logs {
  readonly errors = new Fanout<{ message: string }>();
  readonly audit = new Fanout<AuditEvent>();
  /** The error log as a logger: request lines at debug, start-up at info, failures at error. */
  readonly logger: Logger;
  readonly #auditOut: Array<NodeJS.WritableStream | WriteStream> = [];
  readonly #files: WriteStream[] = [];
  errorCount = 0;
  auditCount = 0;

  constructor(
    t: LogTargets = { errorToStderr: false, auditToStdout: false, errorFiles: [], auditFiles: [] },
  ) {
    const errorOut: Array<NodeJS.WritableStream | WriteStream> = [];
    if (t.errorToStderr) errorOut.push(process.stderr);
    if (t.auditToStdout) this.#auditOut.push(process.stdout);
    for (const f of t.errorFiles) errorOut.push(this.#open(f));
    for (const f of t.auditFiles) this.#auditOut.push(this.#open(f));
    this.logger = createLogger({
      service: 'kes',
      level: errorOut.length > 0 ? (t.level ?? 'info') : 'off',
      format: t.format ?? 'standard',
      sinks: errorOut,
    });
  }

  #open(path: string): WriteStream {
    const s = createWriteStream(path, { flags: 'a', mode: 0o600 });
    s.on('error', (err) => process.stderr.write(`Error: log file ${path}: ${err.message}\n`));
    this.#files.push(s);
    return s;
  }

  /**
   * Records an error (never key material or secrets): an error-level line, and an event on the
   * `/v1/log/error` stream, which carries the message alone as KES's does.
   */
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.errorCount++;
    this.logger.error(fields, message);
    this.errors.emit({ message });
  }

  /** True when an audit event would go anywhere (a target or a `/v1/log/audit` stream). */
  get isAuditing(): boolean {
    return this.#auditOut.length > 0 || this.audit.size > 0;
  }

  /** Records an audit event. */
  record(e: AuditEvent): void {
    this.auditCount++;
    if (this.#auditOut.length > 0) {
      const line = `${JSON.stringify(e)}\n`;
      for (const o of this.#auditOut) o.write(line);
    }
    this.audit.emit(e);
  }

  async close(): Promise<void> {
    await Promise.all(this.#files.map((f) => new Promise<void>((r) => f.end(r))));
  }
}
