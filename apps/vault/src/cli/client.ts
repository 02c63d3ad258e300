// The HTTP client the CLI uses: where the server is and how to trust it come from the HTTP flags
// every client command takes (-address, -ca-cert, -ca-path, -client-cert, -client-key,
// -tls-server-name, -tls-skip-verify, -namespace), else from VAULT_ADDR, VAULT_CACERT,
// VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY,
// VAULT_NAMESPACE; the token from VAULT_TOKEN, else ~/.vault-token. Sends X-Vault-Request like
// Go's api.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setting } from './http-flags.js';

export interface ApiResponse {
  status: number;
  /** Parsed JSON body, or undefined for empty/non-JSON bodies. */
  json: Record<string, unknown> | undefined;
  text: string;
}

/** A request that reached the server and got a status ≥ 400. */
export class ApiError extends Error {
  readonly method: string;
  readonly url: string;
  readonly response: ApiResponse;
  constructor(method: string, url: string, response: ApiResponse) {
    super(`Error making API request.`);
    this.method = method;
    this.url = url;
    this.response = response;
  }

  get errors(): string[] | undefined {
    const e = this.response.json?.['errors'];
    return Array.isArray(e) ? e.map(String) : undefined;
  }

  /** Vault's multi-line rendering of the failure. */
  render(namespace?: string): string {
    const lines = ['Error making API request.', ''];
    if (namespace) lines.push(`Namespace: ${namespace}`);
    lines.push(`URL: ${this.method} ${this.url}`);
    const errs = this.errors;
    if (errs) {
      lines.push(`Code: ${this.response.status}. Errors:`, '');
      for (const e of errs) lines.push(`* ${e}`);
    } else {
      lines.push(`Code: ${this.response.status}. Raw Message:`, '', this.response.text);
    }
    return lines.join('\n');
  }
}

/** The server could not be reached (Go's `Put "url": dial tcp …` shape). */
export class TransportError extends Error {}

export const tokenHelperPath = (): string => join(process.env['HOME'] ?? homedir(), '.vault-token');

export function resolveToken(): string | undefined {
  const env = process.env['VAULT_TOKEN'];
  if (env) return env;
  try {
    const t = readFileSync(tokenHelperPath(), 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

const truthy = (v: string | undefined) =>
  v !== undefined && ['1', 'true', 't', 'yes'].includes(v.toLowerCase());

/** Every PEM certificate in the files of a directory (VAULT_CAPATH), as Vault loads a CA path. */
function caPathCerts(dir: string): Buffer[] {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f))
    .filter((b) => b.includes('-----BEGIN CERTIFICATE-----'));
}

/** Go's wording for the TLS verification failures Node reports by code. */
function tlsReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${err.message}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return err.message;
  }
}

export class VaultClient {
  readonly addr: string;
  token: string | undefined;
  readonly namespace: string | undefined;
  readonly #agent: http.Agent;

  constructor() {
    this.addr = (setting('address') || 'https://127.0.0.1:8200').replace(/\/+$/, '');
    this.token = resolveToken();
    this.namespace = setting('namespace');
    const cacert = setting('ca-cert');
    const capath = setting('ca-path');
    const cert = setting('client-cert');
    const key = setting('client-key');
    const servername = setting('tls-server-name');
    // -ca-cert wins over -ca-path, as in Vault.
    const ca = cacert ? readFileSync(cacert) : capath ? caPathCerts(capath) : undefined;
    this.#agent = this.addr.startsWith('https:')
      ? new https.Agent({
          keepAlive: false,
          rejectUnauthorized: !truthy(setting('tls-skip-verify')),
          ...(ca ? { ca } : {}),
          ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
          ...(servername ? { servername } : {}),
        })
      : new http.Agent({ keepAlive: false });
  }

  url(path: string, query?: Record<string, string>): string {
    const q = query && Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
    return `${this.addr}/v1/${path.replace(/^\/+/, '')}${q}`;
  }

  /** Sends a request; resolves for any status < 400, rejects with ApiError or TransportError. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<ApiResponse> {
    const res = await this.raw(method, path, body, query);
    if (res.status >= 400) throw new ApiError(method, this.url(path, query), res);
    return res;
  }

  raw(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<ApiResponse> {
    const url = new URL(this.url(path, query));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'X-Vault-Request': 'true' };
    if (this.token) headers['X-Vault-Token'] = this.token;
    if (this.namespace) headers['X-Vault-Namespace'] = this.namespace;
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    return this.#send(method, url, headers, payload, 0);
  }

  /**
   * One request; a 307/308 (an HA standby pointing at the active node) is sent again to its
   * `Location` with the same method, headers and body, as Vault's Go client does — up to 3 hops,
   * only to the same scheme (the token must not leave TLS).
   */
  #send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    hops: number,
  ): Promise<ApiResponse> {
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.#agent }, (res) => {
        const location = res.headers.location;
        const next = location ? new URL(location, url) : undefined;
        if (
          (res.statusCode === 307 || res.statusCode === 308) &&
          next?.protocol === url.protocol &&
          hops < 3
        ) {
          res.resume();
          resolve(this.#send(method, next, headers, payload, hops + 1));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const goMethod = method.charAt(0) + method.slice(1).toLowerCase();
        const host = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
        const why =
          err.code === 'ECONNREFUSED'
            ? `dial tcp ${host}: connect: connection refused`
            : err.code === 'ENOTFOUND'
              ? `dial tcp: lookup ${url.hostname}: no such host`
              : tlsReason(err);
        reject(new TransportError(`${goMethod} "${url.toString()}": ${why}`));
      });
      req.end(payload);
    });
  }
}
