// Master keys in a Vault KV engine, reached with an AppRole token (docs/kes-protocol.md#vault-keystore).
import { readFile } from 'node:fs/promises';
import type { VaultKeystoreConfig } from '../../config/types.js';
import {
  KeyExistsError,
  KeyNotFoundError,
  type Keystore,
  type KeystoreState,
  KeystoreUnavailableError,
} from '../keystore.js';
import { RETRY_BUDGET_MS, VaultEndpoints } from './endpoints.js';
import { VaultNetworkError, type VaultResponse, vaultErrorText } from './http.js';

const healthQuery =
  '/v1/sys/health?uninitcode=299&sealedcode=299&standbycode=299&drsecondarycode=299&performancestandbycode=299';

export interface VaultKeystoreOptions {
  /** Receives background events (login failures, renewals, seal changes) for the error log. */
  log?: (message: string) => void;
  /** How long a call keeps retrying failed Vault nodes (default 10 s; docs/kes-protocol.md#vault-endpoints). */
  retryBudgetMs?: number;
}

interface Token {
  value: string;
  ttlMs: number;
  renewable: boolean;
}

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/**
 * KV v1 or v2 at `<engine>/<prefix>/<name>` with the key's value under field `<name>`
 * (docs/kes-protocol.md#kv-layout).
 * Authentication: AppRole login, renewal at 80 % of the TTL (renew-self, 3 tries, stopping on 4xx),
 * re-login when not renewable or renewal fails, failed logins retried every `approle.retry`.
 * A health loop every `status.ping` tracks whether Vault is sealed; while sealed every operation
 * fails at once and renewal pauses. An operation that finds no token (Vault was down at start) or
 * gets 403 (token expired while Vault was away) logs in once more before giving up, so a Vault
 * that comes back is used again without restarting KES.
 */
export class VaultKeystore implements Keystore {
  readonly #cfg: VaultKeystoreConfig;
  readonly #vault: VaultEndpoints;
  readonly #log: (m: string) => void;
  readonly #retryBudgetMs: number;
  /** Since when the health loop has found no usable Vault node (undefined while one answers). */
  #downSince: number | undefined;
  #token: Token | undefined;
  #login: Promise<Token> | undefined;
  #sealed = false;
  #closed = false;
  #renewTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #lastRelogin = 0;

  constructor(cfg: VaultKeystoreConfig, opts: VaultKeystoreOptions = {}) {
    this.#cfg = cfg;
    this.#vault = new VaultEndpoints(cfg.endpoints, cfg.tls);
    this.#log = opts.log ?? (() => undefined);
    this.#retryBudgetMs = opts.retryBudgetMs ?? RETRY_BUDGET_MS;
  }

