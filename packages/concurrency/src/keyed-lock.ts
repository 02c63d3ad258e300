// One lock per string key, for read-modify-write sequences on state that a single process owns:
// token and secret-ID use counts, lockout counters, KV versions and mount tables in vault; one
// object's files and one bucket's settings in minio. The lock is in-process only; state shared by
// several processes needs a lock in the storage that holds it.

/**
 * Serialises async work per key: `run(key, fn)` starts `fn` once every earlier run with the same
 * key has settled (first come, first served), and settles as `fn` does; a rejected run does not
 * stop the next. Different keys never wait on each other. Not re-entrant: a run that awaits
 * another run of its own key never finishes. A key with nothing running or queued holds no memory.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = prev ? prev.then(() => mine) : mine;
    this.#tails.set(key, tail);
    try {
      if (prev) await prev;
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with a run in progress or queued. */
  get size(): number {
    return this.#tails.size;
  }
}
