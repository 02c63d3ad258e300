import { createHmac, randomUUID } from 'node:crypto';
import { secureRandomBytes } from '@kms-chain/crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform random base62 text (rejection sampling keeps every character equally likely). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of secureRandomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export const newUuid = (): string => randomUUID();

/** Service tokens as Vault ≥ 1.10 issues them from the token store: `hvs.` + 24 base62. */
export const newServiceToken = (): string => `hvs.${randomBase62(24)}`;

export const newAccessor = (): string => randomBase62(24);

/** Storage key for a secret identifier: HMAC-SHA256 under a per-store salt, hex. */
export function saltedKey(salt: Uint8Array, value: string): string {
  return createHmac('sha256', salt).update(value).digest('hex');
}

export const randomHex = (bytes: number): string => secureRandomBytes(bytes).toString('hex');
