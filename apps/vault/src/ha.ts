// Active and standby (docs/vault.md#ha-on-etcd): an unsealed node with an HA storage contends for
// the storage's lock; the holder is the active node and serves, the others stand by. Losing the
// lock (lease expired, step-down, seal) drops the node back to standby at once, before anything
// else can be served, so two nodes never act as active on one storage.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterIdentity } from './cluster/identity.js';
import { ECHO_EXPIRY_MS, type EchoInfo } from './cluster/protocol.js';
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
