// The core: seal state, mount tables, the token check and ACL on every request, and routing to
// engines. Engines see only BackendRequest; the HTTP layer sees only Core.
import { randomBytes } from 'node:crypto';
import { zeroize } from '@kms-chain/crypto';
import { AuditBroker } from './audit/broker.js';
import type { BackendDeps } from './backends.js';
import { Barrier } from './barrier.js';
import type { ClusterIdentity } from './cluster/identity.js';
import type { EchoInfo } from './cluster/protocol.js';
import { badRequest, VaultError } from './errors.js';
import { int } from './fields.js';
import { type ActiveAdvert, CoreHa, type LeaderInfo } from './ha.js';
import { newUuid, randomHex } from './ids.js';
import { MountTable } from './mount-table.js';
import { AUTH_PATH, defaultAuths, defaultMounts, MOUNTS_PATH, type MountEntry } from './mounts.js';
import { PolicyStore } from './policies.js';
import { RequestPipeline } from './request-pipeline.js';
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
import type { HaBackend, Storage } from './storage/storage.js';
import { Telemetry } from './telemetry.js';
import { type TokenEntry, TokenStore } from './tokens.js';
import type { BackendRequest, LogicalRequest, LogicalResponse, RawBody } from './types.js';
import { BUILD_DATE, VAULT_VERSION } from './version.js';
import { BarrierView } from './view.js';

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
  /** The storage's HA lock (`ha_enabled`): this node is then active or standby once unsealed. */
  ha?: HaBackend;
  /**
   * This node's advertised addresses (`api_addr`, `cluster_addr`): standbys redirect clients to
   * the first and forward requests to the second. Without a cluster address (clustering disabled)
   * an active node advertises no cluster identity, and standbys redirect.
   */
  apiAddr?: string;
  clusterAddr?: string;
  /** `allow_audit_log_prefixing`: file audit devices may take a `prefix`. */
  allowAuditLogPrefixing?: boolean;
}

