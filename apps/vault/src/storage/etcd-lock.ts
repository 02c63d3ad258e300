// The HA lock on etcd, laid out as Vault's etcd backend lays it out (docs/vault.md#ha-on-etcd):
// each contender holds a lease of `lock_timeout` seconds and a key `<path>core/lock/<lease id in
// hex>` whose value is its lock value; the contender whose key has the lowest create revision
// holds the lock. A holder that cannot renew its lease (etcd gone, partition) loses the lock when
// the lease expires, and learns it from the lease's `lost` event.
import { setTimeout as delay } from 'node:timers/promises';
import type { Etcd3, Lease } from 'etcd3';
import type { HaLock, HeldLock } from './storage.js';

/** How often a waiting contender checks whether its key became the first. */
const POLL_MS = 250;

export class EtcdHaLock implements HaLock {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #value: string;
  readonly #ttl: number;
  #lease: Lease | undefined;

  /** `prefix` is the lock's etcd key (e.g. `/vault/core/lock`); contenders' keys go below it. */
  constructor(client: Etcd3, prefix: string, value: string, ttlSeconds: number) {
    this.#client = client;
    this.#prefix = `${prefix.replace(/\/+$/, '')}/`;
    this.#value = value;
    this.#ttl = Math.max(1, Math.round(ttlSeconds));
  }

  async acquire(signal: AbortSignal): Promise<HeldLock> {
    await this.release();
    const lease = this.#client.lease(this.#ttl);
    this.#lease = lease;
    const lost = new Promise<void>((resolve) => lease.on('lost', () => resolve()));
    try {
      const id = BigInt(await lease.grant()).toString(16);
      const key = `${this.#prefix}${id}`;
      await lease.put(key).value(this.#value);
      for (;;) {
        if (signal.aborted) throw new Error('lock wait cancelled');
        if (lease.revoked()) throw new Error('lock lease lost while waiting');
        const first = await this.#firstKey();
        if (first === key) return { lost };
        await delay(POLL_MS, undefined, { signal }).catch(() => undefined);
      }
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  async release(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease && !lease.revoked()) await lease.revoke().catch(() => undefined);
  }

  async holder(): Promise<string | undefined> {
    const res = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').limit(1).exec();
    const kv = res.kvs[0];
    return kv ? kv.value.toString('utf8') : undefined;
  }

  async contenders(): Promise<string[]> {
    const res = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').exec();
    return res.kvs.map((kv) => kv.value.toString('utf8'));
  }

  async #firstKey(): Promise<string | undefined> {
    const res = await this.#client.getAll().prefix(this.#prefix).sort('Create', 'Ascend').limit(1).exec();
    return res.kvs[0]?.key.toString('utf8');
  }
}
