// The token store: service tokens kept inside the barrier under an HMAC of their id (the id
// never appears in a storage path), with accessor and parent indexes for lookup and revocation.
//
// Every change to a stored entry (spending a use, renewing, revoking, adding a child) happens
// under that token's lock and re-reads the entry inside it, so parallel requests cannot spend
// the same use twice, a renewal cannot write back uses or a revoked entry, and a child cannot be
// added to a parent that is being revoked. Lock order is parent before child, never the reverse.
import { randomBytes } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import type { Barrier } from './barrier.js';
import { humanDuration } from './duration.js';
import { badRequest, permissionDenied } from './errors.js';
import { newAccessor, newServiceToken, saltedKey } from './ids.js';

/** The `auth` block of a login or token-create response, as Vault renders it. */
export interface AuthBlock {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: string;
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

export interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  path: string;
  meta: Record<string, string> | null;
  displayName: string;
  /**
   * 0 = unlimited; otherwise uses left. -1 = the last use is being spent: the token is dead to
   * every other request and is revoked once that request ends (Vault's "revocation pending").
   */
  numUses: number;
  /** Unix seconds. */
  creationTime: number;
  /** Seconds the token was created with (0 = never expires). */
  creationTtl: number;
  /** Unix ms when the token stops working; 0 = never. */
  expireAt: number;
  /** Unix ms of the last issue/renewal. */
  issueAt: number;
  explicitMaxTtl: number;
  period: number;
  renewable: boolean;
  orphan: boolean;
  parent: string;
  entityId: string;
  /** For auth-method tokens: where renewals re-read their TTL limits. */
  role?: { mount: string; name: string } | undefined;
}

export interface CreateTokenOptions {
  policies: string[];
  path: string;
  displayName: string;
  meta?: Record<string, string> | null;
  ttl?: number;
  explicitMaxTtl?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  orphan?: boolean;
  /** Parent token id: the child is refused when the parent is no longer live. */
  parent?: string;
  id?: string;
  /** Extra cap from the issuing role (token_max_ttl). */
  maxTtl?: number;
  role?: { mount: string; name: string };
}

const SALT_PATH = 'sys/token/salt';
const ID = 'sys/token/id/';
const ACCESSOR = 'sys/token/accessor/';
const PARENT = 'sys/token/parent/';

/** Whether an entry may still authenticate a request (not expired, no use pending). */
function isLive(entry: TokenEntry, now = Date.now()): boolean {
  return entry.numUses >= 0 && !(entry.expireAt > 0 && now >= entry.expireAt);
}

export class TokenStore {
  readonly #barrier: Barrier;
  readonly #defaults: { defaultTtl: number; maxTtl: number };
  /** Keyed by the salted hash of the token id (the storage key of its entry). */
  readonly #locks = new KeyedLock();
  #salt: Buffer | undefined;

  constructor(barrier: Barrier, defaults: { defaultTtl: number; maxTtl: number }) {
    this.#barrier = barrier;
    this.#defaults = defaults;
  }

  /** Token entries in storage (the `vault.token.count` gauge); expired ones count until swept. */
  async count(): Promise<number> {
    return (await this.#barrier.list(ID)).length;
  }

  get maxTtl(): number {
    return this.#defaults.maxTtl;
  }

  get defaultTtl(): number {
    return this.#defaults.defaultTtl;
  }

  /** Loads (or creates on first unseal) the salt; call after every unseal. */
  async setup(): Promise<void> {
    let salt = await this.#barrier.get(SALT_PATH);
    if (!salt) {
      salt = randomBytes(32);
      await this.#barrier.put(SALT_PATH, salt);
    }
    this.#salt = salt;
  }

  reset(): void {
    this.#salt = undefined;
  }

  hash(value: string): string {
    return saltedKey(this.#salt!, value);
  }

  /**
   * Creates and persists a token; returns the entry and any TTL warnings. With `parent` the
   * parent is re-read under its lock: a parent that is gone, expired or use-limited is refused
   * (403), and an expiring parent cannot mint a non-expiring root token (400).
   */
  async create(o: CreateTokenOptions): Promise<{ entry: TokenEntry; warnings: string[] }> {
    if (o.parent === undefined || o.orphan) return this.#create(o, undefined);
    const parentHash = this.hash(o.parent);
    if (o.id !== undefined && o.id === o.parent)
      throw badRequest('cannot create a token with a duplicate ID');
    return this.#locks.run(parentHash, async () => {
      const parent = await this.#read(parentHash);
      if (!parent || parent.id !== o.parent || !isLive(parent)) throw permissionDenied();
      return this.#create(o, parent);
    });
  }

