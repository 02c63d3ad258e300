// E2–E4 (KES v0.8 … HEAD): the YAML file, every field of docs/kes-protocol.md#yaml-at-head plus the
// older spellings (`root`, `policy.X.paths`, `cache.expiry.all`) so configs written for earlier
// releases still load.
import type { LogLevel } from '@kms-chain/log';
import { z } from 'zod';
import { duration, errorSpelling, identity, optString, stringList } from './fields.js';
import { normalizeAdmin } from './toml.js';
import type { KeystoreConfig, ServerConfig } from './types.js';

const onOff = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (s === 'on' || s === 'true') return true;
    if (s === 'off' || s === 'false') return false;
    if (/^(debug|info|warn|error)([+-]\d+)?$/.test(s)) return true;
    ctx.addIssue({ code: 'custom', message: 'expected "on" or "off"' });
    return z.NEVER;
  });

const SLOG_LEVELS: Record<string, number> = { debug: -4, info: 0, warn: 4, error: 8 };

/**
 * `log.error`: `on`/`off`, or KES HEAD's level word (Go slog's `debug`, `info`, `warn`, `error`,
 * with an offset as in `debug-4`), the least severe level written: below debug is trace.
 */
const errorLog = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v, ctx): { on: boolean; level?: LogLevel } | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return { on: v };
    const s = v.trim().toLowerCase();
    if (s === 'on' || s === 'true') return { on: true };
    if (s === 'off' || s === 'false') return { on: false };
    const m = /^(debug|info|warn|error)([+-]\d+)?$/.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'expected "on", "off" or a level (debug, info, warn, error)' });
      return z.NEVER;
    }
    const n = SLOG_LEVELS[m[1]!]! + Number(m[2] ?? 0);
    const level: LogLevel = n < -4 ? 'trace' : n < 0 ? 'debug' : n < 4 ? 'info' : n < 8 ? 'warn' : 'error';
    return { on: true, level };
  });

const vaultSchema = z.object({
  endpoint: z
    .union([z.string(), z.array(z.string())], { error: 'expected the Vault URL or a list of them' })
    .transform((v) => (Array.isArray(v) ? v : [v]).map((e) => e.trim()).filter((e) => e !== ''))
    .refine((v) => v.length > 0, 'expected the Vault URL'),
  engine: z.string().default('kv'),
  version: z.enum(['v1', 'v2'], { error: 'expected "v1" or "v2"' }).default('v1'),
  namespace: z.string().default(''),
  prefix: z.string().default(''),
  approle: z
    .object({
      namespace: optString,
      engine: z.string().default('approle'),
      id: z.string({ error: 'expected the AppRole role ID' }),
      secret: z.string({ error: 'expected the AppRole secret ID' }),
      retry: duration('5s'),
    })
    .optional(),
  kubernetes: z
    .object({
      namespace: optString,
      engine: z.string().default('kubernetes'),
      role: z.string({ error: 'expected the Kubernetes role' }),
      jwt: z.string({ error: 'expected a JWT or the path of a JWT file' }),
      retry: duration('5s'),
    })
    .optional(),
  tls: z.object({ key: optString, cert: optString, ca: optString }).prefault({}),
  status: z.object({ ping: duration('15s') }).prefault({}),
});

export const yamlSchema = z.object({
  version: z.literal('v1', { error: 'expected "v1"' }).optional(),
  address: z.string().default('0.0.0.0:7373'),
  admin: z.object({ identity: z.string({ error: 'expected an identity' }) }).optional(),
  /** E2 spelling of admin.identity. */
  root: z.string().optional(),
  /** Our setting (not in real KES): error-message spelling, default head. */
  errors: errorSpelling,
  /** Our setting: policy matching, default prefix (HEAD). */
  policy_match: z.enum(['prefix', 'glob'], { error: 'expected "prefix" or "glob"' }).optional(),
  tls: z.object({
    key: z.string({ error: 'expected the path of the private key' }),
    cert: z.string({ error: 'expected the path of the certificate' }),
    password: optString,
    auth: onOff,
    ca: optString,
    proxy: z.object({ identities: stringList, header: z.object({ cert: optString }).default({}) }).optional(),
  }),
  cache: z
    .object({
      expiry: z
        .object({ any: optString, all: optString, unused: duration('30s'), offline: duration('0') })
        .prefault({}),
    })
    .prefault({}),
  api: z
    .record(
      z.string(),
      z
        .object({ skip_auth: z.boolean().default(false), timeout: optString })
        .nullable()
        .default(null),
    )
    .prefault({}),
  policy: z
    .record(
      z.string(),
      z.object({
        allow: stringList,
        paths: stringList,
        deny: stringList,
        identities: z.array(identity).default([]),
      }),
    )
    .prefault({}),
  log: z.object({ error: errorLog, audit: onOff, audit_file: optString, error_file: optString }).prefault({}),
  keys: z.array(z.object({ name: z.string() })).default([]),
  keystore: z
    .object({
      fs: z.object({ path: z.string({ error: 'expected a directory path' }) }).optional(),
      vault: vaultSchema.optional(),
      mem: z.object({}).optional(),
    })
    .optional(),
});

