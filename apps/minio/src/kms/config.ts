// The KMS part of the environment (docs/minio-sse.md#static-key, #kes-client-environment). Exactly
// one KMS may be configured: KES (MINIO_KMS_KES_*) or a static key (MINIO_KMS_SECRET_KEY[_FILE], or
// the guide's legacy MINIO_KMS_MASTER_KEY[_FILE] = name:hex). Errors name the variables at fault.
//   MINIO_KMS_AUTO_ENCRYPTION=on|off        encrypt objects without SSE headers (SSE-KMS, default key)
//   MINIO_API_SSEC_ALLOW_INSECURE=on|off    accept SSE-C over plain HTTP (behind a TLS-terminating proxy)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseApiKey, readCaBundle, TlsIdentityError } from '@kms-chain/tls-identity';
import { ConfigError } from '../config/env.js';

/**
 * How the object store authenticates to KES: a client certificate and key file pair (re-read when they
 * change, see client-cert.ts), or an API key from which a self-signed certificate is made at startup.
 */
export type KesAuth =
  | { kind: 'files'; certFile: string; keyFile: string; keyPassword?: string | undefined }
  | { kind: 'api-key'; apiKey: string };

/** KES connection settings. */
export interface KesConfig {
  kind: 'kes';
  endpoints: string[];
  keyName: string;
  auth: KesAuth;
  /** PEM text of the CA certificates, when MINIO_KMS_KES_CAPATH is set. */
  caPem?: string | undefined;
}

/** A static master key. */
export interface StaticKeyConfig {
  kind: 'static';
  keyName: string;
  /** 32 bytes; the caller zeroes it once the KMS holds its copy. */
  key: Buffer;
}

/** The KMS settings: the KMS (if any) and the encryption switches. */
export interface KmsEnvConfig {
  kms: KesConfig | StaticKeyConfig | undefined;
  autoEncryption: boolean;
  allowInsecureSseC: boolean;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = value(env, name)?.toLowerCase();
  if (v === undefined || v === 'off' || v === 'false' || v === '0' || v === 'no') return false;
  if (v === 'on' || v === 'true' || v === '1' || v === 'yes') return true;
  throw new ConfigError(`${name}: expected "on" or "off", got "${env[name]}"`);
}

/** Go-style ellipsis expansion of one pattern: `https://kes{1...3}:7373` → three URLs. */
export function expandEllipsis(pattern: string): string[] {
  const m = /\{(\d+)\.\.\.(\d+)\}/.exec(pattern);
  if (!m) return [pattern];
  const [from, to] = [Number(m[1]), Number(m[2])];
  if (to < from) throw new ConfigError(`MINIO_KMS_KES_ENDPOINT: invalid range in "${pattern}"`);
  const width = m[1]!.length === m[2]!.length ? m[1]!.length : 0;
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    const n = String(i).padStart(width, '0');
    out.push(...expandEllipsis(pattern.slice(0, m.index) + n + pattern.slice(m.index + m[0].length)));
  }
  return out;
}

// MINIO_KMS_KES_CAPATH: a PEM file or a folder of them, read by the one CA-bundle reader.
function readCaPath(path: string): string {
  try {
    return readCaBundle(path).join('');
  } catch (err) {
    throw new ConfigError(`MINIO_KMS_KES_CAPATH: ${(err as Error).message}`);
  }
}

/** Parses `name:base64` (32 bytes) or, with `hex`, `name:hex64`. */
function parseStaticKey(text: string, variable: string, hex: boolean): StaticKeyConfig {
  const at = text.indexOf(':');
  if (at <= 0) throw new ConfigError(`${variable}: expected "<key-name>:<key>"`);
  const keyName = text.slice(0, at);
  const encoded = text.slice(at + 1).replace(/[\r\n]/g, '');
  let key: Buffer;
  if (hex) {
    if (!/^[0-9a-fA-F]{64}$/.test(encoded))
      throw new ConfigError(`${variable}: the key must be 64 hex characters (32 bytes)`);
    key = Buffer.from(encoded, 'hex');
  } else {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new ConfigError(`${variable}: the key is not base64`);
    key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) {
      const n = key.length;
      key.fill(0);
      throw new ConfigError(`${variable}: kms: invalid key length ${n}`);
    }
  }
  return { kind: 'static', keyName, key };
}

/** A `_FILE` variable: a path, else a Docker secret name under /run/secrets. */
function readSecretFile(variable: string, path: string, secretsDir: string): string {
  const candidates = [path, join(secretsDir, path)];
  for (const p of candidates) {
    if (existsSync(p)) {
      try {
        return readFileSync(p, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`${variable}: cannot read "${p}": ${(err as Error).message}`);
      }
    }
  }
  throw new ConfigError(`${variable}: no such file "${path}" (nor under ${secretsDir})`);
}

function incompleteKes(missing: string[]): ConfigError {
  return new ConfigError(
    `kms: incomplete configuration for MinIO KES: missing ${missing.map((m) => `'${m}'`).join(', ')}`,
  );
}

const FILE_VARS = ['MINIO_KMS_KES_CERT_FILE', 'MINIO_KMS_KES_KEY_FILE', 'MINIO_KMS_KES_KEY_PASSWORD'];

/**
 * The KES credentials, as MinIO's `kms.IsPresent` decides them: any of the certificate variables
 * (cert, key, password) means file authentication, which then needs both files and excludes an API key;
 * otherwise MINIO_KMS_KES_API_KEY is required. The API key is checked here so that a malformed one
 * stops the start.
 */
