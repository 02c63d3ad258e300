// The chain's Prometheus scrape set-up (docs/observability.md): a Vault policy that reads
// sys/metrics and nothing else, a periodic token holding only that policy, the object store's
// metrics token (a JWT as `mc admin prometheus generate` makes it), and the prometheus.yml that
// scrapes Vault and the object store with those tokens and KES with a client certificate whose
// identity a KES policy allows `/v1/metrics` only. Credentials with no other power: a leaked scrape
// config reads metrics.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@kms-chain/durable-fs';
import { httpsJson, httpsOk } from './https-json.js';

/** The Vault policy of the scrape token. */
export const METRICS_POLICY_NAME = 'prometheus-metrics';
export const METRICS_POLICY_HCL = `path "sys/metrics" {
  capabilities = [ "read" ]
}
`;

/**
 * The scrape token's period: each `npm start` renews it (the TTL goes back to a week), so a chain
 * started at least weekly keeps scraping; a token left unused expires on its own.
 */
export const METRICS_TOKEN_PERIOD = '168h';

/** Dev-PKI client names: the KES identity Prometheus scrapes with, and the one a health checker uses. */
export const KES_METRICS_CLIENT = 'prometheus';
export const KES_HEALTH_CLIENT = 'health';

/**
 * Writes the metrics policy, then renews the token kept in `tokenFile` or, when there is none or
 * Vault no longer knows it, creates an orphan periodic token with only that policy (no `default`
 * policy, so it cannot even look itself up) and stores it in `tokenFile` (0600, the bare token, as
 * Prometheus's `credentials_file` reads it). `rootToken` must be allowed to write policies and
 * create periodic tokens. Returns whether a new token was made.
 */