  async #create(
    o: CreateTokenOptions,
    parent: TokenEntry | undefined,
  ): Promise<{ entry: TokenEntry; warnings: string[] }> {
    const now = Date.now();
    const warnings: string[] = [];
    const isRoot = o.policies.includes('root');
    let ttl = 0;
    let period = o.period ?? 0;
    if (!isRoot || (o.ttl ?? 0) > 0 || period > 0) {
      const max = Math.min(
        this.#defaults.maxTtl,
        o.maxTtl && o.maxTtl > 0 ? o.maxTtl : Number.POSITIVE_INFINITY,
        o.explicitMaxTtl && o.explicitMaxTtl > 0 ? o.explicitMaxTtl : Number.POSITIVE_INFINITY,
      );
      if (period > 0) {
        if (period > this.#defaults.maxTtl) {
          warnings.push(
            `period of "${humanDuration(period)}" exceeded the effective max_ttl of "${humanDuration(this.#defaults.maxTtl)}"; period value is capped accordingly`,
          );
          period = this.#defaults.maxTtl;
        }
        ttl = o.explicitMaxTtl && o.explicitMaxTtl > 0 ? Math.min(period, o.explicitMaxTtl) : period;
      } else {
        ttl = o.ttl && o.ttl > 0 ? o.ttl : this.#defaults.defaultTtl;
        if (ttl > max) {
          warnings.push(
            `TTL of "${humanDuration(ttl)}" exceeded the effective max_ttl of "${humanDuration(max)}"; TTL value is capped accordingly`,
          );
          ttl = max;
        }
      }
    }
    // Root tokens are still bound by an explicit max TTL.
    if (ttl === 0 && o.explicitMaxTtl && o.explicitMaxTtl > 0) ttl = o.explicitMaxTtl;
    // A root token that expires could otherwise outlive itself through a child that does not.
    if (ttl === 0 && parent && parent.expireAt > 0)
      throw badRequest('expiring root tokens cannot create non-expiring root tokens');
    const entry: TokenEntry = {
      id: o.id ?? newServiceToken(),
      accessor: newAccessor(),
      policies: o.policies,
      path: o.path,
      meta: o.meta ?? null,
      displayName: o.displayName,
      numUses: o.numUses ?? 0,
      creationTime: Math.floor(now / 1000),
      creationTtl: ttl,
      expireAt: ttl > 0 ? now + ttl * 1000 : 0,
      issueAt: now,
      explicitMaxTtl: o.explicitMaxTtl ?? 0,
      period,
      renewable: isRoot && ttl === 0 ? false : (o.renewable ?? true),
      orphan: o.orphan ?? !o.parent,
      parent: o.parent ?? '',
      entityId: '',
      role: o.role,
    };
    const write = async () => {
      // Random ids (24 base62 characters) do not collide; only caller-chosen ids are checked.
      if (o.id !== undefined && (await this.#barrier.get(ID + this.hash(entry.id))))
        throw badRequest('cannot create a token with a duplicate ID');
      // The entry and its indexes are independent files: write them concurrently (one fsync wait).
      const writes = [
        this.#persist(entry),
        this.#barrier.put(ACCESSOR + this.hash(entry.accessor), Buffer.from(this.hash(entry.id))),
      ];
      if (entry.parent && !entry.orphan) {
        writes.push(
          this.#barrier.put(`${PARENT}${this.hash(entry.parent)}/${this.hash(entry.id)}`, Buffer.from('1')),
        );
      }
      await Promise.all(writes);
    };
    // A caller-chosen id is checked and written under its own lock (two creates cannot both win).
    if (o.id !== undefined) await this.#locks.run(this.hash(entry.id), write);
    else await write();
    return { entry, warnings };
  }

  async #persist(entry: TokenEntry): Promise<void> {
    await this.#barrier.putJson(ID + this.hash(entry.id), entry);
  }

  async #read(hash: string): Promise<TokenEntry | undefined> {
    return this.#barrier.getJson<TokenEntry>(ID + hash);
  }

  /**
   * Whether every ancestor of a non-orphan token still lives. An ancestor that expired unseen has
   * not revoked its descendants yet; they die with it all the same, however deep. (Parents are
   * created before their children, so the walk ends; reads hit the barrier's cache.)
   */
  async #ancestorsLive(entry: TokenEntry): Promise<boolean> {
    let current = entry;
    while (!current.orphan && current.parent) {
      const parent = await this.#read(this.hash(current.parent));
      if (!parent || parent.id !== current.parent || !isLive(parent)) return false;
      current = parent;
    }
    return true;
  }

  /** The live entry for a token id, or undefined when unknown, expired or used up. */
  async lookup(id: string): Promise<TokenEntry | undefined> {
    if (!id || id.length > 512) return undefined;
    const entry = await this.#read(this.hash(id));
    if (!entry || entry.id !== id || entry.numUses < 0) return undefined;
    if (!isLive(entry) || !(await this.#ancestorsLive(entry))) {
      await this.revoke(entry);
      return undefined;
    }
    return entry;
  }

  async lookupAccessor(accessor: string): Promise<TokenEntry | undefined> {
    const key = await this.#barrier.get(ACCESSOR + this.hash(accessor));
    if (!key) return undefined;
    const entry = await this.#read(key.toString('utf8'));
    return entry && isLive(entry) ? entry : undefined;
  }

  /**
   * Resolves the token of a request and spends one use of it, atomically: of N parallel
   * requests with a token that has k uses left, exactly k get an entry. Unknown, expired, used-up
   * and revoked tokens are 403. `entry` is the token as this request was admitted (its
   * `numUses` counts this use). With `last` the token is already dead to every other request and
   * the caller revokes it (`revoke`) once its request has ended — the last request still succeeds.
   */
  async use(id: string | undefined): Promise<{ entry: TokenEntry; last: boolean }> {
    if (!id) throw permissionDenied();
    const entry = await this.lookup(id);
    if (!entry) throw permissionDenied();
    if (entry.numUses === 0) return { entry, last: false };
    const hash = this.hash(id);
    return this.#locks.run(hash, async () => {
      const current = await this.#read(hash);
      if (!current || current.id !== id || !isLive(current)) throw permissionDenied();
      const left = current.numUses - 1;
      await this.#persist({ ...current, numUses: left === 0 ? -1 : left });
      return { entry: current, last: left === 0 };
    });
  }

  /** Revokes a token and, recursively, its non-orphan children; a token already gone is a no-op. */
  async revoke(entry: TokenEntry): Promise<void> {
    const hash = this.hash(entry.id);
    await this.#locks.run(hash, async () => {
      const current = await this.#read(hash);
      if (current && current.id === entry.id) await this.#revokeLocked(current, hash);
    });
  }

  /** Holds the lock of `hash`; takes each child's lock in turn (parent before child). */
  async #revokeLocked(entry: TokenEntry, hash: string): Promise<void> {
    for (const child of await this.#barrier.list(`${PARENT}${hash}/`)) {
      await this.#locks.run(child, async () => {
        const childEntry = await this.#read(child);
        if (childEntry) await this.#revokeLocked(childEntry, child);
      });
      await this.#barrier.delete(`${PARENT}${hash}/${child}`);
    }
    await this.#barrier.delete(ID + hash);
    await this.#barrier.delete(ACCESSOR + this.hash(entry.accessor));
    if (entry.parent) await this.#barrier.delete(`${PARENT}${this.hash(entry.parent)}/${hash}`);
    await this.onRevoke?.(entry);
  }

  /** Called after a token is revoked (the core clears its cubbyhole). */
  onRevoke: ((entry: TokenEntry) => Promise<void>) | undefined;

  /**
   * Revokes every token whose TTL has run out or whose last use was spent by a request that
   * never finished (Vault's expiration manager does this at expiry; here a periodic sweep, so
   * unused expired tokens do not accumulate in storage).
   */
  async sweepExpired(): Promise<number> {
    let revoked = 0;
    const now = Date.now();
    for (const key of await this.#barrier.list(ID)) {
      if (key.endsWith('/')) continue;
      const entry = await this.#read(key);
      if (entry && !isLive(entry, now)) {
        await this.revoke(entry);
        revoked++;
      }
    }
    return revoked;
  }

  /**
   * Renews a token. Periodic tokens get their period again (increment ignored); others get the
   * increment (or their creation TTL), never beyond creation + max. `limits` overrides the
   * entry's limits for auth-method tokens whose role was re-read. The stored entry is re-read
   * under the token's lock: a token revoked meanwhile stays revoked (400 `token not found`), and
   * uses spent meanwhile stay spent.
   */
  async renew(
    target: TokenEntry,
    increment: number,
    limits?: { ttl: number; maxTtl: number; period: number },
  ): Promise<{ entry: TokenEntry; warnings: string[] }> {
    const hash = this.hash(target.id);
    return this.#locks.run(hash, async () => {
      const entry = await this.#read(hash);
      // A token whose last use is being spent (-1) may still renew within that request.
      if (!entry || entry.id !== target.id || !isLive({ ...entry, numUses: Math.max(0, entry.numUses) }))
        throw badRequest('token not found');
      return this.#renewLocked(entry, increment, limits);
    });
  }

  async #renewLocked(
    entry: TokenEntry,
    increment: number,
    limits?: { ttl: number; maxTtl: number; period: number },
  ): Promise<{ entry: TokenEntry; warnings: string[] }> {
    if (!entry.renewable) throw badRequest('lease is not renewable');
    const now = Date.now();
    const warnings: string[] = [];
    const period = limits ? limits.period : entry.period;
    let ttl: number;
    if (period > 0) {
      ttl = Math.min(period, this.#defaults.maxTtl);
      if (entry.explicitMaxTtl > 0) {
        const left = entry.creationTime + entry.explicitMaxTtl - Math.floor(now / 1000);
        if (left <= 0) throw badRequest('past the max TTL, cannot renew');
        ttl = Math.min(ttl, left);
      }
    } else {
      const max = Math.min(
        this.#defaults.maxTtl,
        limits && limits.maxTtl > 0 ? limits.maxTtl : Number.POSITIVE_INFINITY,
        entry.explicitMaxTtl > 0 ? entry.explicitMaxTtl : Number.POSITIVE_INFINITY,
      );
      const left = entry.creationTime + max - Math.floor(now / 1000);
      if (left <= 0) throw badRequest('past the max TTL, cannot renew');
      ttl =
        increment > 0
          ? increment
          : limits && limits.ttl > 0
            ? limits.ttl
            : entry.creationTtl || this.#defaults.defaultTtl;
      if (ttl > left) {
        warnings.push(
          `TTL of "${humanDuration(ttl)}" exceeded the effective max_ttl of "${humanDuration(left)}"; TTL value is capped accordingly`,
        );
        ttl = left;
      }
    }
    const next: TokenEntry = { ...entry, expireAt: now + ttl * 1000, issueAt: now, period };
    await this.#persist(next);
    return { entry: next, warnings };
  }

  /** Remaining seconds (0 for never-expiring tokens). */
  static ttlOf(entry: TokenEntry): number {
    return entry.expireAt > 0 ? Math.max(0, Math.round((entry.expireAt - Date.now()) / 1000)) : 0;
  }

  static authBlock(entry: TokenEntry): AuthBlock {
    return {
      client_token: entry.id,
      accessor: entry.accessor,
      policies: entry.policies,
      token_policies: entry.policies,
      metadata: entry.meta,
      lease_duration: TokenStore.ttlOf(entry),
      renewable: entry.renewable,
      entity_id: entry.entityId,
      token_type: 'service',
      orphan: entry.orphan,
      mfa_requirement: null,
      num_uses: entry.numUses,
    };
  }

  /** The `data` of lookup / lookup-self. */
  static describe(entry: TokenEntry, includeId: boolean): Record<string, unknown> {
    const data: Record<string, unknown> = {
      accessor: entry.accessor,
      creation_time: entry.creationTime,
      creation_ttl: entry.creationTtl,
      display_name: entry.displayName,
      entity_id: entry.entityId,
      expire_time: entry.expireAt > 0 ? new Date(entry.expireAt).toISOString() : null,
      explicit_max_ttl: entry.explicitMaxTtl,
      id: includeId ? entry.id : '',
      issue_time: new Date(entry.issueAt).toISOString(),
      meta: entry.meta,
      num_uses: entry.numUses,
      orphan: entry.orphan,
      path: entry.path,
      policies: entry.policies,
      renewable: entry.renewable,
      ttl: TokenStore.ttlOf(entry),
      type: 'service',
    };
    if (entry.period > 0) data['period'] = entry.period;
    return data;
  }
}
