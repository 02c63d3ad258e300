// The core: seal state, mount tables, the token check and ACL on every request, and routing to
// engines. Engines see only BackendRequest; the HTTP layer sees only Core.
import { randomBytes } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import { zeroize } from '@kms-chain/crypto';
import { BACKEND_FACTORIES, type BackendDeps } from './backends.js';
import { Barrier } from './barrier.js';
import {
  badRequest,
  internalError,
  noHandler,
  permissionDenied,
  ROOT_FROM_AUTH,
  sealedError,
  VaultError,
} from './errors.js';
import { int, normalizePolicies } from './fields.js';
import { newUuid, randomHex } from './ids.js';
import { AUTH_PATH, defaultAuths, defaultMounts, MOUNTS_PATH, type MountEntry } from './mounts.js';
import { PolicyStore } from './policies.js';
import {
  decodeUnsealKey,
  openRootKey,
  readSealConfig,
  type SealConfig,
  splitKey,
  UnsealProgress,
  validateSealConfig,
  writeSeal,
} from './seal.js';
import type { Storage } from './storage/storage.js';
import { Telemetry } from './telemetry.js';
import { type TokenEntry, TokenStore } from './tokens.js';
import {
  type Backend,
  type BackendRequest,
  isWrite,
  type LogicalRequest,
  type LogicalResponse,
  type LoginAuth,
  type RawBody,
} from './types.js';
import { BUILD_DATE, VAULT_VERSION } from './version.js';
import { BarrierView, checkKey } from './view.js';

export interface CoreOptions {
  storage: Storage;
  /** Seconds. */
  defaultLeaseTtl: number;
  /** Seconds. */
  maxLeaseTtl: number;
  clusterName?: string;
  /** Operational log lines (never secrets). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Where timings and gauges go (sys/metrics); a fresh one without the Prometheus format by default. */
  telemetry?: Telemetry;
}

/** Paths that additionally need `sudo` (docs/vault.md#operations-and-capabilities). */
const ROOT_PATHS = [
  /^sys\/auth\/.+/,
  /^sys\/seal$/,
  /^sys\/rotate$/,
  /^sys\/audit/,
  /^sys\/raw/,
  /^sys\/remount/,
];

const CLUSTER_INFO = 'core/cluster/local/info';
/** How often expired tokens are revoked from storage. */
const SWEEP_INTERVAL_MS = 60_000;

export class Core {
  readonly storage: Storage;
  readonly barrier: Barrier;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  readonly options: CoreOptions;
  readonly telemetry: Telemetry;
  readonly #progress = new UnsealProgress();
  #sealConfig: SealConfig | undefined;
  #mounts: MountEntry[] = [];
  #auths: MountEntry[] = [];
  #backends = new Map<string, Backend>();
  #cluster: { name: string; id: string } | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Serialises init/unseal/seal so concurrent calls cannot interleave state changes. */
  #lock: Promise<unknown> = Promise.resolve();
  readonly #mountLock = new KeyedLock();
  readonly #backendDeps: BackendDeps;