/** Paths that additionally need `sudo` (docs/vault.md#operations-and-capabilities). */
const ROOT_PATHS = [
  /^sys\/auth\/.+/,
  /^sys\/seal$/,
  /^sys\/step-down$/,
  /^sys\/rotate$/,
  /^sys\/audit(?:\/|$)/,
  /^sys\/config\/auditing\//,
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
  /** Audit devices: every request below is audited through it (docs/vault.md#audit). */
  readonly audit: AuditBroker;
  readonly #progress = new UnsealProgress();
  #sealConfig: SealConfig | undefined;
  #cluster: { name: string; id: string } | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Active or standby, and the cluster identity of each term (ha.ts). */
  readonly #ha: CoreHa;
  /** Serialises init/unseal/seal so concurrent calls cannot interleave state changes. */
  #lock: Promise<unknown> = Promise.resolve();
  readonly #backendDeps: BackendDeps;
  readonly #table: MountTable;
  readonly #pipeline: RequestPipeline;

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
    this.audit = new AuditBroker(this.barrier, {
      log: (level, message) => this.#log(level, message),
      allowPrefix: options.allowAuditLogPrefixing ?? false,
    });
    this.#backendDeps = {
      defaultLeaseTtl: options.defaultLeaseTtl,
      maxLeaseTtl: this.tokens.maxTtl,
      tokenOwner: (entry) => this.tokens.hash(entry.accessor),
      system: this,
      tokenStore: this,
    };
    this.#table = new MountTable(this.barrier, this.#backendDeps);
    this.#ha = new CoreHa(options, {
      barrier: this.barrier,
      isSealed: () => this.isSealed(),
      loadActive: () => this.#postUnseal(),
      dropActive: () => this.#dropActive(),
      serial: (fn) => this.#serial(fn),
      log: (level, message) => this.#log(level, message),
    });
    this.#pipeline = new RequestPipeline(
      {
        audit: this.audit,
        telemetry: this.telemetry,
        tokens: this.tokens,
        isSealed: () => this.isSealed(),
        isStandby: () => this.isStandby(),
        leader: () => this.leader(),
        isAllowed: (entry, op, path, data) => this.isAllowed(entry, op, path, data),
        log: (level, message) => this.#log(level, message),
      },
      this.#table,
    );
    this.#registerGauges();
  }

  /** Vault's core gauges, read at each scrape (docs/vault.md#metrics). */
  #registerGauges(): void {
    const t = this.telemetry;
    t.gauge(['core', 'unsealed'], 'Whether Vault is unsealed (1) or sealed (0).', () =>
      this.isSealed() ? 0 : 1,
    );
    t.gauge(['core', 'active'], 'Whether this node is the active one (1).', () => (this.isActive() ? 1 : 0));
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

  /** Unsealed and serving: without HA every unsealed node, with HA the lock holder. */
  isActive(): boolean {
    return !this.isSealed() && this.#ha.isLockHolder;
  }

  /** Unsealed but not serving: an HA node that does not hold the lock. */
  isStandby(): boolean {
    return !this.isSealed() && !this.#ha.isLockHolder;
  }

  /** HA: stop acting as active, touching no storage; the barrier stays unsealed. */
  #dropActive(): void {
    this.#ha.dropIdentity();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.tokens.onRevoke = undefined;
    this.tokens.reset();
    this.policies.reset();
    this.#table.clear();
    this.audit.clear();
  }

  /**
   * The active node as sys/leader reports it (no addresses while none holds the lock).
   * @throws VaultError 503 while sealed with HA.
   */
  leader(): Promise<LeaderInfo> {
    return this.#ha.leader();
  }

  /**
   * The active node as a standby forwards to it; undefined on the active node, while sealed, and
   * while no node holds the lock.
   */
  activeNode(): Promise<ActiveAdvert | undefined> {
    return this.#ha.activeNode();
  }

  /** This term's cluster identity while active; the cluster listener serves only with it. */
  get clusterIdentity(): ClusterIdentity | undefined {
    return this.isActive() ? this.#ha.identity : undefined;
  }

  /** A standby's heartbeat, heard on the cluster port (listed by sys/ha-status). */
  recordEcho(info: EchoInfo): void {
    this.#ha.recordEcho(info);
  }

  /** What this node says about itself in heartbeats (HA only). */
  haSelf(): EchoInfo | undefined {
    return this.#ha.self;
  }

  /** sys/ha-status: the HA contenders, or this node alone without HA. */
  haStatus(): Promise<Array<Record<string, unknown>>> {
    return this.#ha.haStatus();
  }

  /** sys/step-down: the active node gives the lock up and stays out for a while. */
  stepDown(): void {
    this.#ha.stepDown();
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
    return this.#table.mounts;
  }

  get auths(): readonly MountEntry[] {
    return this.#table.auths;
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
        if (this.#ha.isEnabled) {
          // A standby serves nothing but status: it loads the rest when it takes over.
          this.#cluster = await this.barrier.getJson(CLUSTER_INFO);
          this.#ha.start();
          this.#log('info', 'core: vault is unsealed; entering standby mode');
        } else {
          await this.#postUnseal();
          this.#log('info', 'core: vault is unsealed');
        }
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
    // Leaving the contest first: becomeActive runs serialised too, so it cannot start meanwhile.
    const stopping = this.#ha.stop();
    return stopping.then(() =>
      this.#serial(async () => {
        if (!this.isSealed()) this.#log('info', 'core: vault is sealed');
        this.#preSeal();
      }),
    );
  }

  async #postUnseal(): Promise<void> {
    try {
      this.#cluster = await this.barrier.getJson(CLUSTER_INFO);
      await this.tokens.setup();
      await this.policies.setup();
      await this.#table.load();
      await this.audit.load();
      this.tokens.onRevoke = async (entry) => {
        const cubby = this.#table.mounts.find((m) => m.type === 'cubbyhole');
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
    this.#dropActive();
    this.#ha.forgetNextIdentity();
    this.barrier.seal();
    this.#progress.reset();
    this.#cluster = undefined;
  }

  /** Runs a mount-table change with no other in between (see MountTable.change). */
  changeMounts<T>(fn: () => Promise<T>): Promise<T> {
    return this.#table.change(fn);
  }

  /** Adds a mount (secrets or auth) and persists its table. Call inside changeMounts. */
  addMount(m: MountEntry): Promise<void> {
    return this.#table.add(m);
  }

  /** Removes a mount and deletes its data; unknown paths are a no-op. */
  removeMount(table: 'mounts' | 'auth', path: string): Promise<void> {
    return this.#table.remove(table, path);
  }

  updateMountConfig(m: MountEntry, config: MountEntry['config']): Promise<void> {
    return this.#table.updateConfig(m, config);
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
      standby: this.isStandby(),
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

  /**
   * Every logical request: sealed check, routing, token (one use spent), ACL, audit, engine,
   * audit. The request entry is written before the engine runs and the response entry after; if
   * devices are enabled and none can write, the request fails with 500 (docs/vault.md#audit).
   */
  handle(req: LogicalRequest): Promise<LogicalResponse | null> {
    return this.#pipeline.handle(req);
  }

  /** Renewal limits for an auth-method token (role re-read); undefined when not applicable. */
  async renewLimits(entry: TokenEntry): Promise<{ ttl: number; maxTtl: number; period: number } | undefined> {
    if (!entry.role) return undefined;
    const backend = this.#table.authByUuid(entry.role.mount)?.backend;
    if (!backend?.renewLimits) throw badRequest('the auth method that issued this token is gone');
    const limits = await backend.renewLimits(entry.role.name);
    if (!limits) throw badRequest(`role "${entry.role.name}" does not exist; cannot renew`);
    return limits;
  }

  parseShares(data: Record<string, unknown>): { shares: number; threshold: number } {
    return { shares: int(data, 'secret_shares'), threshold: int(data, 'secret_threshold') };
  }
}
