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
    if (Array.isArray(v)) return v.map((item) => walk(item, key));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        if (item === undefined) continue;
        Object.defineProperty(out, k, {
          value: walk(item, k),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return v;
  };
  // A JSON round trip first, as Vault's copy does: Buffers, Dates and the like become JSON values.
  return walk(JSON.parse(JSON.stringify(value ?? null)), undefined);
}
