// The KES client MinIO uses (docs/kes-protocol.md#endpoint-failover): POST JSON over keep-alive mTLS
// connections that share one secure context, several endpoints with kms-go's failover — a loopback
// endpoint first, otherwise a random start; a network error, a timeout or a 5xx other than 501 puts the
// endpoint in a 30 s timeout and the request moves on; 503 and network errors (not timeouts) are
// retried twice on the same endpoint after 200 ms plus jitter. If every endpoint is timed out and none
// was tried, one more pass ignores the timeouts.
// Deadlines (stricter than MinIO, whose KES calls wait as long as the S3 request lives): each attempt
// has its own, covering connect (at most CONNECT_MS of it), headers and the whole body, and a timed-out
// attempt is not retried on its endpoint; the request as a whole has one across endpoints and retries;
// and at most MAX_PENDING requests wait on KES at once — beyond that a request fails at once instead
// of queueing behind a stalled KES. All three fail as `unavailable`, which the S3 layer answers with
// kms:KeyGenerationFailed / kms:DecryptionFailed (500).
// Requests go through undici (the HTTP client behind Node's fetch): per request it costs about a
// third less CPU than node:https, and every SSE PUT and GET makes one.
import type { ConnectionOptions } from 'node:tls';
import { isLoopbackHost } from '@kms-chain/tls-identity';
import { Agent, type Dispatcher } from 'undici';
import { currentRequest, traceHeaders } from '../http/request-context.js';
import { type DataKey, type Kms, KmsError, type KmsStatus } from './kms.js';

/** Settings of a {@link KesClient}. */
export interface KesClientOptions {
  /** Base URLs, e.g. `https://127.0.0.1:7373`. */
  endpoints: string[];
  defaultKeyId: string;
  /**
   * TLS settings of every connection: client certificate, CA and server check around one secure
   * context (tls-identity's `clientTlsOptions`); see {@link KesClient.replaceTls}.
   */
  tls: ConnectionOptions;
  /** Called once by `close()`, e.g. to stop a certificate watch. */
  onClose?: () => void;
  /** Deadline of one attempt (connect, headers and body) in ms (default {@link ATTEMPT_MS}). */
  timeoutMs?: number;
  /** Deadline of a request across endpoints and retries, in ms (default {@link REQUEST_MS}). */
  requestTimeoutMs?: number;
  /** Most requests waiting on KES at once (default {@link MAX_PENDING}). */
  maxPending?: number;
  /** How long a failed endpoint is skipped, in ms (default 30 000). */
  endpointTimeoutMs?: number;
  /** Base back-off before a retry on the same endpoint, in ms (default 200; jitter adds up to 300). */
  retryDelayMs?: number;
}

interface Reply {
  status: number;
  body: string;
}

class NetworkError extends Error {}
/** An attempt that passed its deadline: the endpoint stalls, so it is not retried. */
class AttemptTimeout extends NetworkError {}

const ACCEPT = { accept: 'application/json' };
const ACCEPT_JSON_BODY = { accept: 'application/json', 'content-type': 'application/json' };

const RETRIES = 2;
/**
 * Deadline of one attempt: KES's own route deadline, so a KES waiting on a slow keystore still answers
 * (with its own error) before we give up on it.
 */
export const ATTEMPT_MS = 15_000;
/** Deadline of a whole request: one full attempt plus a failover to a healthy endpoint. */
export const REQUEST_MS = 20_000;
/**
 * Most KES requests under way at once. MinIO has no such bound (nor a variable for one): its KES calls
 * queue without limit behind a stalled KES. Healthy, KES answers in about a millisecond, so even 64
 * clients listing SSE-S3 objects (16 unseals each) stay below it; when KES stalls, the requests beyond
 * it fail at once with the same error as a timeout instead of piling up.
 */
export const MAX_PENDING = 1024;
/** Largest KES reply read, as kms-go's limit on its responses. */
const MAX_REPLY = 1 << 20;
/** Idle keep-alive connections are kept this long (Go's http.Transport IdleConnTimeout). */
const IDLE_MS = 90_000;

/** A reply body as text, refused beyond {@link MAX_REPLY} bytes. */
function readReply(body: Dispatcher.ResponseData['body']): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY) body.destroy(new Error('reply larger than 1 MiB'));
      else chunks.push(chunk);
    });
    body.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    body.on('error', reject);
  });
}

