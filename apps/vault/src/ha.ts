// Active and standby (docs/vault.md#ha-on-etcd): an unsealed node with an HA storage contends for
// the storage's lock; the holder is the active node and serves, the others stand by. Losing the
// lock (lease expired, step-down, seal) drops the node back to standby at once, before anything
// else can be served, so two nodes never act as active on one storage.
// HaCoordinator runs the contest; CoreHa is the core's side of it (advertising this node while
// active, reading the active node's advertisement, each term's cluster identity), which Core owns
// and delegates to.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { zeroize } from '@kms-chain/crypto';
import type { Barrier } from './barrier.js';
import {
  type ClusterAdvertFields,
  type ClusterIdentity,
  generateClusterIdentity,
  parseClusterAdvert,
} from './cluster/identity.js';
import { ECHO_EXPIRY_MS, type EchoInfo } from './cluster/protocol.js';
import { sealedError } from './errors.js';
import type { HaBackend, HaLock } from './storage/storage.js';
import { VAULT_VERSION } from './version.js';

export type HaMode = 'active' | 'standby';

/** What a node says about itself in its lock value (the lock's etcd key holds it in plaintext). */
export interface HaNodeInfo {
  id: string;
  hostname: string;
  api_addr: string;
  cluster_addr: string;
}

/** A lock value as HaNodeInfo; an older plain-id value gives the id alone. */
export function parseNodeInfo(value: string): HaNodeInfo {
  try {
    const v = JSON.parse(value) as Partial<HaNodeInfo>;
    if (typeof v.id === 'string')
      return {
        id: v.id,
        hostname: v.hostname ?? '',
        api_addr: v.api_addr ?? '',
        cluster_addr: v.cluster_addr ?? '',
      };
  } catch {
    // not JSON: a bare id
  }
  return { id: value, hostname: '', api_addr: '', cluster_addr: '' };
}

/** sys/leader's view of the cluster. */
export interface LeaderInfo {
  haEnabled: boolean;
  isSelf: boolean;
  activeTime: string;
  leaderAddress: string;
  leaderClusterAddress: string;
}

/**
 * The active node's advertisement (`core/leader/<id>`, through the barrier) as a standby keeps it:
 * where to redirect clients, where to forward requests, and the term's cluster identity.
 */
export interface ActiveAdvert {
  redirectAddr: string;
  clusterAddr: string;
  /** Undefined when the active node runs without clustering. */
  identity: ClusterIdentity | undefined;
}

/** sys/leader without HA. */
export const NO_HA: LeaderInfo = {
  haEnabled: false,
  isSelf: false,
  activeTime: '0001-01-01T00:00:00Z',
  leaderAddress: '',
  leaderClusterAddress: '',
};

/** One node as sys/ha-status lists it; `last_echo` null for the active node and silent standbys. */
export function haStatusEntry(
  n: Omit<HaNodeInfo, 'id'>,
  active: boolean,
  lastEcho?: Date,
): Record<string, unknown> {
  return {
    hostname: n.hostname,
    api_address: n.api_addr,
    cluster_address: n.cluster_addr,
    active_node: active,
    last_echo: lastEcho ? lastEcho.toISOString() : null,
    version: VAULT_VERSION,
    upgrade_version: VAULT_VERSION,
    redundancy_zone: '',
  };
}

