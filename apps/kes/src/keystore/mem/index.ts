import { KeyExistsError, KeyNotFoundError, type Keystore, type KeystoreState } from '../keystore.js';

/** An in-memory keystore: lost on exit. Used by `kes server --dev` and tests. */
export class MemKeystore implements Keystore {
  readonly #keys = new Map<string, string>();

  async create(name: string, value: string): Promise<void> {
    if (this.#keys.has(name)) throw new KeyExistsError(name);
    this.#keys.set(name, value);
  }

  async get(name: string): Promise<string> {
    const value = this.#keys.get(name);
    if (value === undefined) throw new KeyNotFoundError(name);
    return value;
  }

  async delete(name: string): Promise<void> {
    this.#keys.delete(name);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#keys.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  async status(): Promise<KeystoreState> {
    return { latencyMs: 0, reachable: true };
  }

  async close(): Promise<void> {}
}
