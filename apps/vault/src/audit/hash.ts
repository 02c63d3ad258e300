// What an audit device hides and how: every string value of request and response data, every
// token and (by default) every accessor becomes `hmac-sha256:<hex>`, an HMAC-SHA256 keyed with the
// device's salt, as Vault writes them (docs/vault.md#audit). The same input always gives the same
// HMAC under one device, so an operator who knows a value can find it with sys/audit-hash.
import { createHmac } from 'node:crypto';

/** A device's salt: Vault keeps a UUID string and keys the HMAC with its bytes. */
export class AuditSalt {
  readonly #key: Buffer;

  constructor(salt: string) {
    this.#key = Buffer.from(salt, 'utf8');
  }

  /** `hmac-sha256:<64 hex>` of value. */
  hmac(value: string): string {
    return `hmac-sha256:${createHmac('sha256', this.#key).update(value, 'utf8').digest('hex')}`;
  }

  /**
   * hmac, remembering results in `memo`: one request's two entries name the same token,
   * accessor and data. The memo lives as long as that request, never longer.
   */
  memoHmac(value: string, memo: Map<string, string>): string {
    let h = memo.get(value);
    if (h === undefined) {
      h = this.hmac(value);
      memo.set(value, h);
    }
    return h;
  }
}

// Go's time.Time text form (RFC 3339, optional fraction): Vault leaves such strings clear.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A deep copy of a JSON value with every string value replaced by hash(value). Object keys stay
 * clear, as do numbers, booleans, null and RFC 3339 timestamps; a value under a key named in
 * `clearKeys` (at any depth, including the items of a list under it) stays clear too.
 */
export function hashValues(
  value: unknown,
  hash: (s: string) => string,
  clearKeys: readonly string[] = [],
): unknown {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === 'string') {
      if (TIMESTAMP.test(v) || (key !== undefined && clearKeys.includes(key))) return v;
      return hash(v);
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item) => (item === undefined ? null : walk(item, key)));
    const proto = Object.getPrototypeOf(v);
    // Anything but a plain object (a Buffer, a Date) goes as its JSON form, as Vault's copy does.
    if (proto !== Object.prototype && proto !== null) return walk(JSON.parse(JSON.stringify(v)), key);
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined || typeof item === 'function') continue;
      Object.defineProperty(out, k, {
        value: walk(item, k),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return walk(value ?? null, undefined);
}
