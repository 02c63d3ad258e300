// `vault server -config FILE`: JSON or HCL with one schema. Durations, sizes and booleans are
// coerced once here; invalid values name the file and field; unknown keys are collected so the
// server can log them once.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { parseDurationSeconds } from './duration.js';

export interface ListenerConfig {
  address: string;
  tlsDisable: boolean;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  tlsMinVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  tlsMaxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** Bytes; requests above answer 413. */
  maxRequestSize: number;
  /** Seconds. */
  maxRequestDuration: number;
  /** `telemetry { unauthenticated_metrics_access }`: sys/metrics answers without a token. */
  unauthenticatedMetricsAccess: boolean;
  /** `cluster_address`: where the node-to-node listener binds (default: `address`'s port + 1). */
  clusterAddress?: string | undefined;
}

/** The `telemetry` stanza, as far as it concerns the metrics this server keeps. */
export interface TelemetryConfig {
  /** Seconds; 0 = Prometheus format disabled (the default when there is no stanza). */
  prometheusRetentionTime: number;
  /** Gauge names are not prefixed with the host name. */
  disableHostname: boolean;
  /** Every metric carries a `host` label instead. */
  enableHostnameLabel: boolean;
  /** First name segment (default `vault`). */
  metricsPrefix: string;
}

/** What a server without a `telemetry` stanza runs with. */
export const NO_TELEMETRY_STANZA: TelemetryConfig = {
  prometheusRetentionTime: 0,
  disableHostname: false,
  enableHostnameLabel: false,
  metricsPrefix: 'vault',
};

export interface ServerConfig {
  storage: StorageBlock;
  listeners: ListenerConfig[];
  apiAddr: string;
  clusterAddr: string;
  /** `disable_clustering`: no cluster listener, no request forwarding (standbys answer 307). */
  disableClustering: boolean;
  /** Seconds (default 768h). */
  defaultLeaseTtl: number;
  /** Seconds (default 768h). */
  maxLeaseTtl: number;
  disableMlock: boolean;
  /** `allow_audit_log_prefixing`: file audit devices may take a `prefix` (off by default, as in Vault ≥ 1.20.1). */
  allowAuditLogPrefixing: boolean;
  ui: boolean;
  clusterName: string;
  /** `log_level` as written (trace, debug, info, warn, error; checked when the server starts). */
  logLevel: string;
  /** `log_format`: `standard` (readable lines) or `json` (checked when the server starts). */
  logFormat: string;
  /** The `telemetry` stanza (NO_TELEMETRY_STANZA when absent). */
  telemetry: TelemetryConfig;
  /** Top-level keys accepted but not implemented. */
  ignoredKeys: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_TTL = 768 * 3600;

const bool = z.union([z.boolean(), z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false' || s === '') return false;
  ctx.addIssue({ code: 'custom', message: 'expected a boolean (true, false, 1, 0)' });
  return z.NEVER;
});

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const s = parseDurationSeconds(v);
  if (s === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration like "768h" or seconds' });
    return z.NEVER;
  }
  return s;
});

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) {
    ctx.addIssue({ code: 'custom', message: 'expected a size in bytes' });
    return z.NEVER;
  }
  return n;
});

const tlsVersion = z
  .enum(['tls10', 'tls11', 'tls12', 'tls13'], { message: 'expected one of tls10, tls11, tls12, tls13' })
  .transform(
    (v) =>
      ({ tls10: 'TLSv1', tls11: 'TLSv1.1', tls12: 'TLSv1.2', tls13: 'TLSv1.3' })[
        v
      ] as ListenerConfig['tlsMinVersion'],
  );

/** listener "tcp" — every field documented in docs/vault.md#server-configuration. */
const tcpListener = z
  .object({
    address: z.string().default('127.0.0.1:8200').describe('host:port to listen on'),
    cluster_address: z
      .string()
      .optional()
      .describe('host:port of the node-to-node (request forwarding) listener; default: port + 1'),
    tls_disable: bool.default(false).describe('serve plain HTTP'),
    tls_cert_file: z.string().optional().describe('PEM certificate (chain)'),
    tls_key_file: z.string().optional().describe('PEM private key'),
    tls_min_version: tlsVersion.default('TLSv1.2').describe('lowest TLS version'),
    tls_max_version: tlsVersion.optional().describe('highest TLS version'),
    max_request_size: size.default(33554432).describe('bytes; larger bodies get 413'),
    max_request_duration: duration.default(90).describe('per-request deadline'),
    telemetry: z
      .object({ unauthenticated_metrics_access: bool.default(false) })
      .loose()
      .default({ unauthenticated_metrics_access: false })
      .describe('sys/metrics without a token'),
  })
  .loose()
  .superRefine((l, ctx) => {
    if (!l.tls_disable && !l.tls_cert_file)
      ctx.addIssue({
        code: 'custom',
        path: ['tls_cert_file'],
        message: 'required unless tls_disable is set',
      });
    if (!l.tls_disable && !l.tls_key_file)
      ctx.addIssue({ code: 'custom', path: ['tls_key_file'], message: 'required unless tls_disable is set' });
    if (l.address === '' || !/:\d+$/.test(l.address))
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'expected host:port' });
    if (l.cluster_address !== undefined && !/:\d+$/.test(l.cluster_address))
      ctx.addIssue({ code: 'custom', path: ['cluster_address'], message: 'expected host:port' });
  });

