// The server's environment, as MinIO reads it:
//   MINIO_ROOT_USER / MINIO_ROOT_PASSWORD   root credentials (both or neither)
//   MINIO_ACCESS_KEY / MINIO_SECRET_KEY     the legacy names the KMS guide uses (both or neither)
//   MINIO_REGION_NAME / MINIO_REGION / MINIO_SITE_REGION   region reported and signed for (us-east-1)
//   MINIO_DOMAIN                            comma-separated domains for virtual-host-style requests
//   MINIO_API_CORS_ALLOW_ORIGIN             comma-separated origins (`*` wildcards) CORS allows (`*`)
//   MINIO_PROMETHEUS_AUTH_TYPE              `jwt` (bearer token on /minio/v2/metrics/*) or `public`
// Without credentials the server uses MinIO's documented default minioadmin:minioadmin.
import { z } from 'zod';

/** The one set of root credentials this server accepts. */
export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/** Settings taken from the environment. */
export interface EnvConfig {
  credentials: Credentials;
  /** True when the default minioadmin credentials are in use. */
  isDefaultCredentials: boolean;
  region: string;
  domains: string[];
  /** MINIO_API_CORS_ALLOW_ORIGIN as a list of origin patterns; undefined when unset (every origin). */
  corsAllowOrigins: string[] | undefined;
  /** MINIO_PROMETHEUS_AUTH_TYPE: how the metrics endpoints authenticate (default `jwt`). */
  prometheusAuthType: 'jwt' | 'public';
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const envSchema = z.object({
  MINIO_ROOT_USER: optional.describe('root access key, at least 3 characters'),
  MINIO_ROOT_PASSWORD: optional.describe('root secret key, at least 8 characters'),
  MINIO_ACCESS_KEY: optional.describe('legacy name of MINIO_ROOT_USER'),
  MINIO_SECRET_KEY: optional.describe('legacy name of MINIO_ROOT_PASSWORD'),
  MINIO_REGION_NAME: optional.describe('legacy name of MINIO_SITE_REGION'),
  MINIO_REGION: optional.describe('legacy name of MINIO_SITE_REGION'),
  MINIO_SITE_REGION: optional.describe('the region the server reports and accepts signatures for'),
  MINIO_DOMAIN: optional.describe('comma-separated domains; <bucket>.<domain> addresses a bucket'),
  MINIO_API_CORS_ALLOW_ORIGIN: optional.describe(
    'comma-separated origins allowed cross-origin requests; `*` matches any run of characters',
  ),
  MINIO_PROMETHEUS_AUTH_TYPE: optional.describe(
    '`jwt` (default): /minio/v2/metrics/* want a bearer token; `public`: no authentication',
  ),
});

/** A configuration error naming the variable at fault. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function pair(
  user: string | undefined,
  pass: string | undefined,
  names: [string, string],
): Credentials | undefined {
  if (user === undefined && pass === undefined) return undefined;
  if (user === undefined) throw new ConfigError(`${names[0]} is required when ${names[1]} is set`);
  if (pass === undefined) throw new ConfigError(`${names[1]} is required when ${names[0]} is set`);
  if (user.length < 3) throw new ConfigError(`${names[0]}: the access key must be at least 3 characters`);
  if (pass.length < 8) throw new ConfigError(`${names[1]}: the secret key must be at least 8 characters`);
  return { accessKey: user, secretKey: pass };
}

/** Reads the environment; throws ConfigError for incomplete or invalid credentials. */
export function loadEnvConfig(env: NodeJS.ProcessEnv): EnvConfig {
  const e = envSchema.parse(env);
  const root = pair(e.MINIO_ROOT_USER, e.MINIO_ROOT_PASSWORD, ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']);
  const legacy = pair(e.MINIO_ACCESS_KEY, e.MINIO_SECRET_KEY, ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']);
  const credentials = root ?? legacy;
  const region = e.MINIO_SITE_REGION ?? e.MINIO_REGION ?? e.MINIO_REGION_NAME ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/i.test(region)) throw new ConfigError(`MINIO_SITE_REGION: invalid region "${region}"`);
  const domains = (e.MINIO_DOMAIN ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
  const corsAllowOrigins = (e.MINIO_API_CORS_ALLOW_ORIGIN ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  // MinIO takes any value but `public` as jwt; a typo here should not pass unnoticed.
  const prometheusAuthType = (e.MINIO_PROMETHEUS_AUTH_TYPE ?? 'jwt').toLowerCase();
  if (prometheusAuthType !== 'jwt' && prometheusAuthType !== 'public') {
    throw new ConfigError(
      `MINIO_PROMETHEUS_AUTH_TYPE: expected "jwt" or "public", got "${prometheusAuthType}"`,
    );
  }
  return {
    credentials: credentials ?? { accessKey: 'minioadmin', secretKey: 'minioadmin' },
    isDefaultCredentials: credentials === undefined,
    region,
    domains,
    corsAllowOrigins: corsAllowOrigins.length > 0 ? corsAllowOrigins : undefined,
    prometheusAuthType,
  };
}

/** A parsed --address: host ('' for all interfaces) and port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses MinIO's --address forms: ":9000", "127.0.0.1:9000", "[::1]:9000", "localhost:9000". */
export function parseAddress(value: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(`--address: expected "[host]:port" like ":9000", got "${value}"`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}
