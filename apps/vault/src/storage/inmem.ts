import { assertValidKey, type Storage } from './storage.js';

/** An in-memory Storage for `-dev` mode and tests; values are copied in and out. */
export class InmemStorage implements Storage {
  readonly type = 'inmem';
  readonly #data = new Map<string, Buffer>();

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    const v = this.#data.get(key);
    return v ? Buffer.from(v) : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    this.#data.set(key, Buffer.from(value));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.#data.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKey(prefix, true);
    const out = new Set<string>();
    for (const key of this.#data.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    return [...out].sort();
  }
}
