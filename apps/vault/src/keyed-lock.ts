// One mutex per string key, for read-modify-write of security state (token use counts, secret-ID
// uses, lockout counters, KV v2 versions, mount tables). Single process: the file backend is
// not HA, so an in-process lock is the whole story.

/**
 * Serialises async work per key: `run(key, fn)` starts fn once every earlier run of the same key
 * has settled (FIFO). Different keys never wait on each other. Not re-entrant: a run that awaits
 * another run of its own key deadlocks. An idle key holds no memory.
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

  /** Keys with a run in progress or queued (tests use this to see that nothing leaks). */
  get size(): number {
    return this.#tails.size;
  }
}
