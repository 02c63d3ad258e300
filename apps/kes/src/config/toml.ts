// E1 (the MinIO KMS guide's era, KES v0.4–v0.7): the TOML file. Every field of docs/kes-protocol.md#toml-era.
import { z } from 'zod';
import { duration, errorSpelling, identity, optString, stringList } from './fields.js';
import type { KeystoreConfig, ServerConfig } from './types.js';

const vaultSchema = z.object({
  address: z.string({ error: 'expected the Vault URL' }).min(1, 'expected the Vault URL'),
  name: z.string().default(''),
  namespace: z.string().default(''),
  approle: z.object({
    id: z.string().default(''),
    secret: z.string().default(''),
    retry: duration('5s'),
  }),
  tls: z.object({ key: optString, cert: optString, ca: optString }).prefault({}),
  status: z.object({ ping: duration('10s') }).prefault({}),
});

export const tomlSchema = z.object({
  /** Listen address; `--addr` wins. */
  address: z.string().default('127.0.0.1:7373'),
  /** Admin identity; `--root` wins; "disabled", "_" or any non-hash disables it. */
  root: z.string().optional(),
  /** Our setting (not in real KES): error-message spelling, default legacy for this era. */
  errors: errorSpelling,
  tls: z
    .object({
      key: optString,
      cert: optString,
      /** Our addition: CA for `--mtls-auth=verify`. */
      ca: optString,
      proxy: z
        .object({ identities: stringList, header: z.object({ cert: optString }).default({}) })
        .optional(),
    })
    .prefault({}),
  policy: z
    .record(
      z.string(),
      z.object({
        paths: stringList,
        /** Our addition: HEAD's deny list is accepted here too. */
        deny: stringList,
        identities: z.array(identity).default([]),
      }),
    )
    .prefault({}),
  cache: z
    .object({
      expiry: z.object({ all: duration('0'), unused: duration('0'), offline: duration('0') }).prefault({}),
    })
    .prefault({}),
  log: z
    .object({
      error: z.object({ file: stringList }).optional(),
      audit: z.object({ file: stringList }).optional(),
    })
    .prefault({}),
  keystore: z
    .object({
      fs: z.object({ path: z.string({ error: 'expected a directory path' }) }).optional(),
      vault: vaultSchema.optional(),
    })
    .prefault({}),
  /** KES v0.1–v0.4.0 spelled the keystores as top-level [vault] and [fs]. */
  vault: vaultSchema.optional(),
  fs: z.object({ path: z.string({ error: 'expected a directory path' }) }).optional(),
});

export type TomlConfig = z.output<typeof tomlSchema>;

/** Maps a parsed E1 document onto the server config. */
export function fromToml(file: string, c: TomlConfig): ServerConfig {
  let keystore: KeystoreConfig = { kind: 'mem' };
  const vault = c.keystore.vault ?? c.vault;
  const fs = c.keystore.fs ?? c.fs;
  if (vault) {
    const v = vault;
    keystore = {
      kind: 'vault',
      endpoints: v.address
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
      engine: 'kv',
      version: 'v1',
      namespace: v.namespace,
      prefix: v.name,
      approle: { engine: 'approle', id: v.approle.id, secret: v.approle.secret, retryMs: v.approle.retry },
      tls: { ...v.tls },
      pingMs: v.status.ping,
    };
  } else if (fs) {
    keystore = { kind: 'fs', path: fs.path };
  }
  return {
    file,
    era: 'toml',
    address: c.address,
    admin: normalizeAdmin(c.root),
    tls: { key: c.tls.key ?? '', cert: c.tls.cert ?? '', ca: c.tls.ca, clientAuth: 'verify' },
    policies: Object.entries(c.policy).map(([name, p]) => ({
      name,
      allow: p.paths,
      deny: p.deny,
      identities: p.identities,
    })),
    policyMatch: 'glob',
    errors: c.errors ?? 'legacy',
    cache: { anyMs: c.cache.expiry.all, unusedMs: c.cache.expiry.unused, offlineMs: c.cache.expiry.offline },
    log: {
      error: true,
      audit: (c.log.audit?.file.length ?? 0) > 0,
      errorFiles: c.log.error?.file ?? [],
      auditFiles: c.log.audit?.file ?? [],
    },
    skipAuth: [],
    timeouts: {},
    keys: [],
    keystore,
  };
}

/**
 * An admin identity is a 64-char hex hash; anything else ("disabled", "_") disables it
 * (docs/kes-protocol.md#admin-identity).
 */
export function normalizeAdmin(value: string | undefined): string | undefined {
  const v = value?.trim().toLowerCase();
  return v && /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}
