// Where audit entries go: webhooks (MinIO's audit_webhook) and a JSON-lines file (ours). A target never
// blocks or fails the S3 request it records: `send` only queues, delivery runs beside the requests, and
// what a target cannot hold (a full queue, a receiver that refuses or does not answer) is dropped and
// counted, never retried into a growing backlog.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { AuditConfig, WebhookConfig } from './config.js';

/** Counters of one target, for the admin and metrics surfaces and for tests. */
export interface AuditTargetStats {
  /** Entries delivered. */
  sent: number;
  /** Entries dropped: the queue was full, or the receiver failed or did not answer in time. */
  dropped: number;
  /** Entries waiting. */
  queued: number;
}

/** One audit destination. `send` never throws and never waits. */
export interface AuditTarget {
  readonly name: string;
  /** Queues one entry, already serialized as one JSON line (no trailing newline). */
  send(line: string): void;
  stats(): AuditTargetStats;
  /** Delivers what is queued (for at most `timeoutMs`), then releases connections and files. */
  close(timeoutMs?: number): Promise<void>;
}

/** At most one line per target and minute says entries are being dropped, and how many so far. */
const DROP_WARNING_MS = 60_000;

/** Counts drops and says so on stderr, rate-limited: a lost audit trail must not go unnoticed. */
class DropCounter {
  count = 0;
  #warnedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly target: string) {}

  add(n: number, why: string): void {
    this.count += n;
    const now = Date.now();
    if (now - this.#warnedAt < DROP_WARNING_MS) return;
    this.#warnedAt = now;
    process.stderr.write(`audit: ${this.target}: dropping entries (${why}); ${this.count} dropped so far\n`);
  }
}

/** POSTs entries to a webhook, one batch in flight at a time. */
export class WebhookTarget implements AuditTarget {
  readonly name: string;
  readonly #config: WebhookConfig;
  readonly #agent: Agent;
  readonly #origin: string;
  readonly #path: string;
  #queue: string[] = [];
  #sending: Promise<void> | undefined;
  #closed = false;
  #sent = 0;
  readonly #dropped: DropCounter;

  /** `trustedCas`: PEM CA certificates trusted beside the system's roots (the certs directory's CAs/). */
  constructor(config: WebhookConfig, trustedCas: string[] = []) {
    this.#config = config;
    this.name = `audit_webhook${config.id === '' ? '' : `:${config.id}`}`;
    this.#dropped = new DropCounter(this.name);
    const url = new URL(config.endpoint);
    this.#origin = url.origin;
    this.#path = `${url.pathname}${url.search}`;
    this.#agent = new Agent({
      connect: {
        timeout: config.httpTimeoutMs,
        ...(trustedCas.length > 0 ? { ca: [...rootCertificates, ...trustedCas] } : {}),
        ...(config.clientCert && config.clientKey ? { cert: config.clientCert, key: config.clientKey } : {}),
      },
    });
  }

  send(line: string): void {
    if (this.#closed || this.#queue.length >= this.#config.queueSize) {
      this.#dropped.add(1, this.#closed ? 'closed' : 'queue full');
      return;
    }
    this.#queue.push(line);
    this.#sending ??= this.#drain().finally(() => {
      this.#sending = undefined;
    });
  }

  stats(): AuditTargetStats {
    return { sent: this.#sent, dropped: this.#dropped.count, queued: this.#queue.length };
  }

  /**
   * Sends what is queued, a batch at a time: whatever waits, up to BATCH_SIZE entries, goes at once —
   * batches form under load and a lone entry is never held back waiting for company.
   */
  async #drain(): Promise<void> {
    // Let the request that queued the entry finish first.
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#config.batchSize);
      if (await this.#post(batch.join('\n'))) this.#sent += batch.length;
      else this.#dropped.add(batch.length, 'the receiver failed or did not answer');
    }
  }

  async #post(body: string): Promise<boolean> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#config.httpTimeoutMs);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.#config.authorization) headers['authorization'] = this.#config.authorization;
      const res = await this.#agent.request({
        origin: this.#origin,
        path: this.#path,
        method: 'POST' as Dispatcher.HttpMethod,
        headers,
        body,
        signal: abort.signal,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    if (this.#sending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#sending, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    if (this.#queue.length > 0) this.#dropped.add(this.#queue.length, 'not delivered before shutdown');
    this.#queue = [];
    await this.#agent.destroy().catch(() => {});
  }
}

/**
 * Most bytes a file target buffers while the disk lags; entries beyond it are dropped and counted. A
 * slow disk must not grow the heap without bound.
 */
const FILE_BACKLOG = 64 << 20;

/**
 * Appends entries as JSON lines to a file (created 0600). The lines of one event-loop turn go out as
 * one write: a write per entry costs a trip to the thread pool each, more than building the entry.
 */
export class FileTarget implements AuditTarget {
  readonly name = 'audit_file';
  readonly #out: WriteStream;
  #sent = 0;
  readonly #dropped = new DropCounter('audit_file');
  #failed = false;
  #pending: string[] = [];
  #pendingBytes = 0;

  constructor(path: string) {
    this.#out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.#out.on('error', (err) => {
      if (!this.#failed) process.stderr.write(`audit: file target ${path}: ${err.message}\n`);
      this.#failed = true;
    });
  }

  send(line: string): void {
    if (
      this.#failed ||
      this.#out.writableEnded ||
      this.#out.writableLength + this.#pendingBytes > FILE_BACKLOG
    ) {
      this.#dropped.add(1, this.#failed ? 'the file failed' : 'the disk lags');
      return;
    }
    if (this.#pending.length === 0) setImmediate(() => this.#flush());
    this.#pending.push(line, '\n');
    this.#pendingBytes += line.length + 1;
    this.#sent++;
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    if (!this.#out.writableEnded) this.#out.write(text);
  }

  stats(): AuditTargetStats {
    return { sent: this.#sent, dropped: this.#dropped.count, queued: 0 };
  }

  close(): Promise<void> {
    this.#flush();
    return new Promise((resolve) => {
      if (this.#out.writableEnded || this.#failed) resolve();
      else this.#out.end(resolve);
    });
  }
}

/** The targets an audit configuration names (none: an empty list). */
export function createAuditTargets(config: AuditConfig, opts: { trustedCas?: string[] } = {}): AuditTarget[] {
  const targets: AuditTarget[] = config.webhooks.map((w) => new WebhookTarget(w, opts.trustedCas));
  if (config.file) targets.push(new FileTarget(config.file.path));
  return targets;
}