  constructor(options: CoreOptions) {
    this.options = options;
    this.storage = options.storage;
    this.telemetry = options.telemetry ?? new Telemetry();
    this.barrier = new Barrier(options.storage, this.telemetry);
    this.tokens = new TokenStore(this.barrier, {
      defaultTtl: options.defaultLeaseTtl,
      maxTtl: options.maxLeaseTtl,
    });
    this.policies = new PolicyStore(this.barrier);
    this.#backendDeps = {
      defaultLeaseTtl: options.defaultLeaseTtl,
      maxLeaseTtl: this.tokens.maxTtl,
      tokenOwner: (entry) => this.tokens.hash(entry.accessor),
      system: this,
      tokenStore: this,
    };
    this.#registerGauges();
  }

  /** Vault's core gauges, read at each scrape (docs/vault.md#metrics). */
  #registerGauges(): void {
    const t = this.telemetry;
    t.gauge(['core', 'unsealed'], 'Whether Vault is unsealed (1) or sealed (0).', () =>
      this.isSealed() ? 0 : 1,
    );
    // Without HA every unsealed node is the active one.
    t.gauge(['core', 'active'], 'Whether this node is the active one (1).', () => (this.isSealed() ? 0 : 1));
    t.gauge(['token', 'count'], 'Service tokens in the token store.', async () =>
      this.isSealed() ? 0 : this.tokens.count(),
    );
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  isSealed(): boolean {
    return this.barrier.isSealed();
  }

  async sealConfig(): Promise<SealConfig | undefined> {
    this.#sealConfig ??= await readSealConfig(this.storage);
    return this.#sealConfig;
  }

  async isInitialized(): Promise<boolean> {
    return (await this.sealConfig()) !== undefined;
  }

  get cluster(): { name: string; id: string } | undefined {
    return this.#cluster;
  }

  get mounts(): readonly MountEntry[] {
    return this.#mounts;
  }

  get auths(): readonly MountEntry[] {
    return this.#auths;
  }

  /** PUT sys/init: new root key, keyring, KEK shares, root token; leaves the vault sealed. */
  init(shares: number, threshold: number): Promise<{ keys: Buffer[]; rootToken: string }> {
    return this.#serial(async () => {
      if (await this.isInitialized()) throw badRequest('Vault is already initialized');
      validateSealConfig(shares, threshold);
      const rootKey = randomBytes(32);
      try {
        await this.barrier.initialize(rootKey);
        await this.barrier.putJson(MOUNTS_PATH, defaultMounts());
        await this.barrier.putJson(AUTH_PATH, defaultAuths());
        await this.barrier.putJson(CLUSTER_INFO, {
          name: this.options.clusterName || `vault-cluster-${randomHex(4)}`,
          id: newUuid(),
        });
        await this.#postUnseal();
        const { entry } = await this.tokens.create({
          policies: ['root'],
          path: 'auth/token/root',
          displayName: 'root',
          orphan: true,
        });
        const kek = await writeSeal(this.storage, shares, threshold, rootKey);
        await this.barrier.put('core/shamir-kek', kek);
        const keys = splitKey(kek, shares, threshold);
        zeroize(kek);
        this.#sealConfig = undefined;
        this.#log(
          'info',
          `core: security barrier initialized: stored=1 shares=${shares} threshold=${threshold}`,
        );
        return { keys, rootToken: entry.id };
      } finally {
        this.#preSeal();
        zeroize(rootKey);
      }
    });
  }

  /** PUT sys/unseal with a key or reset; returns nothing, callers read sealStatus(). */
  unseal(key: string | undefined, reset: boolean): Promise<void> {
    return this.#serial(async () => {
      const config = await this.sealConfig();
      if (reset) {
        if (!config) throw badRequest('Vault is not initialized');
        if (!this.isSealed()) throw badRequest('vault is unsealed');
        this.#progress.reset();
        return;
      }
      if (key === undefined || key === '')
        throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
      if (!config) throw badRequest('Vault is not initialized');
      const share = decodeUnsealKey(key);
      if (!this.isSealed()) return;
      let kek: Buffer | undefined;
      try {
        kek = this.#progress.add(share, config.secret_threshold);
      } finally {
        zeroize(share);
      }
      if (!kek) return;
      try {
        const rootKey = await openRootKey(this.storage, kek);
        try {
          await this.barrier.unseal(rootKey);
        } finally {
          zeroize(rootKey);
        }
        await this.#postUnseal();
        this.#log('info', 'core: vault is unsealed');
      } catch (err) {
        this.#log(
          'error',
          `core: unseal failed: ${err instanceof VaultError ? err.errors[0] : 'internal error'}`,
        );
        throw err;
      } finally {
        zeroize(kek);
      }
    });
  }

  /** PUT sys/seal (or shutdown): drop keys and every cache. */
  seal(): Promise<void> {
    return this.#serial(async () => {
      if (!this.isSealed()) this.#log('info', 'core: vault is sealed');
      this.#preSeal();
    });
  }

  async #postUnseal(): Promise<void> {
    try {
      this.#mounts = (await this.barrier.getJson<MountEntry[]>(MOUNTS_PATH)) ?? defaultMounts();
      this.#auths = (await this.barrier.getJson<MountEntry[]>(AUTH_PATH)) ?? defaultAuths();
      this.#cluster = await this.barrier.getJson(CLUSTER_INFO);
      await this.tokens.setup();
      await this.policies.setup();
      this.#backends = new Map();
      for (const m of [...this.#mounts, ...this.#auths]) this.#mountBackend(m);
      this.tokens.onRevoke = async (entry) => {
        const cubby = this.#mounts.find((m) => m.type === 'cubbyhole');
        if (cubby)
          await new BarrierView(
            this.barrier,
            `logical/${cubby.uuid}/${this.#backendDeps.tokenOwner(entry)}/`,
          ).clear();
      };
      this.#sweeper = setInterval(() => {
        this.tokens.sweepExpired().catch((err) => {
          if (!this.isSealed()) this.#log('warn', `expiration: sweep failed: ${(err as Error).message}`);
        });
      }, SWEEP_INTERVAL_MS);
      this.#sweeper.unref();
    } catch (err) {
      this.#preSeal();
      throw err;
    }
  }

  #preSeal(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.tokens.onRevoke = undefined;
    this.barrier.seal();
    this.tokens.reset();
    this.policies.reset();
    this.#progress.reset();
    this.#backends.clear();
    this.#mounts = [];
    this.#auths = [];
    this.#cluster = undefined;
  }

  #mountBackend(m: MountEntry): void {
    const factory = BACKEND_FACTORIES.get(m.type);
    if (!factory) return;
    const view = new BarrierView(this.barrier, m.table === 'auth' ? `auth/${m.uuid}/` : `logical/${m.uuid}/`);
    this.#backends.set(m.table === 'auth' ? `auth/${m.path}` : m.path, factory(view, m, this.#backendDeps));
  }

  /**
   * Runs a mount-table change (check for conflicts, then add, remove or tune) with no other
   * change in between, so two parallel mounts of one path cannot both pass the check and no
   * table write overwrites another's entry.
   */
  changeMounts<T>(fn: () => Promise<T>): Promise<T> {
    return this.#mountLock.run('mounts', fn);
  }

  /** Adds a mount (secrets or auth) and persists its table. Call inside changeMounts. */
  async addMount(m: MountEntry): Promise<void> {
    const table = m.table === 'auth' ? this.#auths : this.#mounts;
    const next = [...table, m];
    await this.barrier.putJson(m.table === 'auth' ? AUTH_PATH : MOUNTS_PATH, next);
    if (m.table === 'auth') this.#auths = next;
    else this.#mounts = next;
    this.#mountBackend(m);
  }

  /** Removes a mount and deletes its data; unknown paths are a no-op. */
  async removeMount(table: 'mounts' | 'auth', path: string): Promise<void> {
    const list = table === 'auth' ? this.#auths : this.#mounts;
    const m = list.find((e) => e.path === path);
    if (!m) return;
    if (m.type === 'system' || m.type === 'cubbyhole' || m.type === 'identity' || m.type === 'token')
      throw badRequest(`cannot unmount "${path}"`);
    const next = list.filter((e) => e !== m);
    await this.barrier.putJson(table === 'auth' ? AUTH_PATH : MOUNTS_PATH, next);
    if (table === 'auth') this.#auths = next;
    else this.#mounts = next;
    this.#backends.delete(table === 'auth' ? `auth/${m.path}` : m.path);
    await new BarrierView(this.barrier, table === 'auth' ? `auth/${m.uuid}/` : `logical/${m.uuid}/`).clear();
  }

  async updateMountConfig(m: MountEntry, config: MountEntry['config']): Promise<void> {
    m.config = config;
    await this.barrier.putJson(
      m.table === 'auth' ? AUTH_PATH : MOUNTS_PATH,
      m.table === 'auth' ? this.#auths : this.#mounts,
    );
  }

  /** The seal-status object (also the body of every unseal response). */
  async sealStatus(): Promise<Record<string, unknown>> {
    const config = await this.sealConfig();
    const sealed = this.isSealed();
    const status: Record<string, unknown> = {
      type: 'shamir',
      initialized: config !== undefined,
      sealed,
      t: config?.secret_threshold ?? 0,
      n: config?.secret_shares ?? 0,
      progress: sealed ? this.#progress.progress : 0,
      nonce: sealed ? this.#progress.nonce : '',
      version: VAULT_VERSION,
      build_date: BUILD_DATE,
      migration: false,
      recovery_seal: false,
      storage_type: this.storage.type,
    };
    if (!sealed && this.#cluster) {
      status['cluster_name'] = this.#cluster.name;
      status['cluster_id'] = this.#cluster.id;
    }
    return status;
  }

  async health(): Promise<Record<string, unknown>> {
    const initialized = await this.isInitialized();
    const sealed = this.isSealed();
    const body: Record<string, unknown> = {
      initialized,
      sealed,
      standby: false,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(Date.now() / 1000),
      version: VAULT_VERSION,
    };
    if (!sealed && this.#cluster) {
      body['cluster_name'] = this.#cluster.name;
      body['cluster_id'] = this.#cluster.id;
    }
    return body;
  }

  /** Finds the engine for a path: [backend, mount path, relative path]. */
  #route(path: string): [Backend, string, string] | undefined {
    let best: string | undefined;
    const withSlash = path.endsWith('/') ? path : `${path}/`;
    for (const key of this.#backends.keys()) {
      if ((path.startsWith(key) || withSlash === key) && (!best || key.length > best.length)) best = key;
    }
    if (!best) return undefined;
    return [this.#backends.get(best)!, best, path.length >= best.length ? path.slice(best.length) : ''];
  }

  /**
   * Whether a token may perform `op` on `path` with request `data` (root short-circuits). `data`
   * is what the engine will see — the JSON body of a write, the query parameters of a read — and
   * is checked against the winning rule's required, denied and allowed parameters.
   */
  async isAllowed(
    entry: TokenEntry,
    op: BackendRequest['operation'],
    path: string,
    data: Record<string, unknown>,
  ): Promise<boolean> {
    if (entry.policies.includes('root')) return true;
    const acl = await this.policies.aclFor(entry.policies);
    const sudo = ROOT_PATHS.some((r) => r.test(path));
    return acl.isAllowed(op, path, { sudo, params: data });
  }

  async capabilities(entry: TokenEntry, path: string): Promise<string[]> {
    if (entry.policies.includes('root')) return ['root'];
    const acl = await this.policies.aclFor(entry.policies);
    return acl.capabilities(path);
  }

  /** sys/metrics (docs/vault.md#metrics). */
  metrics(format: string): Promise<RawBody> {
    return this.telemetry.respond(format);
  }

  /** Every logical request: sealed check, routing, token (one use spent), ACL, engine. */
  async handle(req: LogicalRequest): Promise<LogicalResponse | null> {
    const spent: { lastUseOf?: TokenEntry; login?: boolean } = {};
    const start = performance.now();
    try {
      return await this.#handle(req, spent);
    } finally {
      const key = spent.login ? 'handle_login_request' : 'handle_request';
      this.telemetry.sample(['core', key], performance.now() - start);
      // The token's last use: the request has run, now the token goes (Vault, too, revokes after
      // the request). It is already dead to every other request; the sweep retries a failure.
      if (spent.lastUseOf) {
        await this.tokens.revoke(spent.lastUseOf).catch((err: unknown) => {
          this.#log('warn', `token: revoking a used-up token failed: ${(err as Error).message}`);
        });
      }
    }
  }

  async #handle(
    req: LogicalRequest,
    spent: { lastUseOf?: TokenEntry; login?: boolean },
  ): Promise<LogicalResponse | null> {
    if (this.isSealed()) throw sealedError();
    checkKey(req.path);
    const route = this.#route(req.path);
    const [backend, mountPath, rel] = route ?? [undefined, '', ''];
    const breq: BackendRequest = {
      operation: req.operation,
      path: rel,
      data: req.data,
      mountPath,
      clientAddr: req.clientAddr,
      contentType: req.contentType,
    };
    if (backend?.isUnauthenticated?.(rel)) {
      spent.login = true;
      return this.#dispatch(backend, breq);
    }
    // The use is spent before anything else runs, atomically, so parallel requests cannot share
    // one; a token with none left is 403. A denied request spends its use too, as in Vault.
    const { entry, last } = await this.tokens.use(req.token);
    if (last) spent.lastUseOf = entry;
    breq.tokenEntry = entry;
    if (backend && isWrite(req.operation)) {
      const exists = backend.existence ? await backend.existence(breq) : undefined;
      breq.operation = exists === undefined || exists ? 'update' : 'create';
    }
    // sys/internal/ui/mounts is open to every valid token, as in Vault (the CLI's kv needs it).
    const isUiMounts = req.path.startsWith('sys/internal/ui/mounts/') && req.operation === 'read';
    if (!isUiMounts && !(await this.isAllowed(entry, breq.operation, req.path, breq.data)))
      throw permissionDenied();
    if (!backend) {
      if (req.path.startsWith('identity/')) throw new VaultError(404, ['unsupported path']);
      throw noHandler(req.path);
    }
    return this.#dispatch(backend, breq);
  }

  async #dispatch(backend: Backend, req: BackendRequest): Promise<LogicalResponse | null> {
    let res = await backend.handle(req);
    if (res?.login) res = await this.#issueLoginToken(req, res, res.login);
    if (res && !res.mountType) {
      const m = [...this.#mounts, ...this.#auths].find((e) =>
        e.table === 'auth' ? `auth/${e.path}` === req.mountPath : e.path === req.mountPath,
      );
      res.mountType = m?.type ?? '';
    }
    return res;
  }

  /**
   * Turns an auth method's login description into a token (Vault's handleLoginRequest): the one
   * place where logins become tokens, so no auth method, present or future, can issue root.
   * Auth-method tokens are orphans, renewable, named after the login path.
   */
  async #issueLoginToken(
    req: BackendRequest,
    res: LogicalResponse,
    login: LoginAuth,
  ): Promise<LogicalResponse> {
    const mount = this.#auths.find((a) => `auth/${a.path}` === req.mountPath);
    if (!mount || mount.type === 'token') throw internalError();
    const policies = normalizePolicies([...login.policies, ...(login.noDefaultPolicy ? [] : ['default'])]);
    if (policies.includes('root')) throw badRequest(ROOT_FROM_AUTH);
    const { entry, warnings } = await this.tokens.create({
      policies,
      path: `${req.mountPath}${req.path}`,
      displayName: login.displayName,
      meta: login.meta,
      ttl: login.ttl,
      maxTtl: login.maxTtl,
      explicitMaxTtl: login.explicitMaxTtl,
      period: login.period,
      numUses: login.numUses,
      renewable: true,
      orphan: true,
      ...(login.role !== undefined ? { role: { mount: mount.uuid, name: login.role } } : {}),
    });
    const { login: _login, ...rest } = res;
    return { ...rest, auth: TokenStore.authBlock(entry), warnings: [...(res.warnings ?? []), ...warnings] };
  }

  /** Renewal limits for an auth-method token (role re-read); undefined when not applicable. */
  async renewLimits(entry: TokenEntry): Promise<{ ttl: number; maxTtl: number; period: number } | undefined> {
    if (!entry.role) return undefined;
    const m = this.#auths.find((a) => a.uuid === entry.role!.mount);
    const backend = m ? this.#backends.get(`auth/${m.path}`) : undefined;
    if (!backend?.renewLimits) throw badRequest('the auth method that issued this token is gone');
    const limits = await backend.renewLimits(entry.role.name);
    if (!limits) throw badRequest(`role "${entry.role.name}" does not exist; cannot renew`);
    return limits;
  }

  parseShares(data: Record<string, unknown>): { shares: number; threshold: number } {
    return { shares: int(data, 'secret_shares'), threshold: int(data, 'secret_threshold') };
  }
}