const topLevel = z
  .object({
    storage: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    backend: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    listener: z.array(z.object({ tcp: tcpListener }).loose()).min(1, 'at least one listener is required'),
    api_addr: z.string().default(''),
    cluster_addr: z.string().default(''),
    disable_clustering: bool.default(false),
    default_lease_ttl: duration.default(DEFAULT_TTL),
    max_lease_ttl: duration.default(DEFAULT_TTL),
    disable_mlock: bool.default(false),
    allow_audit_log_prefixing: bool.default(false),
    ui: bool.default(false),
    cluster_name: z.string().optional(),
    log_level: z.string().default('info'),
    log_format: z.string().default('standard'),
    telemetry: z
      .object({
        prometheus_retention_time: duration.default(24 * 3600),
        disable_hostname: bool.default(false),
        enable_hostname_label: bool.default(false),
        metrics_prefix: z.string().default('vault'),
      })
      .loose()
      .optional(),
  })
  .loose();

const KNOWN = new Set([
  'storage',
  'backend',
  'listener',
  'api_addr',
  'cluster_addr',
  'disable_clustering',
  'default_lease_ttl',
  'max_lease_ttl',
  'disable_mlock',
  'allow_audit_log_prefixing',
  'ui',
  'cluster_name',
  'log_level',
  'log_format',
  'telemetry',
]);

/** HCL decoders give blocks as objects or as lists of objects; fold both to one shape. */
function asBlockList(v: unknown): Array<Record<string, unknown>> {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(asBlockList);
  if (typeof v === 'object') return [v as Record<string, unknown>];
  return [];
}

function mergeBlocks(v: unknown): Record<string, Record<string, unknown>> | undefined {
  const list = asBlockList(v);
  if (list.length === 0) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const block of list) {
    for (const [type, body] of Object.entries(block)) {
      const first = asBlockList(body)[0];
      out[type] = first ?? {};
    }
  }
  return out;
}

function normalize(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError('expected an object');
  const obj = { ...(raw as Record<string, unknown>) };
  const listeners: Array<Record<string, unknown>> = [];
  for (const block of asBlockList(obj['listener'])) {
    for (const [type, body] of Object.entries(block)) {
      for (const b of asBlockList(body)) listeners.push({ [type]: b });
    }
  }
  obj['listener'] = listeners;
  for (const l of listeners)
    for (const body of Object.values(l)) {
      const b = body as Record<string, unknown>;
      if ('telemetry' in b) b['telemetry'] = asBlockList(b['telemetry'])[0] ?? {};
    }
  if ('telemetry' in obj) obj['telemetry'] = asBlockList(obj['telemetry'])[0] ?? {};
  if ('storage' in obj) obj['storage'] = mergeBlocks(obj['storage']);
  if ('backend' in obj) obj['backend'] = mergeBlocks(obj['backend']);
  return obj;
}