/** Longest TCP connect + TLS handshake, as kms-go's 10 s TLS handshake timeout (never above an attempt's). */
const CONNECT_MS = 10_000;

function dispatcher(tls: ConnectionOptions, connectMs: number): Agent {
  return new Agent({
    connect: { ...tls, timeout: connectMs },
    keepAliveTimeout: IDLE_MS,
    keepAliveMaxTimeout: IDLE_MS,
  });
}

/** Error texts of KES, current and legacy (docs/kes-protocol.md#errors); compared exactly, as MinIO does. */
const EXISTS = new Set(['key already exists', 'key does already exist']);

function messageOf(reply: Reply): string {
  const text = reply.body.trim();
  try {
    const v = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof v.message === 'string') return v.message;
    if (typeof v.error === 'string') return v.error;
  } catch {
    // plain-text error bodies are allowed
  }
  return text || `HTTP ${reply.status}`;
}

function errorOf(reply: Reply): KmsError {
  const message = messageOf(reply);
  if (reply.status === 404) return new KmsError('key-not-found', message);
  if (EXISTS.has(message)) return new KmsError('key-exists', message);
  if (reply.status === 403) return new KmsError('not-authorized', message);
  if (reply.status === 400 && /not authentic|invalid ciphertext/.test(message)) {
    return new KmsError('not-authentic', message);
  }
  if (reply.status === 501) return new KmsError('not-supported', message);
  if (reply.status >= 500) return new KmsError('unavailable', message);
  return new KmsError('failed', message);
}

function isEndpointFailure(status: number): boolean {
  return status >= 500 && status !== 501;
}

/** A KES client with endpoint failover; implements the object store's {@link Kms}. */
export class KesClient implements Kms {
  readonly defaultKeyId: string;
  readonly endpoints: readonly string[];
  #dispatcher: Agent;
  /** Endpoint → its origin (scheme, host, port): what a request is sent to. */
  readonly #origins: Map<string, string>;
  readonly #onClose: (() => void) | undefined;
  readonly #timeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #maxPending: number;
  #pending = 0;
  readonly #endpointTimeoutMs: number;
  readonly #retryDelayMs: number;
  /** Endpoint → time (ms) until which it is skipped. */
  readonly #timeouts = new Map<string, number>();
  readonly #preferFirst: boolean;

  constructor(opts: KesClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('kms: no KES endpoint');
    // Loopback endpoints first, as kms-go orders them.
    const local = opts.endpoints.filter((e) => isLoopbackHost(new URL(e).hostname.replace(/^\[|\]$/g, '')));
    const remote = opts.endpoints.filter((e) => !local.includes(e));
    this.endpoints = [...local, ...remote];
    this.#origins = new Map(this.endpoints.map((e) => [e, new URL(e).origin]));
    this.#preferFirst = local.length > 0;
    this.defaultKeyId = opts.defaultKeyId;
    this.#timeoutMs = opts.timeoutMs ?? ATTEMPT_MS;
    this.#dispatcher = dispatcher(opts.tls, Math.min(CONNECT_MS, this.#timeoutMs));
    this.#onClose = opts.onClose;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_MS;
    this.#maxPending = opts.maxPending ?? MAX_PENDING;
    this.#endpointTimeoutMs = opts.endpointTimeoutMs ?? 30_000;
    this.#retryDelayMs = opts.retryDelayMs ?? 200;
  }

