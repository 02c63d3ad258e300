// The keystore the server talks to: a cache wrapped around any Keystore, as KES wraps its backends
// (docs/kes-protocol.md#key-cache). Handlers call this one object for every key operation.
import { decodeKey, encodeKey, type KesKey } from './key.js';
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
 * Master keys by name, decoded, in front of a Keystore. The Keystore contract, in keys:
 * - `create(name, key)`: encodes and stores a new key; KeyExistsError, KeystoreUnavailableError.
 *   The key is cached on its first use, not here.
 * - `get(name)`: from memory or the store; KeyNotFoundError, KeystoreUnavailableError,
 *   KeyFormatError. Only successful gets fill the cache; concurrent misses for one name share one
 *   store call, each caller racing it against its own `signal`. `peek` is the synchronous hit.
 * - `delete(name)`: deletes in the store, then drops this node's entry (other nodes keep using a
 *   deleted key until their entry expires, as in KES); KeystoreUnavailableError.
 * - `list(prefix)`, `status()`: the store's, uncached; `status` also feeds the offline detector.
 * - `close()`: stops the timers (they are unref'd), drops every entry and closes the store.
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

  /** Stores a new key (see the class comment); `signal` aborts the store call. */
  create(name: string, key: KesKey, signal?: AbortSignal): Promise<void> {
    return this.#store.create(name, encodeKey(key), signal);
  }

  /** Deletes `name` in the store, then here (see `#evict`). */
  async delete(name: string, signal?: AbortSignal): Promise<void> {
    await this.#store.delete(name, signal);
    this.#evict(name);
  }

  /** Names starting with `prefix`, sorted: always the store's answer. */
  list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    return this.#store.list(prefix, signal);
  }

  /** The store's reachability; a probe the offline detector learns from too. */
  async status(signal?: AbortSignal): Promise<KeystoreState> {
    const state = await this.#store.status(signal);
    if (this.#offlineMode) this.#offline = !state.reachable;
    return state;
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
  #evict(name: string): void {
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
      else this.#evict(name);
    }
  }

  /** Stops the timers, drops every entry and closes the store. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    this.clear();
    await this.#store.close();
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