function kesAuth(env: NodeJS.ProcessEnv, present: string[]): KesAuth {
  const apiKey = value(env, 'MINIO_KMS_KES_API_KEY');
  const fileVars = FILE_VARS.filter((n) => present.includes(n));
  if (fileVars.length > 0) {
    if (apiKey !== undefined) {
      throw new ConfigError(
        `kms: invalid configuration for MinIO KES: 'MINIO_KMS_KES_API_KEY' and client certificate (${fileVars.join(', ')}) are present; set only one`,
      );
    }
    const missing = ['MINIO_KMS_KES_CERT_FILE', 'MINIO_KMS_KES_KEY_FILE'].filter((n) => !present.includes(n));
    if (missing.length > 0) throw incompleteKes(missing);
    return {
      kind: 'files',
      certFile: value(env, 'MINIO_KMS_KES_CERT_FILE')!,
      keyFile: value(env, 'MINIO_KMS_KES_KEY_FILE')!,
      keyPassword: env.MINIO_KMS_KES_KEY_PASSWORD || undefined,
    };
  }
  if (apiKey === undefined) {
    throw new ConfigError(
      "kms: incomplete configuration for MinIO KES: missing authentication method: set 'MINIO_KMS_KES_API_KEY' or 'MINIO_KMS_KES_CERT_FILE' and 'MINIO_KMS_KES_KEY_FILE'",
    );
  }
  try {
    parseApiKey(apiKey);
  } catch (err) {
    if (err instanceof TlsIdentityError) throw new ConfigError(`MINIO_KMS_KES_API_KEY: ${err.message}`);
    throw err;
  }
  return { kind: 'api-key', apiKey };
}

/**
 * Reads the KMS environment. Throws ConfigError for conflicting or incomplete settings, unreadable
 * files and malformed keys. `secretsDir` (default /run/secrets) is where `_FILE` names are looked up.
 */
export function loadKmsEnv(env: NodeJS.ProcessEnv, secretsDir = '/run/secrets'): KmsEnvConfig {
  const kesVars = [
    'MINIO_KMS_KES_ENDPOINT',
    'MINIO_KMS_KES_KEY_NAME',
    'MINIO_KMS_KES_CERT_FILE',
    'MINIO_KMS_KES_KEY_FILE',
    'MINIO_KMS_KES_API_KEY',
    'MINIO_KMS_KES_CAPATH',
    'MINIO_KMS_KES_KEY_PASSWORD',
  ].filter((n) => value(env, n) !== undefined);
  const staticVars = [
    'MINIO_KMS_SECRET_KEY',
    'MINIO_KMS_SECRET_KEY_FILE',
    'MINIO_KMS_MASTER_KEY',
    'MINIO_KMS_MASTER_KEY_FILE',
  ].filter((n) => value(env, n) !== undefined);
  if (kesVars.length > 0 && staticVars.length > 0) {
    throw new ConfigError(
      `kms: configuration for MinIO KES and static KMS key is present (${[...kesVars, ...staticVars].join(', ')}); set only one`,
    );
  }
  if (staticVars.length > 1) {
    throw new ConfigError(
      `kms: more than one static key is configured (${staticVars.join(', ')}); set only one`,
    );
  }
  let kms: KesConfig | StaticKeyConfig | undefined;
  if (kesVars.length > 0) {
    const missing = ['MINIO_KMS_KES_ENDPOINT', 'MINIO_KMS_KES_KEY_NAME'].filter((n) => !kesVars.includes(n));
    if (missing.length > 0) throw incompleteKes(missing);
    const auth = kesAuth(env, kesVars);
    const endpoints = value(env, 'MINIO_KMS_KES_ENDPOINT')!
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '')
      .flatMap(expandEllipsis);
    for (const e of endpoints) {
      let url: URL;
      try {
        url = new URL(e);
      } catch {
        throw new ConfigError(`MINIO_KMS_KES_ENDPOINT: "${e}" is not a URL`);
      }
      if (url.protocol !== 'https:') throw new ConfigError(`MINIO_KMS_KES_ENDPOINT: "${e}" must use https`);
    }
    const capath = value(env, 'MINIO_KMS_KES_CAPATH');
    kms = {
      kind: 'kes',
      endpoints,
      keyName: value(env, 'MINIO_KMS_KES_KEY_NAME')!,
      auth,
      caPem: capath !== undefined ? readCaPath(capath) : undefined,
    };
  } else if (staticVars.length === 1) {
    const variable = staticVars[0]!;
    const isFile = variable.endsWith('_FILE');
    const base = isFile ? variable.slice(0, -5) : variable;
    const text = isFile ? readSecretFile(variable, value(env, variable)!, secretsDir) : value(env, variable)!;
    kms = parseStaticKey(text, base, base === 'MINIO_KMS_MASTER_KEY');
  }
  const autoEncryption = bool(env, 'MINIO_KMS_AUTO_ENCRYPTION');
  if (autoEncryption && kms === undefined) {
    throw new ConfigError('MINIO_KMS_AUTO_ENCRYPTION requires a valid KMS configuration');
  }
  return { kms, autoEncryption, allowInsecureSseC: bool(env, 'MINIO_API_SSEC_ALLOW_INSECURE') };
}