  /** Logs in (retrying in the background on failure) and starts the health loop. Never throws. */
  async start(): Promise<void> {
    this.#schedulePing(0);
    try {
      await this.#ensureToken();
    } catch (err) {
      this.#log(
        `vault: login failed: ${(err as Error).message}; retrying every ${this.#cfg.approle.retryMs} ms`,
      );
      this.#scheduleLoginRetry();
    }
  }

  /** True while the last health probe said Vault is sealed. */
  get isSealed(): boolean {
    return this.#sealed;
  }

  // ---- authentication -------------------------------------------------------------------------

  #nsHeaders(): Record<string, string> {
    return this.#cfg.namespace ? { 'X-Vault-Namespace': this.#cfg.namespace } : {};
  }

  #loginHeaders(): Record<string, string> {
    const ns = this.#cfg.kubernetes ? this.#cfg.kubernetes.namespace : this.#cfg.approle.namespace;
    if (ns === '/') return {};
    if (ns) return { 'X-Vault-Namespace': ns };
    return this.#nsHeaders();
  }

  #ensureToken(): Promise<Token> {
    if (this.#token) return Promise.resolve(this.#token);
    return this.#doLogin();
  }

  #doLogin(): Promise<Token> {
    this.#login ??= (async () => {
      const k8s = this.#cfg.kubernetes;
      const engine = trimSlashes(k8s ? k8s.engine || 'kubernetes' : this.#cfg.approle.engine || 'approle');
      let body: Record<string, string>;
      if (k8s) {
        // A service-account token file is re-read at every login: Kubernetes rotates it.
        const jwt = k8s.jwt.includes('/') ? (await readFile(k8s.jwt, 'utf8')).trim() : k8s.jwt;
        body = { role: k8s.role, jwt };
      } else body = { role_id: this.#cfg.approle.id, secret_id: this.#cfg.approle.secret };
      const r = await this.#vault.request('PUT', `/v1/auth/${engine}/login`, {
        body,
        headers: this.#loginHeaders(),
        budgetMs: this.#budget(),
      });
      const auth = (r.body as { auth?: Record<string, unknown> } | undefined)?.auth;
      if (r.status !== 200 || !auth || typeof auth.client_token !== 'string') {
        throw new KeystoreUnavailableError(`${k8s ? 'kubernetes' : 'approle'} login: ${vaultErrorText(r)}`);
      }
      const token: Token = {
        value: auth.client_token,
        ttlMs: (typeof auth.lease_duration === 'number' ? auth.lease_duration : 0) * 1000,
        renewable: auth.renewable === true,
      };
      this.#token = token;
      this.#scheduleRenew(token);
      return token;
    })().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  #scheduleLoginRetry(): void {
    if (this.#closed) return;
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(
      () => {
        this.#doLogin().catch((err: Error) => {
          this.#log(`vault: login failed: ${err.message}`);
          this.#scheduleLoginRetry();
        });
      },
      (this.#cfg.kubernetes?.retryMs ?? this.#cfg.approle.retryMs) || 5000,
    ).unref();
  }

  #scheduleRenew(token: Token): void {
    if (this.#closed) return;
    clearTimeout(this.#renewTimer);
    if (token.ttlMs === 0) return; // a token without TTL never expires
    // Below 30 s of TTL renewals would pile up; log in again in a 3 s rhythm instead (KES HEAD).
    const wait = token.ttlMs < 30_000 ? Math.min(3000, token.ttlMs * 0.8) : token.ttlMs * 0.8;
    this.#renewTimer = setTimeout(() => void this.#renew(token), wait).unref();
  }

  async #renew(token: Token): Promise<void> {
    if (this.#closed) return;
    if (this.#sealed) {
      this.#renewTimer = setTimeout(() => void this.#renew(token), 1000).unref();
      return;
    }
    if (token.renewable && token.ttlMs >= 30_000) {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const r = await this.#vault.request('PUT', '/v1/auth/token/renew-self', {
            body: { increment: 0 },
            headers: { ...this.#nsHeaders(), 'X-Vault-Token': token.value },
            budgetMs: this.#budget(),
          });
          const auth = (r.body as { auth?: Record<string, unknown> } | undefined)?.auth;
          if (r.status === 200 && auth) {
            const renewed: Token = {
              value: token.value,
              ttlMs: (typeof auth.lease_duration === 'number' ? auth.lease_duration : 0) * 1000,
              renewable: auth.renewable === true,
            };
            if (this.#token === token) this.#token = renewed;
            this.#scheduleRenew(renewed);
            return;
          }
          if (r.status >= 400 && r.status < 500) break;
        } catch {
          // network trouble: try again, then fall back to a new login
        }
      }
    }
    try {
      await this.#doLogin();
    } catch (err) {
      this.#log(`vault: re-login failed: ${(err as Error).message}`);
      this.#scheduleLoginRetry();
    }
  }

  // ---- health ---------------------------------------------------------------------------------

  #schedulePing(delay: number): void {
    if (this.#closed || this.#cfg.pingMs <= 0) return;
    this.#pingTimer = setTimeout(async () => {
      await this.status();
      this.#schedulePing(this.#cfg.pingMs);
    }, delay).unref();
  }

  async status(signal?: AbortSignal): Promise<KeystoreState> {
    const start = performance.now();
    try {
      // The first node that is up, initialised and unsealed becomes the one calls go to; when
      // none is, the answer of the last one tells why.
      const r = await this.#vault.request('GET', healthQuery, {
        signal,
        timeoutMs: 10_000,
        budgetMs: 0,
        accept: (res) => {
          const b = (res.body ?? {}) as { initialized?: unknown; sealed?: unknown };
          return res.status < 500 && b.sealed !== true && b.initialized !== false;
        },
      });
      const latencyMs = Math.round(performance.now() - start);
      const body = (r.body ?? {}) as { initialized?: unknown; sealed?: unknown };
      const wasSealed = this.#sealed;
      this.#sealed = body.sealed === true;
      if (wasSealed !== this.#sealed) this.#log(this.#sealed ? 'vault: sealed' : 'vault: unsealed');
      if (body.initialized === false) {
        return this.#down({
          latencyMs,
          reachable: false,
          unavailable: true,
          reason: 'vault is not initialized',
        });
      }
      if (this.#sealed)
        return this.#down({ latencyMs, reachable: false, unavailable: true, reason: 'vault is sealed' });
      if (r.status >= 500 && r.status !== 299) {
        return this.#down({ latencyMs, reachable: false, unavailable: true, reason: vaultErrorText(r) });
      }
      this.#downSince = undefined;
      return { latencyMs, reachable: true };
    } catch (err) {
      return this.#down({ latencyMs: 0, reachable: false, reason: (err as Error).message });
    }
  }

  #down(state: KeystoreState): KeystoreState {
    this.#downSince ??= Date.now();
    return state;
  }

  /**
   * The retry budget of a call: the full one while Vault may be failing over or restarting, none
   * once the health loop has seen no usable node for longer than that (a long outage answers at
   * once, as upstream KES does, instead of making every uncached request wait).
   */
  #budget(): number {
    const down = this.#downSince;
    return down !== undefined && Date.now() - down > this.#retryBudgetMs ? 0 : this.#retryBudgetMs;
  }

  // ---- KV -------------------------------------------------------------------------------------

  #path(kind: 'data' | 'metadata' | undefined, name?: string): string {
    const parts = [trimSlashes(this.#cfg.engine || 'kv')];
    if (kind) parts.push(kind);
    const prefix = trimSlashes(this.#cfg.prefix);
    if (prefix) parts.push(prefix);
    if (name !== undefined) parts.push(encodeURIComponent(name));
    return `/v1/${parts.join('/')}`;
  }

  /** Sends an authenticated request; maps network errors, sealed state and 5xx to unavailable. */
  async #call(
    method: string,
    path: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<VaultResponse> {
    if (this.#sealed) throw new KeystoreUnavailableError('vault is sealed');
    try {
      let token = await this.#ensureToken();
      let r = await this.#vault.request(method, path, {
        body,
        signal,
        headers: { ...this.#nsHeaders(), 'X-Vault-Token': token.value },
        budgetMs: this.#budget(),
      });
      if (r.status === 403 && Date.now() - this.#lastRelogin > 5000) {
        // The token may have expired or been revoked while Vault was away: log in once more.
        this.#lastRelogin = Date.now();
        this.#token = undefined;
        token = await this.#doLogin();
        r = await this.#vault.request(method, path, {
          body,
          signal,
          headers: { ...this.#nsHeaders(), 'X-Vault-Token': token.value },
          budgetMs: this.#budget(),
        });
      }
      if (r.status === 503) {
        const errText = vaultErrorText(r);
        if (/sealed/i.test(errText) && !this.#sealed) {
          this.#sealed = true;
          this.#log('vault: sealed');
        }
        throw new KeystoreUnavailableError(errText);
      }
      return r;
    } catch (err) {
      if (err instanceof KeystoreUnavailableError) throw err;
      if (err instanceof VaultNetworkError) throw new KeystoreUnavailableError(err.message, err);
      throw new KeystoreUnavailableError(`vault: ${(err as Error).message}`, err);
    }
  }

  #isV2(): boolean {
    return this.#cfg.version === 'v2';
  }

  async create(name: string, value: string, signal?: AbortSignal): Promise<void> {
    const v2 = this.#isV2();
    const path = this.#path(v2 ? 'data' : undefined, name);
    const existing = await this.#call('GET', path, signal);
    if (existing.status === 200 && this.#hasValue(existing, name)) throw new KeyExistsError(name);
    if (existing.status !== 200 && existing.status !== 404) {
      throw new KeystoreUnavailableError(vaultErrorText(existing));
    }
    const body = v2 ? { options: { cas: 0 }, data: { [name]: value } } : { [name]: value };
    const r = await this.#call('PUT', path, signal, body);
    if (r.status === 200 || r.status === 204) return;
    if (v2 && r.status === 400 && /check-and-set/i.test(vaultErrorText(r))) throw new KeyExistsError(name);
    throw new KeystoreUnavailableError(vaultErrorText(r));
  }

  #hasValue(r: VaultResponse, name: string): boolean {
    return this.#value(r, name) !== undefined;
  }

  #value(r: VaultResponse, name: string): string | undefined {
    const data = (r.body as { data?: Record<string, unknown> | null } | undefined)?.data;
    const fields = this.#isV2() ? (data?.data as Record<string, unknown> | null | undefined) : data;
    const v = fields?.[name];
    return typeof v === 'string' ? v : undefined;
  }

  async get(name: string, signal?: AbortSignal): Promise<string> {
    const v2 = this.#isV2();
    const path = this.#path(v2 ? 'data' : undefined, name) + (v2 ? '?version=1' : '');
    const r = await this.#call('GET', path, signal);
    if (r.status === 404) throw new KeyNotFoundError(name);
    if (r.status !== 200) throw new KeystoreUnavailableError(vaultErrorText(r));
    const v = this.#value(r, name);
    // A v2 secret whose versions were deleted reads as 200 with data null.
    if (v === undefined) {
      if (v2) throw new KeyNotFoundError(name);
      throw new KeystoreUnavailableError(`vault: entry for key '${name}' has no field '${name}'`);
    }
    return v;
  }

  async delete(name: string, signal?: AbortSignal): Promise<void> {
    const r = await this.#call('DELETE', this.#path(this.#isV2() ? 'metadata' : undefined, name), signal);
    if (r.status === 200 || r.status === 204 || r.status === 404) return;
    throw new KeystoreUnavailableError(vaultErrorText(r));
  }

  async list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.#call(
      'GET',
      `${this.#path(this.#isV2() ? 'metadata' : undefined)}?list=true`,
      signal,
    );
    if (r.status === 404) return [];
    if (r.status !== 200) throw new KeystoreUnavailableError(vaultErrorText(r));
    const keys = (r.body as { data?: { keys?: unknown } } | undefined)?.data?.keys;
    if (!Array.isArray(keys)) return [];
    return keys
      .filter((k): k is string => typeof k === 'string' && !k.endsWith('/') && k.startsWith(prefix))
      .sort();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#pingTimer);
  }
}
