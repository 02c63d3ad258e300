// A minimal JSON-over-HTTP(S) client for Vault's API. Keep-alive is off, as in KES HEAD: one
// fresh connection per request, so a restarted or failed-over Vault is picked up at once.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { checkServerIdentity, readCaBundle } from '@kms-chain/tls-identity';
import { traceHeaders } from '../../request-id.js';

export interface VaultTls {
  key?: string;
  cert?: string;
  /** CA file or folder of PEM files (see readCaBundle for which files a folder contributes). */
  ca?: string;
}

export interface VaultResponse {
  status: number;
  body: unknown;
}

/** Network-level failure (connect, TLS, timeout, abort). */
export class VaultNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultNetworkError';
  }
}

export class VaultHttp {
  readonly #base: URL;
  readonly #tlsOpts: https.RequestOptions;

  constructor(endpoint: string, t: VaultTls) {
    this.#base = new URL(endpoint);
    // The guide's openssl certificates carry only CN=localhost while KES reaches Vault at
    // https://127.0.0.1:8200; the chain's loopback-tolerant name check accepts that
    // (docs/guide.md#facts-that-bite).
    const opts: https.RequestOptions = { checkServerIdentity };
    if (t.ca) opts.ca = readCaBundle(t.ca);
    if (t.cert) opts.cert = readFileSync(t.cert);
    if (t.key) opts.key = readFileSync(t.key);
    this.#tlsOpts = opts;
  }

  get endpoint(): string {
    return this.#base.origin;
  }

  /**
   * Sends one request; resolves with any HTTP status; rejects with VaultNetworkError. A 307 or
   * 308 (an HA standby pointing at the active node) is followed, up to 3 times, with the same
   * method, headers and body, as Vault's Go client does.
   */
  request(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
    hops = 0,
  ): Promise<VaultResponse> {
    const url = new URL(path, this.#base);
    const isHttps = url.protocol === 'https:';
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    // The KES request this call serves, for Vault's audit log (docs/kes-protocol.md#request-id).
    const headers: Record<string, string> = { ...opts.headers, ...traceHeaders(), connection: 'close' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise<VaultResponse>((resolve, reject) => {
      const reqOpts: https.RequestOptions = {
        method,
        headers,
        agent: false,
        signal: opts.signal,
        timeout: opts.timeoutMs ?? 15_000,
        ...(isHttps ? this.#tlsOpts : {}),
      };
      const req = (isHttps ? https : http).request(url, reqOpts, (res) => {
        const location = res.headers.location;
        const next = location ? new URL(location, url) : undefined;
        // Never from TLS to plain HTTP: the token travels with the request.
        const safe = next !== undefined && (url.protocol === 'http:' || next.protocol === 'https:');
        if ((res.statusCode === 307 || res.statusCode === 308) && safe && hops < 3) {
          res.resume();
          resolve(this.request(method, next.href, opts, hops + 1));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          // 32 MiB, the limit KES applies to a Vault LIST response.
          if (size > 32 << 20) req.destroy(new VaultNetworkError('vault: response too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', (e) => reject(new VaultNetworkError(`vault: ${e.message}`)));
      });
      req.on('timeout', () => req.destroy(new VaultNetworkError('vault: request timed out')));
      req.on('error', (e) =>
        reject(e instanceof VaultNetworkError ? e : new VaultNetworkError(`vault: ${e.message}`)),
      );
      req.end(payload);
    });
  }
}

/** The first entry of Vault's `{"errors":[…]}` body, for logs. */
export function vaultErrorText(r: VaultResponse): string {
  const errs = (r.body as { errors?: unknown } | undefined)?.errors;
  const first = Array.isArray(errs) && typeof errs[0] === 'string' ? errs[0] : '';
  return `vault: ${r.status}${first ? `: ${first}` : ''}`;
}
