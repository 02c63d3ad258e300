// A small HTTPS JSON client for the chain's set-up: Vault's HTTP API (token header) and KES's
// (mTLS client certificate). Plain Node so `npm start` needs no build step of its own.
import { request } from 'node:https';

/**
 * Sends one request and resolves with `{ status, body }` (`body` parsed as JSON when it is JSON,
 * else the text, or null when empty). Network errors reject; HTTP errors resolve.
 * @param {string} url
 * @param {{ method?: string, body?: unknown, token?: string, ca?: string | Buffer,
 *   cert?: string | Buffer, key?: string | Buffer, timeoutMs?: number }} [opts]
 * @returns {Promise<{ status: number, body: any }>}
 */
export function httpsJson(url, opts = {}) {
  const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers = { accept: 'application/json' };
  if (data) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(data.length);
  }
  if (opts.token) headers['x-vault-token'] = opts.token;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body = null;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Like httpsJson but throws on a status outside 2xx, naming the call and Vault's/KES's message. */
export async function httpsOk(what, url, opts) {
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
 * Resolves once `url` answers any HTTP response (`tls`: ca/cert/key for the handshake); rejects after
 * `timeoutMs` or as soon as `isDead()` says the server process is gone.
 */
export async function waitForHttps(url, { tls = {}, timeoutMs = 30_000, isDead = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isDead()) throw new Error(`${url}: the process exited before it answered`);
    try {
      await httpsJson(url, { ...tls, timeoutMs: 2_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${url}: no answer within ${timeoutMs} ms (${err.message})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
