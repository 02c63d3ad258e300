import type { Barrier } from './barrier.js';
import { badRequest } from './errors.js';

/** Rejects keys that would escape their mount or collapse in storage. */
export function checkKey(key: string): string {
  if (key === '') return key;
  const body = key.endsWith('/') ? key.slice(0, -1) : key;
  for (const seg of body.split('/')) {
    // Vault's own refusal of `..` (its storage and request handling) reads this way.
    if (seg === '..') throw badRequest(`invalid path "${key}": path cannot contain parent references`);
    if (seg === '' || seg === '.' || seg.includes('\0') || seg.includes('\\'))
      throw badRequest(`invalid path "${key}": empty, "." and ".." segments are not allowed`);
  }
  return key;
}

/** A barrier restricted to one prefix (a mount's `logical/<uuid>/`). */
export class BarrierView {
  readonly #barrier: Barrier;
  readonly #prefix: string;

  constructor(barrier: Barrier, prefix: string) {
    this.#barrier = barrier;
    this.#prefix = prefix;
  }

  get = (key: string) => this.#barrier.get(this.#prefix + checkKey(key));
  put = (key: string, v: Uint8Array) => this.#barrier.put(this.#prefix + checkKey(key), v);
  delete = (key: string) => this.#barrier.delete(this.#prefix + checkKey(key));
  list = (prefix: string) => this.#barrier.list(this.#prefix + checkKey(prefix));
  getJson = <T>(key: string) => this.#barrier.getJson<T>(this.#prefix + checkKey(key));
  putJson = (key: string, v: unknown) => this.#barrier.putJson(this.#prefix + checkKey(key), v);

  /** A view of the keys under prefix (which must end with `/`). */
  sub(prefix: string): BarrierView {
    return new BarrierView(this.#barrier, this.#prefix + prefix);
  }

  /** Deletes every key under this view (unmount). */
  async clear(prefix = ''): Promise<void> {
    for (const child of await this.list(prefix)) {
      if (child.endsWith('/')) await this.clear(prefix + child);
      else await this.delete(prefix + child);
    }
  }
}
