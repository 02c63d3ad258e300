// A small HTTPS JSON client for setting the chain up and probing it: Vault's HTTP API (token
// header) and KES's (mTLS client certificate). Not the product's clients: those live in apps/*/src.
import { type Agent, request } from 'node:https';

/** TLS material for one connection: the CA to trust and, for mTLS, a client certificate and key. */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HttpsJsonOptions extends TlsOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as X-Vault-Token. */
  token?: string;
  /** More request headers. */
  headers?: Record<string, string>;
  /** A keep-alive agent (then it carries the TLS material). */
  agent?: Agent;
  /** Per request (default 10 s; 0: none). */
  timeoutMs?: number;
  /**
   * Follow up to this many 307/308 answers (an HA Vault standby's) with the same method, headers
   * and body, as Vault's clients do (default 0: the 307 is the answer).
   */
  followRedirects?: number;
}

export interface JsonReply {
  status: number;
  /** Parsed JSON when the body is JSON, else its text; null when empty. */
  // biome-ignore lint/suspicious/noExplicitAny: callers read Vault's and KES's JSON field by field.
  body: any;
}

/** A body as JSON when it parses, else as text; null when empty. */
function jsonOrText(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends one request. Network errors and timeouts reject; HTTP errors resolve. */
export function httpsJson(url: string | URL, opts: HttpsJsonOptions = {}): Promise<JsonReply> {
  const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (data) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(data.length);
  }
  if (opts.token) headers['x-vault-token'] = opts.token;
  const method = opts.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers,
        ...(opts.agent ? { agent: opts.agent } : { ca: opts.ca, cert: opts.cert, key: opts.key }),
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const location = res.headers.location;
        if (
          (res.statusCode === 307 || res.statusCode === 308) &&
          location &&
          (opts.followRedirects ?? 0) > 0
        ) {
          res.resume();
          const next = new URL(location, url);
          resolve(httpsJson(next, { ...opts, followRedirects: (opts.followRedirects ?? 0) - 1 }));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: jsonOrText(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Like httpsJson but resolves with the body only for a 2xx status; otherwise rejects naming `what`
 * and Vault's (`errors`) or KES's (`message`) reason.
 */
// biome-ignore lint/suspicious/noExplicitAny: see JsonReply.body.
export async function httpsOk(what: string, url: string | URL, opts?: HttpsJsonOptions): Promise<any> {
  const res = await httpsJson(url, opts);
  if (res.status < 200 || res.status > 299) {
    const msg =
      res.body && typeof res.body === 'object'
        ? (res.body.errors?.join('; ') ?? res.body.message ?? JSON.stringify(res.body))
        : String(res.body ?? '');
    throw new Error(`${what}: HTTP ${res.status}${msg ? `: ${msg}` : ''}`);
  }
  return res.body;
}

/**
 * Resolves once `url` answers any HTTP response (`tls` for the handshake); rejects after `timeoutMs`
 * or as soon as `isDead()` says the server process is gone.
 */
export async function waitForHttps(
  url: string,
  {
    tls = {},
    timeoutMs = 30_000,
    isDead = () => false,
  }: { tls?: TlsOptions; timeoutMs?: number; isDead?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isDead()) throw new Error(`${url}: the process exited before it answered`);
    try {
      await httpsJson(url, { ...tls, timeoutMs: 2_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${url}: no answer within ${timeoutMs} ms (${(err as Error).message})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