export async function ensureVaultMetricsToken(
  vaultAddr: string,
  ca: string | Buffer,
  rootToken: string,
  tokenFile: string,
): Promise<{ createdNow: boolean }> {
  const opts = { ca, token: rootToken };
  await httpsOk('vault policy write', `${vaultAddr}/v1/sys/policies/acl/${METRICS_POLICY_NAME}`, {
    ...opts,
    method: 'PUT',
    body: { policy: METRICS_POLICY_HCL },
  });
  let kept: string | undefined;
  try {
    kept = (await readFile(tokenFile, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (kept) {
    const res = await httpsJson(`${vaultAddr}/v1/auth/token/renew`, {
      ...opts,
      method: 'POST',
      body: { token: kept },
    });
    if (res.status === 200) return { createdNow: false };
    // Expired or revoked (Vault answers 400 or 403): make a new one below.
  }
  const made = await httpsOk('vault token create', `${vaultAddr}/v1/auth/token/create-orphan`, {
    ...opts,
    method: 'POST',
    body: {
      policies: [METRICS_POLICY_NAME],
      no_default_policy: true,
      period: METRICS_TOKEN_PERIOD,
      display_name: 'prometheus',
      renewable: true,
    },
  });
  await writeFileAtomic(tokenFile, made.auth.client_token, { mode: 0o600 });
  return { createdNow: true };
}

/** How long the object store's metrics token lives: mc's default, 100 years. */
export const MINIO_METRICS_TOKEN_YEARS = 100;

/**
 * The object store's metrics bearer token for `accessKey`/`secretKey`, as `mc admin prometheus
 * generate` makes it: a JWT, HS512 under the secret key, claims `exp`, `sub` (the access key) and
 * `iss: "prometheus"`. It reads /minio/v2/metrics/* and nothing else; a new secret key revokes it.
 */
export function minioMetricsToken(
  credentials: { accessKey: string; secretKey: string },
  expiresAt = new Date(Date.now() + MINIO_METRICS_TOKEN_YEARS * 365 * 24 * 3_600_000),
  claims: Record<string, unknown> = {},
): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = part({
    exp: Math.floor(expiresAt.getTime() / 1000),
    sub: credentials.accessKey,
    iss: 'prometheus',
    ...claims,
  });
  const signed = `${part({ alg: 'HS512', typ: 'JWT' })}.${body}`;
  return `${signed}.${createHmac('sha512', credentials.secretKey).update(signed).digest('base64url')}`;
}

/** Writes the object store's metrics token to `tokenFile` (0600, the bare token, for `credentials_file`). */
export async function writeMinioMetricsToken(
  credentials: { accessKey: string; secretKey: string },
  tokenFile: string,
): Promise<string> {
  await writeFileAtomic(tokenFile, minioMetricsToken(credentials), { mode: 0o600 });
  return tokenFile;
}

export interface PrometheusConfigOptions {
  /** `host:port` of Vault. */
  vault: string;
  /** The file holding the metrics token (ensureVaultMetricsToken). */
  vaultTokenFile: string;
  /** `host:port` of each KES server. */
  kes: string[];
  /** The KES metrics identity's certificate and key (PEM files). */
  kesCert: string;
  kesKey: string;
  /** `host:port` of the object store and the file holding its metrics token (writeMinioMetricsToken). */
  minio?: { target: string; tokenFile: string };
  /** The CA every server's certificate chains to. */
  caFile: string;
  /** Go duration; default 15s (Prometheus's own default is 1m). */
  scrapeInterval?: string;
}

/** A YAML double-quoted scalar: JSON's string syntax is a subset of it. */
const q = (s: string): string => JSON.stringify(s);

/** Go duration text (`1s`, `500ms`, `1m`) in milliseconds; only the forms scrape intervals use. */
function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`scrapeInterval: expected a duration like "15s", got "${d}"`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/**
 * prometheus.yml for the chain: job `vault` (`/v1/sys/metrics?format=prometheus`, bearer token
 * from a file, TLS against the dev CA), job `kes` (`/v1/metrics`, mTLS with the metrics
 * identity) and, with `minio`, jobs `minio` (`/minio/v2/metrics/cluster`) and `minio-bucket`
 * (`/minio/v2/metrics/bucket`), as `mc admin prometheus generate` writes them, with the bearer
 * token from a file and TLS against the dev CA. The scrape timeout is the smaller of the interval
 * and 10 s (Prometheus refuses a timeout longer than the interval).
 */
export function prometheusConfigYml(o: PrometheusConfigOptions): string {
  const interval = o.scrapeInterval ?? '15s';
  const timeout = durationMs(interval) < 10_000 ? interval : '10s';
  return [
    '# Written by kms-chain (npm start) on every start: docs/observability.md.',
    '# prometheus --config.file=<this file> --storage.tsdb.path=<a directory>',
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${timeout}`,
    'scrape_configs:',
    '  - job_name: vault',
    '    scheme: https',
    '    metrics_path: /v1/sys/metrics',
    '    params:',
    '      format: [prometheus]',
    '    authorization:',
    '      type: Bearer',
    `      credentials_file: ${q(o.vaultTokenFile)}`,
    '    tls_config:',
    `      ca_file: ${q(o.caFile)}`,
    '    static_configs:',
    `      - targets: [${q(o.vault)}]`,
    '  - job_name: kes',
    '    scheme: https',
    '    metrics_path: /v1/metrics',
    '    tls_config:',
    `      ca_file: ${q(o.caFile)}`,
    `      cert_file: ${q(o.kesCert)}`,
    `      key_file: ${q(o.kesKey)}`,
    '    static_configs:',
    `      - targets: [${o.kes.map(q).join(', ')}]`,
    ...(o.minio
      ? [
          ['minio', 'cluster'],
          ['minio-bucket', 'bucket'],
        ].flatMap(([job, path]) => [
          `  - job_name: ${job}`,
          '    scheme: https',
          `    metrics_path: /minio/v2/metrics/${path}`,
          '    authorization:',
          '      type: Bearer',
          `      credentials_file: ${q(o.minio!.tokenFile)}`,
          '    tls_config:',
          `      ca_file: ${q(o.caFile)}`,
          '    static_configs:',
          `      - targets: [${q(o.minio!.target)}]`,
        ])
      : []),
    '',
  ].join('\n');
}
