// The key cache in front of a keystore (docs/kes-protocol.md#key-cache).
import { decodeKey, type KesKey } from './key.js';
import type { Keystore, KeystoreState } from './keystore/keystore.js';

export interface CacheOptions {
  /** Drop the whole cache every `anyMs` (E1 `all`); 0 = never. */
  anyMs: number;
  /** Drop entries not used between two sweeps; sweeps run every `unusedMs / 2`; 0 = never. */
  unusedMs: number;
  /**
   * When > 0 a status probe runs every `probeMs`; while the keystore is unreachable the any/unused
   * sweeps are suspended and only a full wipe every `offlineMs` applies (KES v0.17.3+).
   */
  offlineMs: number;
  /** Probe interval for offline detection (KES: 10 s). */
  probeMs?: number;
}

interface Entry {
  key: KesKey;
  used: boolean;
}

/**
 * Caches decoded master keys by name. Only successful `get`s populate it; concurrent misses for one
 * name share a single keystore call; `delete` drops only this node's entry (other nodes keep using
 * a deleted key until their entry expires, as in KES). Timers are unref'd; call `close`.
 */
export class KeyCache {
  readonly #store: Keystore;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<KesKey>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #offline = false;
  readonly #offlineMode: boolean;
  #hits = 0;
  #misses = 0;

  constructor(store: Keystore, opts: CacheOptions) {
    this.#store = store;
    this.#offlineMode = opts.offlineMs > 0;
    const every = (ms: number, fn: () => void): void => {
      if (ms > 0) this.#timers.push(setInterval(fn, ms).unref());
    };
    every(opts.anyMs, () => {
      if (!this.#offline) this.clear();
    });
    every(opts.unusedMs > 0 ? Math.max(1, Math.floor(opts.unusedMs / 2)) : 0, () => {
      if (!this.#offline) this.#sweepUnused();
    });
    if (opts.offlineMs > 0) {
      every(opts.offlineMs, () => {
        if (this.#offline) this.clear();
      });
      every(opts.probeMs ?? 10_000, () => {
        void this.#store.status().then(
          (s) => {
            this.#offline = !s.reachable;
          },
          () => {
            this.#offline = true;
          },
        );
      });
    }
  }

  /** True while the offline probe considers the keystore down. */
  get isOffline(): boolean {
    return this.#offline;
  }

  get size(): number {
    return this.#entries.size;
  }

  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** The cached key, or undefined on a miss (which `get` then resolves). */
  peek(name: string): KesKey | undefined {
    const e = this.#entries.get(name);
    if (!e) return undefined;
    e.used = true;
    this.#hits++;
    return e.key;
  }

  /** The key from the cache or the keystore; errors of `Keystore.get` and KeyFormatError pass through. */
  get(name: string, signal?: AbortSignal): Promise<KesKey> {
    const e = this.#entries.get(name);
    if (e) {
      e.used = true;
      this.#hits++;
      return Promise.resolve(e.key);
    }
    this.#misses++;
    let p = this.#inflight.get(name);
    if (!p) {
      // The shared call must not be cut short by one caller's deadline: it runs unaborted and each
      // caller races it against its own signal. It fills the cache only while it is still the
      // current read of `name`: a delete (evict) or wipe in the meantime may have removed what it
      // read, and a deleted key must not come back from a read that started before the delete.
      const read: Promise<KesKey> = this.#store
        .get(name)
        .then((value) => {
          const key = decodeKey(value);
          if (this.#inflight.get(name) === read) this.#entries.set(name, { key, used: true });
          return key;
        })
        .finally(() => {
          if (this.#inflight.get(name) === read) this.#inflight.delete(name);
        });
      p = read;
      this.#inflight.set(name, p);
    }
    return signal ? raceSignal(p, signal) : p;
  }

  /**
   * Drops one entry (after a delete on this node), and detaches a read of it still in flight: that
   * read no longer fills the cache, and later gets start a fresh one.
   */
  evict(name: string): void {
    this.#entries.delete(name);
    this.#inflight.delete(name);
  }

  // Entries are dropped, not zeroed: a request may still hold the key between its cache lookup and
  // its seal/open, and zeroing under it would encrypt with an all-zero key.
  /** Drops every entry and detaches reads in flight (see `evict`). */
  clear(): void {
    this.#entries.clear();
    this.#inflight.clear();
  }

  #sweepUnused(): void {
    for (const [name, e] of this.#entries) {
      if (e.used) e.used = false;
      else this.evict(name);
    }
  }

  /** Marks the keystore reachable or not after a synchronous status check; no-op without offline mode. */
  noteState(state: KeystoreState): void {
    if (this.#offlineMode) this.#offline = !state.reachable;
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    this.clear();
  }
}

function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
