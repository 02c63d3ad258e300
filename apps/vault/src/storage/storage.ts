// The physical storage contract, the seam for every backend (file, in-memory, later etcd).
// Keys are slash-separated logical paths ("core/keyring", "logical/<uuid>/a/b"); values are the
// bytes the barrier produced. Backends never see plaintext above `core/seal-config`.

/** Thrown for keys a backend refuses (traversal, empty segments). */
export class StorageKeyError extends Error {
  constructor(key: string) {
    super(`invalid storage key: ${JSON.stringify(key)}`);
    this.name = 'StorageKeyError';
  }
}

/**
 * A key/value store with hierarchical listing.
 * - get: the stored bytes, or undefined when absent.
 * - put: durable once the promise resolves (the file backend fsyncs before rename).
 * - delete: idempotent.
 * - list(prefix): immediate children of `prefix` (which is "" or ends with "/"), sorted;
 *   children that have descendants end with "/". A key may be both a leaf and a folder.
 * All methods reject with StorageKeyError for keys containing `..` or empty segments.
 */
export interface Storage {
  readonly type: string;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

/** A held HA lock: `lost` resolves when it ended without release() (lease expired, etcd gone). */
export interface HeldLock {
  lost: Promise<void>;
}

/** One contender for the HA lock (docs/vault.md#ha-on-etcd). */
export interface HaLock {
  /**
   * Waits until this contender holds the lock.
   * @throws Error when `signal` aborts the wait (the contender withdraws) or the store fails.
   */
  acquire(signal: AbortSignal): Promise<HeldLock>;
  /** Gives the lock, or the place in line, up at once. */
  release(): Promise<void>;
  /** The lock value of the current holder; undefined when nobody holds it. */
  holder(): Promise<string | undefined>;
  /** The lock values of every contender (holder first, then in line). */
  contenders(): Promise<string[]>;
}

/** A storage that can coordinate active and standby nodes (`ha_enabled`). */
export interface HaBackend {
  /** A new contender whose lock value is `value`. */
  haLock(value: string): HaLock;
}

/** Validates a logical key: non-empty segments, no `.`/`..`, no NUL or backslash. */
export function assertValidKey(key: string, allowTrailingSlash = false): void {
  const body = allowTrailingSlash && key.endsWith('/') ? key.slice(0, -1) : key;
  if (body === '' && allowTrailingSlash) return;
  if (body === '' || /[\0\\]/.test(body)) throw new StorageKeyError(key);
  for (const seg of body.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new StorageKeyError(key);
  }
}
