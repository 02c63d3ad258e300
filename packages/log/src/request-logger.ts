// The logger each request carries (fastify's `request.log`), made on the request's first line
// instead of with the request. fastify makes a child logger for every request to bind its id, and
// under our redaction a pino child costs 12–16 µs (pino passes each binding through the wildcard
// redaction paths), a sixth of the CPU of a Vault KV read; at info most requests log nothing.
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The child logger of `parent` with `bindings`, as fastify's `childLoggerFactory` asks for it,
 * made only when a line at an enabled level is written through it (or its bindings or a child of
 * it are asked for). Lines come out exactly as from `parent.child(bindings, options)`.
 */
export function requestLogger(parent: Logger, bindings: Bindings, options?: ChildLoggerOptions): Logger {
  // Options (a route's own level or serializers) change what the child writes: made at once.
  if (options && Object.keys(options).length > 0) return parent.child(bindings, options);
  return new DeferredChild(parent, bindings) as unknown as Logger;
}

class DeferredChild {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#made().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#made().child(bindings, options);
  }

  bindings(): Bindings {
    return this.#made().bindings();
  }

  #write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.#made()[level] as (...a: unknown[]) => void)(...args);
  }

  #made(): Logger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }
}
