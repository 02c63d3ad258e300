import type { LogFormat, LogLevel } from '@kms-chain/log';
import type { ErrorSpelling } from '../errors.js';

/** How policy patterns match request paths: `glob` = Go path.Match (KES ≤ 2023), `prefix` = HEAD. */
export type PolicyMatch = 'glob' | 'prefix';

export interface PolicyConfig {
  name: string;
  allow: string[];
  deny: string[];
  identities: string[];
}

export interface VaultKeystoreConfig {
  kind: 'vault';
  /**
   * Base URLs, e.g. https://127.0.0.1:8200, tried in order (beyond upstream KES, which takes one:
   * a list in YAML, comma-separated in TOML; docs/kes-protocol.md#vault-endpoints).
   */
  endpoints: string[];
  /** KV mount path (E1: always "kv"). */
  engine: string;
  version: 'v1' | 'v2';
  /** X-Vault-Namespace for every call ('' = none). */
  namespace: string;
  /** Path under the engine (E1: `name`), '' = at the mount root. */
  prefix: string;
  approle: {
    engine: string;
    /** Namespace for the login call only; undefined = the store namespace, '/' = root. */
    namespace?: string;
    id: string;
    secret: string;
    /** Milliseconds between failed login attempts. */
    retryMs: number;
  };
  /**
   * Kubernetes auth instead of AppRole (HEAD): `PUT /v1/auth/<engine>/login {"role","jwt"}`; a `jwt`
   * containing `/` is a file read at every login. When set, `approle` is unused.
   */
  kubernetes?: { engine: string; namespace?: string; role: string; jwt: string; retryMs: number };
  tls: { key?: string; cert?: string; ca?: string };
  /** Milliseconds between health probes. */
  pingMs: number;
}

export type KeystoreConfig = { kind: 'mem' } | { kind: 'fs'; path: string } | VaultKeystoreConfig;

/** One era-independent server configuration; every duration in milliseconds. */
export interface ServerConfig {
  /** Source file name for messages ('' for flags-only configs such as --dev). */
  file: string;
  era: 'toml' | 'yaml';
  address: string;
  /** Admin identity (lowercase hex) or undefined when disabled. */
  admin: string | undefined;
  tls: {
    key: string;
    cert: string;
    password?: string;
    ca?: string;
    /** verify = client cert must chain to `ca`; ignore = any cert (still mapped to policies). */
    clientAuth: 'verify' | 'ignore';
  };
  policies: PolicyConfig[];
  policyMatch: PolicyMatch;
  errors: ErrorSpelling;
  cache: { anyMs: number; unusedMs: number; offlineMs: number };
  /**
   * `error`: the error log is written (stderr and `errorFiles`); `level`: the least severe level
   * it writes (YAML `log.error: debug`; `--log-level` overrides; default info); `format`: how its
   * lines read (`--log-format`; default standard).
   */
  log: {
    error: boolean;
    audit: boolean;
    errorFiles: string[];
    auditFiles: string[];
    level?: LogLevel;
    format?: LogFormat;
  };
  /** Routes (`/v1/ready`, `/v1/status`, `/v1/metrics`, `/v1/api`) that skip authentication. */
  skipAuth: string[];
  /** Per-route timeouts overriding the table (ms). */
  timeouts: Record<string, number>;
  /** Keys created at startup when absent. */
  keys: string[];
  keystore: KeystoreConfig;
}