/** Validates an already-decoded config object; `source` names the file in errors. */
export function parseConfigObject(raw: unknown, source: string): ServerConfig {
  let obj: Record<string, unknown>;
  try {
    obj = normalize(raw);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  const parsed = topLevel.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path
      .map(String)
      .filter((p) => !/^\d+$/.test(p))
      .join('.');
    throw new ConfigError(`${source}: ${path || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const storageBlock = c.storage ?? c.backend;
  if (!storageBlock || Object.keys(storageBlock).length === 0)
    throw new ConfigError(`${source}: storage: a storage backend is required`);
  const [type, options] = Object.entries(storageBlock)[0]!;
  if (type !== 'file' && type !== 'inmem' && type !== 'etcd')
    throw new ConfigError(
      `${source}: storage.${type}: unsupported storage backend (supported: file, inmem, etcd)`,
    );
  if (type === 'file' && (typeof options['path'] !== 'string' || options['path'] === ''))
    throw new ConfigError(`${source}: storage.file.path: required`);
  if (c.default_lease_ttl > c.max_lease_ttl)
    throw new ConfigError(`${source}: default_lease_ttl: must not exceed max_lease_ttl`);
  const listeners: ListenerConfig[] = [];
  for (const l of c.listener) {
    const extraTypes = Object.keys(l).filter((k) => k !== 'tcp');
    if (extraTypes.length)
      throw new ConfigError(`${source}: listener.${extraTypes[0]}: unsupported listener type`);
    listeners.push({
      address: l.tcp.address,
      tlsDisable: l.tcp.tls_disable,
      tlsCertFile: l.tcp.tls_cert_file,
      tlsKeyFile: l.tcp.tls_key_file,
      tlsMinVersion: l.tcp.tls_min_version,
      tlsMaxVersion: l.tcp.tls_max_version,
      maxRequestSize: l.tcp.max_request_size,
      maxRequestDuration: l.tcp.max_request_duration,
      unauthenticatedMetricsAccess: l.tcp.telemetry.unauthenticated_metrics_access,
      clusterAddress: l.tcp.cluster_address,
    });
  }
  return {
    storage: { type, options },
    listeners,
    apiAddr: c.api_addr,
    clusterAddr: c.cluster_addr,
    disableClustering: c.disable_clustering,
    defaultLeaseTtl: c.default_lease_ttl,
    maxLeaseTtl: c.max_lease_ttl,
    disableMlock: c.disable_mlock,
    allowAuditLogPrefixing: c.allow_audit_log_prefixing,
    ui: c.ui,
    clusterName: c.cluster_name ?? '',
    logLevel: c.log_level,
    logFormat: c.log_format,
    telemetry: c.telemetry
      ? {
          prometheusRetentionTime: c.telemetry.prometheus_retention_time,
          disableHostname: c.telemetry.disable_hostname,
          enableHostnameLabel: c.telemetry.enable_hostname_label,
          metricsPrefix: c.telemetry.metrics_prefix,
        }
      : NO_TELEMETRY_STANZA,
    ignoredKeys: Object.keys(obj).filter((k) => !KNOWN.has(k)),
  };
}

/** Decodes config text; `.hcl` (or anything not starting with `{`) goes through the HCL parser. */
/** Decodes config text: JSON when the name ends in `.json` or the text starts with `{`, else HCL. */
async function decodeText(text: string, source: string): Promise<unknown> {
  if (source.endsWith('.json') || text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${source}: invalid JSON: ${(err as Error).message}`);
    }
  }
  const { parseHcl } = await import('@kms-chain/policy');
  try {
    return parseHcl(text);
  } catch (err) {
    throw new ConfigError(`${source}: invalid HCL: ${(err as Error).message}`);
  }
}

/** Decodes and validates config text; `source` names it in errors. */
export async function parseConfigText(text: string, source: string): Promise<ServerConfig> {
  return parseConfigObject(await decodeText(text, source), source);
}

async function decodeFile(file: string): Promise<unknown> {
  const source = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
  return decodeText(text, source);
}

/** A storage block: its type and its options as written. */
export interface StorageBlock {
  type: string;
  options: Record<string, unknown>;
}

/**
 * `vault operator migrate -config FILE`: exactly one `storage_source` and one
 * `storage_destination` block, each naming a storage type and its options.
 */
export async function loadMigrateConfig(
  file: string,
): Promise<{ source: StorageBlock; destination: StorageBlock }> {
  const raw = await decodeFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError("error parsing: file doesn't contain a root object");
  const obj = raw as Record<string, unknown>;
  const block = (name: string): StorageBlock => {
    const list = asBlockList(obj[name]).flatMap((b) => Object.entries(b));
    if (list.length !== 1) throw new ConfigError(`exactly one ${JSON.stringify(name)} block is required`);
    const [type, body] = list[0]!;
    return { type, options: asBlockList(body)[0] ?? {} };
  };
  return { source: block('storage_source'), destination: block('storage_destination') };
}

/**
 * Reads and validates one or more config files or directories (their `.hcl`/`.json` files,
 * sorted). Later files override earlier keys; listeners accumulate, as Vault merges them.
 */
export async function loadConfigFiles(paths: readonly string[]): Promise<ServerConfig> {
  const files: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.hcl') || n.endsWith('.json')).sort();
      files.push(...names.map((n) => join(p, n)));
    } else files.push(p);
  }
  if (files.length === 0) throw new ConfigError(`${paths.join(', ')}: no configuration files found`);
  let merged: Record<string, unknown> = {};
  const listeners: unknown[] = [];
  for (const f of files) {
    const raw = await decodeFile(f);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError(`${basename(f)}: expected an object`);
    const obj = raw as Record<string, unknown>;
    if (obj['listener'] !== undefined) listeners.push(obj['listener']);
    merged = { ...merged, ...obj };
  }
  if (listeners.length) merged['listener'] = listeners;
  return parseConfigObject(merged, files.map((f) => basename(f)).join(', '));
}

/** Reads and validates a config file. */
export async function loadConfigFile(file: string): Promise<ServerConfig> {
  return loadConfigFiles([file]);
}
