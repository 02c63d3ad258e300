// The audit part of the environment. Webhook targets as MinIO names them, each optionally suffixed with
// `_<ID>` for several targets (MINIO_AUDIT_WEBHOOK_ENABLE_PRIMARY=on, …):
//   MINIO_AUDIT_WEBHOOK_ENABLE=on                  turn the target on (required, with ENDPOINT)
//   MINIO_AUDIT_WEBHOOK_ENDPOINT=https://host/path  where each entry (or batch) is POSTed; user:pass@
//                                                   in it is sent as Basic authentication
//   MINIO_AUDIT_WEBHOOK_AUTH_TOKEN=<token>          sent as `Authorization`: a value with a space as is
//                                                   ("Bearer x", "Custom x"), a bare token as "Bearer <token>"
//   MINIO_AUDIT_WEBHOOK_CLIENT_CERT / _CLIENT_KEY  PEM files of a client certificate (both or neither)
//   MINIO_AUDIT_WEBHOOK_BATCH_SIZE=1               most entries per POST (newline-separated JSON)
//   MINIO_AUDIT_WEBHOOK_QUEUE_SIZE=100000          entries held for the target; beyond it new ones drop
//   MINIO_AUDIT_WEBHOOK_HTTP_TIMEOUT=5s            deadline of one POST
// MinIO's QUEUE_DIR (a persistent queue), MAX_RETRY and RETRY_INTERVAL are refused rather than
// ignored: entries live in memory only, and a batch the receiver does not take is dropped and counted.
// And one target of our own — MinIO has no file target:
//   MINIO_AUDIT_FILE_ENABLE=on, MINIO_AUDIT_FILE_PATH=/var/log/minio/audit.log   JSON lines, mode 0600
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readCaBundle, TlsIdentityError } from '@kms-chain/tls-identity';
import { ConfigError } from '../config/env.js';

/** One webhook target; `id` is '' for the unsuffixed variables. */
export interface WebhookConfig {
  id: string;
  endpoint: string;
  /** The whole `Authorization` header value. */
  authorization?: string | undefined;
  /** PEM client certificate and key, read at start-up. */
  clientCert?: Buffer | undefined;
  clientKey?: Buffer | undefined;
  batchSize: number;
  queueSize: number;
  httpTimeoutMs: number;
}

/** Every audit target configured; none when both lists are empty. */
export interface AuditConfig {
  webhooks: WebhookConfig[];
  file?: { path: string } | undefined;
}

const WEBHOOK = 'MINIO_AUDIT_WEBHOOK_';
const REFUSED = ['QUEUE_DIR', 'MAX_RETRY', 'RETRY_INTERVAL'];

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function isOn(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = value(env, name)?.toLowerCase();
  if (v === undefined || v === 'off' || v === 'false') return false;
  if (v === 'on' || v === 'true') return true;
  throw new ConfigError(`${name}: expected "on" or "off", got "${env[name]}"`);
}

function positive(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const v = value(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new ConfigError(`${name}: expected a positive integer, got "${v}"`);
  return n;
}

/** "5s", "500ms", "1m" or bare seconds. */
function duration(env: NodeJS.ProcessEnv, name: string, defMs: number): number {
  const v = value(env, name);
  if (v === undefined) return defMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new ConfigError(`${name}: expected a duration like "5s", got "${v}"`);
  const unit = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Number(m[1]) * unit;
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read "${path}": ${(err as Error).message}`);
  }
}

function webhook(env: NodeJS.ProcessEnv, id: string): WebhookConfig {
  const n = (key: string) => `${WEBHOOK}${key}${id === '' ? '' : `_${id}`}`;
  for (const key of REFUSED) {
    if (value(env, n(key)) !== undefined)
      throw new ConfigError(`${n(key)}: not supported; audit entries are queued in memory only`);
  }
  const endpoint = value(env, n('ENDPOINT'));
  if (endpoint === undefined) throw new ConfigError(`${n('ENDPOINT')} is required when ${n('ENABLE')} is on`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`${n('ENDPOINT')}: expected an http(s) URL, got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${n('ENDPOINT')}: expected an http(s) URL, got "${endpoint}"`);
  const token = value(env, n('AUTH_TOKEN'));
  // Credentials in the URL (http://user:pass@host/, as Elasticsearch receivers are often given) become
  // Basic authentication unless a token is set; either way they leave the URL, which may be shown.
  const basic =
    url.username !== '' || url.password !== ''
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  url.username = '';
  url.password = '';
  const certFile = value(env, n('CLIENT_CERT'));
  const keyFile = value(env, n('CLIENT_KEY'));
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError(`${n('CLIENT_CERT')} and ${n('CLIENT_KEY')} go together: set both or neither`);
  return {
    id,
    endpoint: url.href,
    authorization: token === undefined ? basic : token.includes(' ') ? token : `Bearer ${token}`,
    clientCert: certFile === undefined ? undefined : readPem(n('CLIENT_CERT'), certFile),
    clientKey: keyFile === undefined ? undefined : readPem(n('CLIENT_KEY'), keyFile),
    batchSize: positive(env, n('BATCH_SIZE'), 1),
    queueSize: positive(env, n('QUEUE_SIZE'), 100_000),
    httpTimeoutMs: duration(env, n('HTTP_TIMEOUT'), 5000),
  };
}

/**
 * The CA certificates (PEM) of the certs directory's `CAs/` folder, which webhooks trust beside the
 * system's roots; none when the folder is absent or empty. Throws ConfigError for an unreadable one.
 */
export function trustedCas(dir: string): string[] {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return [];
  try {
    return readCaBundle(dir);
  } catch (err) {
    if (err instanceof TlsIdentityError && err.code === 'ca/empty') return [];
    throw new ConfigError(`--certs-dir: CAs: ${(err as Error).message}`);
  }
}

/** Reads the audit targets from the environment; throws ConfigError naming the variable at fault. */
export function loadAuditEnv(env: NodeJS.ProcessEnv): AuditConfig {
  const ids = Object.keys(env)
    .map((name) => /^MINIO_AUDIT_WEBHOOK_ENABLE(?:_(.+))?$/.exec(name))
    .filter((m) => m !== null)
    .map((m) => m[1] ?? '')
    .sort();
  const webhooks = ids
    .filter((id) => isOn(env, `${WEBHOOK}ENABLE${id === '' ? '' : `_${id}`}`))
    .map((id) => webhook(env, id));
  let file: AuditConfig['file'];
  if (isOn(env, 'MINIO_AUDIT_FILE_ENABLE')) {
    const path = value(env, 'MINIO_AUDIT_FILE_PATH');
    if (path === undefined)
      throw new ConfigError('MINIO_AUDIT_FILE_PATH is required when MINIO_AUDIT_FILE_ENABLE is on');
    file = { path };
  }
  return { webhooks, file };
}