/** What the core does when this node's role changes. */
export interface HaHooks {
  /** Takes over: reload state from storage, advertise this node. A throw gives the lock up again. */
  becomeActive(nodeId: string): Promise<void>;
  /** Stops acting as active; must not touch storage (the lock may already be someone else's). */
  becomeStandby(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Wait before contending again after a failure or a step-down (others take the lock first). */
const RETRY_MS = 1_000;
const STEP_DOWN_MS = 10_000;
/** How long a standby trusts the holder it read (a failover redirects to the old node at most this long). */
const HOLDER_TTL_MS = 250;

/** Waits `ms`, or less when `signal` aborts; never rejects. */
const sleep = (ms: number, signal: AbortSignal): Promise<unknown> =>
  delay(ms, undefined, { signal }).catch(() => undefined);

export class HaCoordinator {
  /** This node's lock value; the key of its advertisement while active. */
  readonly nodeId = randomUUID();
  readonly #lock: HaLock;
  readonly #hooks: HaHooks;
  #mode: HaMode = 'standby';
  #activeSince: Date | undefined;
  #run: { abort: AbortController; done: Promise<void> } | undefined;
  #stepDown: (() => void) | undefined;
  #holder: { id: string | undefined; at: number } | undefined;
  #holderRead: Promise<string | undefined> | undefined;
  #adverts = new Map<string, ActiveAdvert>();
  /** Heartbeats heard while active, by node id (Vault lists the peers heard from in this term). */
  #echoes = new Map<string, { info: EchoInfo; at: Date }>();

  readonly #self: Omit<HaNodeInfo, 'id'>;

  constructor(backend: HaBackend, hooks: HaHooks, self: Omit<HaNodeInfo, 'id'>) {
    this.#self = self;
    this.#lock = backend.haLock(JSON.stringify({ id: this.nodeId, ...self }));
    this.#hooks = hooks;
  }

  /**
   * sys/leader: this node when it holds the lock, else the holder's advertisement, which
   * `readAdvert` reads through the barrier (an address in etcd alone is not trusted for redirects).
   */
  async leader(readAdvert: (id: string) => Promise<ActiveAdvert | undefined>): Promise<LeaderInfo> {
    if (this.#mode === 'active')
      return {
        haEnabled: true,
        isSelf: true,
        activeTime: this.#activeSince!.toISOString(),
        leaderAddress: this.#self.api_addr,
        leaderClusterAddress: this.#self.cluster_addr,
      };
    const advert = await this.activeAdvert(readAdvert);
    return {
      ...NO_HA,
      haEnabled: true,
      leaderAddress: advert?.redirectAddr ?? '',
      leaderClusterAddress: advert?.clusterAddr ?? '',
    };
  }

  /**
   * The holder's advertisement while this node stands by (undefined when active or when none holds
   * the lock). Asked on every request a standby forwards or redirects, so it is cached: the holder
   * for HOLDER_TTL_MS, the advertisement for as long as its id holds the lock.
   */
  async activeAdvert(
    readAdvert: (id: string) => Promise<ActiveAdvert | undefined>,
  ): Promise<ActiveAdvert | undefined> {
    if (this.#mode === 'active') return undefined;
    const id = await this.#cachedHolder();
    let advert = id ? this.#adverts.get(id) : undefined;
    if (id && !advert) {
      advert = await readAdvert(id);
      // An advertisement never changes under its id; a new active node has a new id.
      if (advert) this.#adverts = new Map([[id, advert]]);
    }
    return advert;
  }

  /** A standby's heartbeat, kept while this node is active (ignored otherwise). */
  recordEcho(info: EchoInfo): void {
    if (this.#mode !== 'active' || info.id === this.nodeId) return;
    this.#echoes.set(info.id, { info, at: new Date() });
  }

  /**
   * sys/ha-status entries: every contender of the lock, the holder marked active, each standby with
   * its last heartbeat; standbys heard from but not (yet) seen in the lock are listed too.
   */
  async nodes(): Promise<Array<Record<string, unknown>>> {
    const holder = await this.holder();
    const now = Date.now();
    for (const [id, e] of this.#echoes) if (now - e.at.getTime() > ECHO_EXPIRY_MS) this.#echoes.delete(id);
    const members = await this.members();
    const listed = new Set(members.map((m) => m.id));
    return [
      ...members.map((m) => haStatusEntry(m, m.id === holder, this.#echoes.get(m.id)?.at)),
      ...[...this.#echoes.values()]
        .filter((e) => !listed.has(e.info.id))
        .map((e) => haStatusEntry(e.info, false, e.at)),
    ];
  }

  /** What this node advertises about itself (its lock value, its heartbeats). */
  get self(): HaNodeInfo {
    return { id: this.nodeId, ...this.#self };
  }

  get mode(): HaMode {
    return this.#mode;
  }

  get activeSince(): Date | undefined {
    return this.#activeSince;
  }

  /**
   * The holder for a standby's redirects, read at most every HOLDER_TTL_MS: every request on a
   * standby asks for it, and a fresh etcd read per request would cost more than the redirect.
   */
  async #cachedHolder(): Promise<string | undefined> {
    const now = Date.now();
    if (this.#holder && now - this.#holder.at < HOLDER_TTL_MS) return this.#holder.id;
    // Concurrent requests share one read when the cached holder expires.
    this.#holderRead ??= this.holder().finally(() => {
      this.#holderRead = undefined;
    });
    const id = await this.#holderRead;
    this.#holder = { id, at: now };
    return id;
  }

  /** The node id of the active node, undefined when there is none. */
  async holder(): Promise<string | undefined> {
    const value = await this.#lock.holder();
    return value === undefined ? undefined : parseNodeInfo(value).id;
  }

  /** Every unsealed node contending for the lock, the active one first. */
  async members(): Promise<HaNodeInfo[]> {
    return (await this.#lock.contenders()).map(parseNodeInfo);
  }

  /** Starts contending (after unseal); a no-op while already running. */
  start(): void {
    if (this.#run) return;
    const abort = new AbortController();
    this.#run = { abort, done: this.#loop(abort.signal) };
  }

  /** Stops contending and gives the lock up (before sealing). */
  async stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    if (!run) return;
    run.abort.abort();
    await run.done;
  }

  /** Gives the lock up and stays out of the contest for a while (sys/step-down). */
  stepDown(): void {
    this.#stepDown?.();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let held: Awaited<ReturnType<HaLock['acquire']>>;
      try {
        held = await this.#lock.acquire(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#hooks.log('warn', `core: failed to acquire lock: ${(err as Error).message}`);
        await sleep(RETRY_MS, signal);
        continue;
      }
      try {
        await this.#hooks.becomeActive(this.nodeId);
      } catch (err) {
        this.#hooks.log('error', `core: failed to become active: ${(err as Error).message}`);
        this.#hooks.becomeStandby();
        await this.#lock.release();
        await sleep(RETRY_MS, signal);
        continue;
      }
      this.#echoes.clear();
      this.#mode = 'active';
      this.#activeSince = new Date();
      this.#hooks.log('info', 'core: acquired lock, enabling active operation');
      const why = await new Promise<'lost' | 'stop' | 'step-down'>((resolve) => {
        held.lost.then(() => resolve('lost'));
        signal.addEventListener('abort', () => resolve('stop'), { once: true });
        this.#stepDown = () => resolve('step-down');
      });
      this.#stepDown = undefined;
      this.#mode = 'standby';
      this.#activeSince = undefined;
      this.#hooks.becomeStandby();
      await this.#lock.release();
      this.#hooks.log(
        why === 'lost' ? 'warn' : 'info',
        why === 'lost'
          ? 'core: leadership lost, stopping active operation'
          : 'core: stepping down from active',
      );
      if (why === 'step-down') await sleep(STEP_DOWN_MS, signal);
    }
    this.#mode = 'standby';
  }
}

/** Where the active node advertises itself, under its node id, for standbys to find. */
const LEADER_PREFIX = 'core/leader/';

/** What the core lends CoreHa. */
export interface CoreHaHost {
  readonly barrier: Barrier;
  isSealed(): boolean;
  /** Loads what an active node serves from (tokens, policies, mounts, audit devices). */
  loadActive(): Promise<void>;
  /** Stops acting as active, touching no storage; the barrier stays unsealed. */
  dropActive(): void;
  /** Runs `fn` serialised with init/unseal/seal. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface CoreHaOptions {
  /** The storage's HA lock; without it this node is alone and active once unsealed. */
  ha?: HaBackend;
  apiAddr?: string;
  clusterAddr?: string;
}

export class CoreHa {
  readonly #host: CoreHaHost;
  readonly #options: CoreHaOptions;
  readonly #ha: HaCoordinator | undefined;
  /** This term's cluster identity while active (docs/vault.md#ha-on-etcd). */
  #clusterIdentity: ClusterIdentity | undefined;
  /** The next term's identity, made ahead while standing by so a takeover does not wait for it. */
  #nextIdentity: Promise<{ identity: ClusterIdentity; fields: ClusterAdvertFields }> | undefined;

  constructor(options: CoreHaOptions, host: CoreHaHost) {
    this.#options = options;
    this.#host = host;
    this.#ha = options.ha
      ? new HaCoordinator(
          options.ha,
          {
            becomeActive: (id) => host.serial(() => this.#becomeActive(id)),
            becomeStandby: () => {
              host.dropActive();
              this.#prepareIdentity();
            },
            log: (level, message) => host.log(level, message),
          },
          { hostname: hostname(), api_addr: options.apiAddr ?? '', cluster_addr: options.clusterAddr ?? '' },
        )
      : undefined;
  }

  /** Whether the storage has an HA lock to contend for. */
  get isEnabled(): boolean {
    return this.#ha !== undefined;
  }

  /** Without HA always; with HA while this node holds the lock. */
  get isLockHolder(): boolean {
    return this.#ha === undefined || this.#ha.mode === 'active';
  }

  /** This term's cluster identity, whatever the seal state (Core checks that). */
  get identity(): ClusterIdentity | undefined {
    return this.#clusterIdentity;
  }

  /** Unsealed with HA: start making the next identity and contend for the lock. */
  start(): void {
    this.#prepareIdentity();
    this.#ha?.start();
  }

  /** Leaves the contest; resolves at once without HA. */
  stop(): Promise<void> {
    return this.#ha?.stop() ?? Promise.resolve();
  }

  /** Forgets this term's identity (on leaving the active role). */
  dropIdentity(): void {
    this.#clusterIdentity = undefined;
  }

  /** Forgets the identity made ahead (on seal). */
  forgetNextIdentity(): void {
    this.#nextIdentity = undefined;
  }

  /** HA: take over after acquiring the lock (docs/vault.md#ha-on-etcd). */
  async #becomeActive(nodeId: string): Promise<void> {
    if (this.#host.isSealed()) throw sealedError();
    // The previous active node may have rotated keys and changed any entry meanwhile.
    await this.#host.barrier.reload();
    await this.#host.loadActive();
    const cluster = this.#options.clusterAddr ? await this.#takeNextIdentity() : undefined;
    const advert = {
      hostname: hostname(),
      redirect_addr: this.#options.apiAddr ?? '',
      cluster_addr: this.#options.clusterAddr ?? '',
      ...cluster?.fields,
    };
    await this.#host.barrier.putJson(`${LEADER_PREFIX}${nodeId}`, advert);
    this.#clusterIdentity = cluster?.identity;
  }

  /** A cluster identity for a new term: the one made ahead, else a new one. */
  async #takeNextIdentity(): Promise<{ identity: ClusterIdentity; fields: ClusterAdvertFields }> {
    const next = this.#nextIdentity ?? generateClusterIdentity();
    this.#nextIdentity = undefined;
    return next;
  }

  /** Starts making the next term's identity in the background (once per term). */
  #prepareIdentity(): void {
    if (!this.#options.clusterAddr || this.#nextIdentity) return;
    const next = generateClusterIdentity();
    next.catch(() => undefined);
    this.#nextIdentity = next;
  }

  /** See Core.leader. */
  async leader(): Promise<LeaderInfo> {
    if (!this.#ha) return NO_HA;
    if (this.#host.isSealed()) throw sealedError();
    return this.#ha.leader((id) => this.#readAdvert(id));
  }

  /** See Core.activeNode. */
  async activeNode(): Promise<ActiveAdvert | undefined> {
    if (!this.#ha || this.#host.isSealed()) return undefined;
    return this.#ha.activeAdvert((id) => this.#readAdvert(id));
  }

  /** Reads an advertisement through the barrier; the decrypted bytes (with the key) are zeroed. */
  async #readAdvert(id: string): Promise<ActiveAdvert | undefined> {
    const raw = await this.#host.barrier.readThrough(`${LEADER_PREFIX}${id}`);
    if (!raw) return undefined;
    try {
      const advert = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      let identity: ClusterIdentity | undefined;
      try {
        identity = parseClusterAdvert(advert);
      } catch (err) {
        this.#host.log('warn', `core: active node's cluster identity unusable: ${(err as Error).message}`);
      }
      return {
        redirectAddr: String(advert['redirect_addr'] ?? ''),
        clusterAddr: String(advert['cluster_addr'] ?? ''),
        identity,
      };
    } finally {
      zeroize(raw);
    }
  }

  recordEcho(info: EchoInfo): void {
    this.#ha?.recordEcho(info);
  }

  get self(): EchoInfo | undefined {
    return this.#ha?.self;
  }

  async haStatus(): Promise<Array<Record<string, unknown>>> {
    return this.#ha ? this.#ha.nodes() : [haStatusEntry(this.#selfInfo(), true)];
  }

  #selfInfo(): Omit<HaNodeInfo, 'id'> {
    return {
      hostname: hostname(),
      api_addr: this.#options.apiAddr ?? '',
      cluster_addr: this.#options.clusterAddr ?? '',
    };
  }

  stepDown(): void {
    this.#ha?.stepDown();
  }
}