export type YamlConfig = z.output<typeof yamlSchema>;

const skippable = ['/v1/ready', '/v1/status', '/v1/metrics', '/v1/api'];

/** Maps a parsed YAML document onto the server config; throws `Error` naming the field on semantic errors. */
export function fromYaml(
  file: string,
  c: YamlConfig,
  durationOf: (path: string, v: string) => number,
): ServerConfig {
  const ks = c.keystore;
  let keystore: KeystoreConfig;
  const kinds = ks ? [ks.fs, ks.vault, ks.mem].filter((x) => x !== undefined).length : 0;
  if (kinds === 0) throw new Error(`${file}: keystore: no keystore specified`);
  if (kinds > 1) throw new Error(`${file}: keystore: more than one keystore specified`);
  if (ks?.vault) {
    const v = ks.vault;
    if ((v.approle === undefined) === (v.kubernetes === undefined)) {
      throw new Error(`${file}: keystore.vault: exactly one of approle and kubernetes must be specified`);
    }
    keystore = {
      kind: 'vault',
      endpoints: v.endpoint,
      engine: v.engine,
      version: v.version,
      namespace: v.namespace,
      prefix: v.prefix,
      approle: v.approle
        ? {
            engine: v.approle.engine,
            namespace: v.approle.namespace,
            id: v.approle.id,
            secret: v.approle.secret,
            retryMs: v.approle.retry,
          }
        : { engine: 'approle', id: '', secret: '', retryMs: v.kubernetes?.retry ?? 5000 },
      ...(v.kubernetes
        ? {
            kubernetes: {
              engine: v.kubernetes.engine,
              namespace: v.kubernetes.namespace,
              role: v.kubernetes.role,
              jwt: v.kubernetes.jwt,
              retryMs: v.kubernetes.retry,
            },
          }
        : {}),
      tls: { ...v.tls },
      pingMs: v.status.ping,
    };
  } else if (ks?.fs) keystore = { kind: 'fs', path: ks.fs.path };
  else keystore = { kind: 'mem' };

  const adminRaw = c.admin?.identity ?? c.root;
  if (adminRaw === undefined || adminRaw.trim() === '')
    throw new Error(`${file}: admin.identity: admin identity is required`);

  const skipAuth: string[] = [];
  const timeouts: Record<string, number> = {};
  for (const [path, api] of Object.entries(c.api)) {
    if (!api) continue;
    if (api.skip_auth) {
      if (!skippable.includes(path))
        throw new Error(`${file}: api.${path}.skip_auth: not allowed for this API`);
      skipAuth.push(path);
    }
    if (api.timeout !== undefined) timeouts[path] = durationOf(`api.${path}.timeout`, api.timeout);
  }
  const anyText = c.cache.expiry.any ?? c.cache.expiry.all;
  const seen = new Set<string>();
  for (const k of c.keys) {
    if (seen.has(k.name)) throw new Error(`${file}: keys: duplicate key '${k.name}'`);
    seen.add(k.name);
  }
  return {
    file,
    era: 'yaml',
    address: c.address,
    admin: normalizeAdmin(adminRaw),
    tls: {
      key: c.tls.key,
      cert: c.tls.cert,
      password: c.tls.password,
      ca: c.tls.ca,
      clientAuth: c.tls.auth ? 'verify' : 'ignore',
    },
    policies: Object.entries(c.policy).map(([name, p]) => ({
      name,
      allow: [...p.allow, ...p.paths],
      deny: p.deny,
      identities: p.identities,
    })),
    policyMatch: c.policy_match ?? 'prefix',
    errors: c.errors ?? 'head',
    cache: {
      anyMs: anyText === undefined ? 300_000 : durationOf('cache.expiry.any', anyText),
      unusedMs: c.cache.expiry.unused,
      offlineMs: c.cache.expiry.offline,
    },
    log: {
      error: c.log.error?.on ?? true,
      ...(c.log.error?.level ? { level: c.log.error.level } : {}),
      audit: c.log.audit ?? false,
      errorFiles: c.log.error_file ? [c.log.error_file] : [],
      auditFiles: c.log.audit_file ? [c.log.audit_file] : [],
    },
    skipAuth,
    timeouts,
    keys: c.keys.map((k) => k.name),
    keystore,
  };
}