  #order(): string[] {
    const n = this.endpoints.length;
    const start = this.#preferFirst || n === 1 ? 0 : Math.floor(Math.random() * n);
    return Array.from({ length: n }, (_, i) => this.endpoints[(start + i) % n]!);
  }

  /** Requests under way (waiting on KES). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * One HTTP exchange, abandoned after `deadlineMs` whatever it waits for (connection, headers or a
   * body that stalls midway): the abort destroys the socket, so a stalled connection is not reused.
   */
  async #send(
    endpoint: string,
    method: string,
    path: string,
    body: unknown,
    deadlineMs: number,
  ): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const base = payload === undefined ? ACCEPT : ACCEPT_JSON_BODY;
    // The S3 request this call serves goes with it, so KES and Vault audit it under the same id.
    const request = currentRequest();
    const headers = request ? { ...base, ...traceHeaders(request.id) } : base;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadlineMs);
    try {
      const res = await this.#dispatcher.request({
        origin: this.#origins.get(endpoint)!,
        path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload,
        signal: abort.signal,
      });
      return { status: res.statusCode, body: await readReply(res.body) };
    } catch (err) {
      if (abort.signal.aborted) throw new AttemptTimeout(`no answer within ${deadlineMs} ms`);
      // A connection or TLS handshake that hangs is a stalled endpoint too: not retried.
      if ((err as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT')
        throw new AttemptTimeout('connect timed out');
      throw new NetworkError((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  async #attempt(
    endpoint: string,
    method: string,
    path: string,
    body: unknown,
    until: number,
  ): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const left = until - Date.now();
      if (left <= 0) throw new AttemptTimeout('request deadline passed');
      try {
        const reply = await this.#send(endpoint, method, path, body, Math.min(this.#timeoutMs, left));
        if (reply.status !== 503 || attempt === RETRIES) return reply;
      } catch (err) {
        if (attempt === RETRIES || err instanceof AttemptTimeout) throw err;
      }
      const delay = this.#retryDelayMs + Math.random() * 300;
      if (Date.now() + delay >= until) throw new AttemptTimeout('request deadline passed');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * One request with failover; resolves to a 2xx reply or throws KmsError. Fails as `unavailable`
   * when the request deadline passes or {@link MAX_PENDING} requests already wait on KES.
   */
  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    if (this.#pending >= this.#maxPending) {
      throw new KmsError('unavailable', `KES is not answering: ${this.#pending} requests already wait on it`);
    }
    this.#pending++;
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await this.#request(method, path, body, Date.now() + this.#requestTimeoutMs);
    } catch (err) {
      outcome = err instanceof KmsError ? err.kind : 'failed';
      throw err;
    } finally {
      this.#pending--;
      noteCall(path, performance.now() - started, outcome);
    }
  }

  async #request(method: string, path: string, body: unknown, until: number): Promise<Reply> {
    let last: KmsError | undefined;
    let tried = 0;
    for (const ignoreTimeouts of [false, true]) {
      if (ignoreTimeouts && tried > 0) break;
      for (const endpoint of this.#order()) {
        if (!ignoreTimeouts && (this.#timeouts.get(endpoint) ?? 0) > Date.now()) continue;
        if (Date.now() >= until) {
          throw last ?? new KmsError('unavailable', `KES did not answer within ${this.#requestTimeoutMs} ms`);
        }
        tried++;
        let reply: Reply;
        try {
          reply = await this.#attempt(endpoint, method, path, body, until);
        } catch (err) {
          this.#timeouts.set(endpoint, Date.now() + this.#endpointTimeoutMs);
          const what = err instanceof AttemptTimeout ? 'did not answer' : 'unreachable';
          last = new KmsError('unavailable', `KES ${endpoint} ${what}: ${(err as Error).message}`);
          continue;
        }
        if (reply.status >= 200 && reply.status < 300) {
          this.#timeouts.delete(endpoint);
          return reply;
        }
        if (isEndpointFailure(reply.status)) {
          this.#timeouts.set(endpoint, Date.now() + this.#endpointTimeoutMs);
          last = errorOf(reply);
          continue;
        }
        this.#timeouts.delete(endpoint);
        throw errorOf(reply);
      }
    }
    throw last ?? new KmsError('unavailable', 'no KES endpoint is available');
  }

  static #name(keyId: string): string {
    return encodeURIComponent(keyId);
  }

  async generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    const id = keyId === '' ? this.defaultKeyId : keyId;
    const reply = await this.request('POST', `/v1/key/generate/${KesClient.#name(id)}`, {
      context: Buffer.from(context).toString('base64'),
    });
    const v = parseJson(reply.body) as { plaintext?: unknown; ciphertext?: unknown };
    if (typeof v.plaintext !== 'string' || typeof v.ciphertext !== 'string') {
      throw new KmsError('failed', 'KES returned a malformed generate response');
    }
    const plaintext = Buffer.from(v.plaintext, 'base64');
    if (plaintext.length !== 32) {
      plaintext.fill(0);
      throw new KmsError('failed', 'KES returned a data key that is not 32 bytes');
    }
    return { keyId: id, plaintext, ciphertext: Buffer.from(v.ciphertext, 'base64') };
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    const reply = await this.request('POST', `/v1/key/decrypt/${KesClient.#name(keyId)}`, {
      ciphertext: Buffer.from(ciphertext).toString('base64'),
      context: Buffer.from(context).toString('base64'),
    });
    const v = parseJson(reply.body) as { plaintext?: unknown };
    if (typeof v.plaintext !== 'string') throw new KmsError('failed', 'KES returned a malformed response');
    return Buffer.from(v.plaintext, 'base64');
  }

  async createKey(keyId: string): Promise<void> {
    await this.request('POST', `/v1/key/create/${KesClient.#name(keyId)}`);
  }

  async describeKey(keyId: string): Promise<void> {
    await this.request('GET', `/v1/key/describe/${KesClient.#name(keyId)}`);
  }

  /**
   * One page, as MinIO asks (kms-go's ListKeys without a continuation): KES answers every name at once.
   * Reads `{"names":[…]}` and the ndjson `{"name":…}` lines of KES's earlier eras.
   */
  async listKeys(prefix: string): Promise<string[]> {
    const reply = await this.request('GET', `/v1/key/list/${KesClient.#name(prefix === '' ? '*' : prefix)}`);
    const body = reply.body.trim();
    let names: unknown;
    if (body.startsWith('{"names"') || body.startsWith('{ "names"')) {
      names = (parseJson(body) as { names?: unknown }).names;
    } else {
      names = body === '' ? [] : body.split('\n').map((line) => (parseJson(line) as { name?: unknown }).name);
    }
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
      throw new KmsError('failed', 'KES returned a malformed key list');
    }
    return (names as string[]).sort();
  }

  async status(): Promise<KmsStatus> {
    let uptime: number | undefined;
    const entries = await Promise.all(
      this.endpoints.map(async (endpoint) => {
        try {
          const reply = await this.#send(endpoint, 'GET', '/v1/status', undefined, this.#timeoutMs);
          if (reply.status !== 200) return [endpoint, 'offline'] as const;
          const up = uptimeOf(reply.body);
          if (up !== undefined) uptime = Math.max(uptime ?? 0, up);
          return [endpoint, 'online'] as const;
        } catch {
          return [endpoint, 'offline'] as const;
        }
      }),
    );
    return {
      name: 'MinIO KES',
      defaultKeyId: this.defaultKeyId,
      endpoints: Object.fromEntries(entries),
      ...(uptime !== undefined ? { uptimeSeconds: uptime } : {}),
    };
  }

  /**
   * Uses `tls` (a renewed client certificate) for every connection from now on. Requests under way
   * finish on the old connections, which close once they are idle.
   */
  replaceTls(tls: ConnectionOptions): void {
    const old = this.#dispatcher;
    this.#dispatcher = dispatcher(tls, Math.min(CONNECT_MS, this.#timeoutMs));
    old.close().catch(() => {});
  }

  close(): void {
    this.#onClose?.();
    this.#dispatcher.destroy().catch(() => {});
  }
}

/** Notes a KES call in the audit context of the S3 request it served (`/v1/key/<op>/<key name>`). */
function noteCall(path: string, ms: number, outcome: string): void {
  const request = currentRequest();
  if (!request) return;
  const [, , , op = path, name = ''] = path.split('/');
  let key = name;
  try {
    key = decodeURIComponent(name);
  } catch {
    // our own encodeURIComponent output always decodes
  }
  request.kmsCalls.push({ op, key, ms: Math.round(ms * 1000) / 1000, outcome });
}

/** KES's uptime from a status reply: seconds at HEAD, nanoseconds in E3 (docs/kes-protocol.md#status). */
function uptimeOf(body: string): number | undefined {
  try {
    const v = JSON.parse(body) as { uptime?: unknown; kms?: unknown };
    if (typeof v.uptime !== 'number' || !Number.isFinite(v.uptime) || v.uptime < 0) return undefined;
    // The E3 shape (with its `kms` object) counted nanoseconds.
    return v.kms !== undefined ? v.uptime / 1e9 : v.uptime;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KmsError('failed', 'KES returned a response that is not JSON');
  }
}
