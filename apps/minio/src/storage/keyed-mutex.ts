// One lock per string key, for read-modify-write sequences of one object or one bucket's settings.
/**
 * Serialises async work per string key: `run(id, fn)` starts `fn` once every earlier `run` with the same
 * id has settled, and settles as `fn` does. Ids are forgotten when idle.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => next);
    this.tails.set(id, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }
}
