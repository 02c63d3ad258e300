// The request headers audit entries record (sys/config/auditing/request-headers): by default
// none; each configured name (case-insensitive) is copied into `request.headers`, its values
// HMAC'd when the config says `hmac`. Kept under the barrier, reloaded at unseal. The chain
// configures `traceparent` and `x-request-id` here to join a KES call to its Vault requests.
import type { Barrier } from '../barrier.js';

const CONFIG_PATH = 'sys/audited-headers-config/audited-headers';

/**
 * Headers that carry a token: written HMAC'd whatever their config says. Vault would copy them
 * clear when told to; a token must never reach an audit log in the clear.
 */
const ALWAYS_HMAC = new Set(['x-vault-token', 'authorization', 'cookie']);

export type HeaderSettings = Record<string, { hmac: boolean }>;

export class AuditedHeaders {
  readonly #barrier: Barrier;
  #config: HeaderSettings = {};

  constructor(barrier: Barrier) {
    this.#barrier = barrier;
  }

  async load(): Promise<void> {
    const stored = (await this.#barrier.getJson<HeaderSettings>(CONFIG_PATH)) ?? {};
    const config: HeaderSettings = {};
    for (const [k, v] of Object.entries(stored)) config[k.toLowerCase()] = { hmac: v.hmac === true };
    this.#config = config;
  }

  clear(): void {
    this.#config = {};
  }

  /** The whole config, names lower-case. */
  get all(): HeaderSettings {
    return { ...this.#config };
  }

  get(name: string): { hmac: boolean } | undefined {
    return Object.hasOwn(this.#config, name.toLowerCase()) ? this.#config[name.toLowerCase()] : undefined;
  }

  async add(name: string, hmac: boolean): Promise<void> {
    const next = { ...this.#config, [name.toLowerCase()]: { hmac } };
    await this.#barrier.putJson(CONFIG_PATH, next);
    this.#config = next;
  }

  async remove(name: string): Promise<void> {
    const next = { ...this.#config };
    delete next[name.toLowerCase()];
    await this.#barrier.putJson(CONFIG_PATH, next);
    this.#config = next;
  }

  /** The configured headers present in `headers`, each a list of values, hashed where asked. */
  apply(
    headers: Record<string, string | string[] | undefined>,
    hash: (v: string) => string,
  ): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    if (Object.keys(this.#config).length === 0) return out;
    const lower = new Map<string, string[]>();
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      lower.set(k.toLowerCase(), Array.isArray(v) ? [...v] : [v]);
    }
    for (const [name, settings] of Object.entries(this.#config)) {
      const values = lower.get(name);
      if (!values) continue;
      const value = settings.hmac || ALWAYS_HMAC.has(name) ? values.map(hash) : values;
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
