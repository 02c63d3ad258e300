// The MinIO KMS guide's set-up (sections 3 and 4) done over the HTTP APIs of our vault and kes, for
// `npm start`, the compose init service, the e2e chain and the benchmark. Every step is idempotent,
// so an interrupted first run is finished by the next one.
import { chmod, copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@kms-chain/durable-fs';
import type { DevPki } from '@kms-chain/tls-identity';
import { httpsJson, httpsOk, type TlsOptions } from './https-json.js';

/** The guide's share split. */
export const SHARES = 5;
export const THRESHOLD = 3;
/** The guide's names. */
export const KEY_NAME = 'minio-key-1';
export const POLICY_NAME = 'minio-key-policy';
export const ROLE_NAME = 'kes-role';
export const KV_PREFIX = 'minio';

/**
 * The guide's policy plus `update` and `list`: the guide's three capabilities suffice to create and
 * use keys, but KES's key listing (`kes key ls`, MinIO's key list API) needs `list`, and a
 * re-created key after a delete needs `update` (docs/guide.md#facts-that-bite).
 */
export const KES_POLICY_HCL = `path "${'kv'}/${KV_PREFIX}/*" {
  capabilities = [ "create", "read", "update", "delete", "list" ]
}
`;

const DEV_ONLY_WARNING =
  'DEV ONLY. This file holds every Vault unseal key share and the root token in plaintext so that ' +
  '`npm start` can unseal on its own. Anyone who can read it owns all keys in this Vault. Real ' +
  'deployments hand the shares to separate people and never store them together.';

/**
 * Writes `data` as JSON with mode 0600, atomically and durably (@kms-chain/durable-fs: temp file,
 * fdatasync, rename, directory fsync): the share file must not be lost once Vault is initialised.
 */
export async function writePrivateJson(path: string, data: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
}

/** The dev-only share file `npm start` keeps: every unseal share and the root token, in plaintext. */
export interface ShareFile {
  WARNING?: string;
  vault_addr?: string;
  unseal_threshold?: number;
  unseal_keys_b64: string[];
  root_token: string;
}

/** Reads the dev-only share file (and makes it 0600), or undefined when there is none. */
export async function readShareFile(path: string): Promise<ShareFile | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8'));
    await chmod(path, 0o600);
    if (!Array.isArray(data.unseal_keys_b64) || typeof data.root_token !== 'string')
      throw new Error(`${path}: not a kms-chain share file (unseal_keys_b64, root_token)`);
    return data as ShareFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Initialises Vault when it is not (5 shares, threshold 3, as `vault operator init` does) and
 * stores the shares and root token in the dev-only share file; unseals with the threshold of
 * shares when sealed. Returns the root token and whether Vault was initialised now.
 */
export async function initAndUnseal(
  vaultAddr: string,
  ca: string | Buffer,
  shareFile: string,
): Promise<{ rootToken: string; initializedNow: boolean }> {
  const { initialized } = await httpsOk('vault: read init status', `${vaultAddr}/v1/sys/init`, { ca });
  let shares = await readShareFile(shareFile);
  let initializedNow = false;
  if (!initialized) {
    const res = await httpsOk('vault operator init', `${vaultAddr}/v1/sys/init`, {
      method: 'PUT',
      ca,
      body: { secret_shares: SHARES, secret_threshold: THRESHOLD },
    });
    shares = {
      WARNING: DEV_ONLY_WARNING,
      vault_addr: vaultAddr,
      unseal_threshold: THRESHOLD,
      unseal_keys_b64: res.keys_base64,
      root_token: res.root_token,
    };
    await writePrivateJson(shareFile, shares);
    initializedNow = true;
  } else if (!shares) {
    throw new Error(
      `vault is initialised but ${shareFile} is missing: unseal it yourself (vault operator unseal) ` +
        'or remove the data directory to start over',
    );
  }
  const status = await httpsOk('vault: seal status', `${vaultAddr}/v1/sys/seal-status`, { ca });
  if (!shares) throw new Error(`${shareFile}: no shares`);
  if (status.sealed) {
    for (const key of shares.unseal_keys_b64.slice(0, shares.unseal_threshold ?? THRESHOLD)) {
      const s = await httpsOk('vault operator unseal', `${vaultAddr}/v1/sys/unseal`, {
        method: 'PUT',
        ca,
        body: { key },
      });
      if (!s.sealed) break;
    }
    const after = await httpsOk('vault: seal status', `${vaultAddr}/v1/sys/seal-status`, { ca });
    if (after.sealed) throw new Error(`vault is still sealed after the shares in ${shareFile}`);
  }
  return { rootToken: shares.root_token, initializedNow };
}

/** KES's AppRole login. */
export interface AppRole {
  roleId: string;
  secretId: string;
}

/**
 * Guide §3.2–3.5: kv at kv/, approle, the policy, the role (token_num_uses=0, secret_id_num_uses=0,
 * period=5m, policies=minio-key-policy); returns the role ID and a new secret ID.
 */
export async function configureVaultForKes(
  vaultAddr: string,
  ca: string | Buffer,
  token: string,
): Promise<AppRole> {
  const opts = { ca, token };
  // `vault secrets enable kv` and `vault auth enable approle`, skipped where an earlier run did them.
  for (const [cli, table, type] of [
    ['vault secrets', 'sys/mounts', 'kv'],
    ['vault auth', 'sys/auth', 'approle'],
  ] as const) {
    const listed = await httpsOk(`${cli} list`, `${vaultAddr}/v1/${table}`, opts);
    if ((listed.data ?? listed)[`${type}/`]) continue;
    await httpsOk(`${cli} enable ${type}`, `${vaultAddr}/v1/${table}/${type}`, {
      ...opts,
      method: 'POST',
      body: { type },
    });
  }
  await httpsOk('vault policy write', `${vaultAddr}/v1/sys/policies/acl/${POLICY_NAME}`, {
    ...opts,
    method: 'PUT',
    body: { policy: KES_POLICY_HCL },
  });
  await httpsOk('vault write role', `${vaultAddr}/v1/auth/approle/role/${ROLE_NAME}`, {
    ...opts,
    method: 'POST',
    body: { token_num_uses: 0, secret_id_num_uses: 0, period: '5m', policies: POLICY_NAME },
  });
  const role = await httpsOk(
    'vault read role-id',
    `${vaultAddr}/v1/auth/approle/role/${ROLE_NAME}/role-id`,
    opts,
  );
  const secret = await httpsOk(
    'vault write secret-id',
    `${vaultAddr}/v1/auth/approle/role/${ROLE_NAME}/secret-id`,
    { ...opts, method: 'POST', body: {} },
  );
  return { roleId: role.data.role_id, secretId: secret.data.secret_id };
}

/** TOML string literal (basic string) with the escapes TOML requires. */
function tomlString(s: string): string {
  return JSON.stringify(String(s));
}

/** The fields of kesConfigToml; durations in Go's text form ("5m"). */
export interface KesConfigOptions {
  address: string;
  tlsKey: string;
  tlsCert: string;
  /** Enables `--mtls-auth=verify` against this CA (a kms-chain TOML addition). */
  tlsCa?: string;
  identity: string;
  vaultAddr: string;
  roleId: string;
  secretId: string;
  vaultCa: string;
  cache?: { all?: string; unused?: string; offline?: string };
  ping?: string;
  /**
   * Identities for read-only monitoring: `metrics` may GET `/v1/metrics` (Prometheus), `ready` may
   * GET `/v1/ready` (a health checker). Each gets a policy of that one path: the TOML era has no
   * `skip_auth`, so an identity with nothing else is the least a scraper can hold.
   */
  monitors?: { metrics?: string; ready?: string };
}

/**
 * The guide's kes-config.toml (§4.2, with the table headers the guide copy lost), for the given
 * files and ids. `tlsCa` enables `--mtls-auth=verify` against that CA (a kms-chain TOML addition).
 * The policy adds `/v1/key/describe/minio-*`, `/v1/key/list/*` and `/v1/status` to the guide's
 * three paths: MinIO's KMS status and key-status calls use them. Optional: `cache` ({all, unused,
 * offline} durations; default the guide's 5m/20s, no offline) and `ping` (Vault status probe, 10s).
 */
export function kesConfigToml(o: KesConfigOptions): string {
  const lines = [
    '# Written by kms-chain (npm start / compose init): the KMS guide §4.2 config.',
    `address = ${tomlString(o.address)}`,
    '',
    '[tls]',
    `key  = ${tomlString(o.tlsKey)}`,
    `cert = ${tomlString(o.tlsCert)}`,
  ];
  if (o.tlsCa) lines.push(`ca   = ${tomlString(o.tlsCa)}`);
  lines.push(
    '',
    '[policy.minio]',
    'paths = [ "/v1/key/create/minio-*", "/v1/key/generate/minio-*", "/v1/key/decrypt/minio-*",',
    '          "/v1/key/describe/minio-*", "/v1/key/list/*", "/v1/status" ]',
    `identities = [ ${tomlString(o.identity)} ]`,
    '',
    ...monitorPolicy('prometheus', '/v1/metrics', o.monitors?.metrics),
    ...monitorPolicy('health', '/v1/ready', o.monitors?.ready),
    '[cache.expiry]',
    `all    = ${tomlString(o.cache?.all ?? '5m')}`,
    `unused = ${tomlString(o.cache?.unused ?? '20s')}`,
    ...(o.cache?.offline ? [`offline = ${tomlString(o.cache.offline)}`] : []),
    '',
    '[keystore.vault]',
    `address = ${tomlString(o.vaultAddr)}`,
    `name    = ${tomlString(KV_PREFIX)}`,
    '',
    '[keystore.vault.approle]',
    `id     = ${tomlString(o.roleId)}`,
    `secret = ${tomlString(o.secretId)}`,
    'retry  = "15s"',
    '',
    '[keystore.vault.tls]',
    `ca = ${tomlString(o.vaultCa)}`,
    '',
    '[keystore.vault.status]',
    `ping = ${tomlString(o.ping ?? '10s')}`,
    '',
  );
  return lines.join('\n');
}

/** A `[policy.<name>]` table allowing one path to one identity (none without an identity). */
function monitorPolicy(name: string, path: string, identity: string | undefined): string[] {
  if (!identity) return [];
  return [
    `[policy.${name}]`,
    `paths = [ ${tomlString(path)} ]`,
    `identities = [ ${tomlString(identity)} ]`,
    '',
  ];
}

/**
 * kesConfigToml for a chain whose TLS material is a dev PKI (createDevPki with a `minio` client):
 * the server certificate for the listener, mTLS against the dev CA, the `minio` client as the
 * policy's identity, and that CA for Vault too. `approle` is configureVaultForKes's result. The
 * PKI's `prometheus` and `health` clients, where it has them, get the `/v1/metrics` and
 * `/v1/ready` policies (kesConfigToml's `monitors`).
 */
export function chainKesConfigToml(
  pki: DevPki,
  {
    address,
    vaultAddr,
    approle,
    cache,
    ping,
  }: { address: string; vaultAddr: string; approle: AppRole } & Pick<KesConfigOptions, 'cache' | 'ping'>,
): string {
  const minio = minioClient(pki);
  return kesConfigToml({
    address,
    tlsKey: pki.server.keyPath,
    tlsCert: pki.server.certPath,
    tlsCa: pki.ca.certPath,
    identity: minio.identity,
    vaultAddr,
    roleId: approle.roleId,
    secretId: approle.secretId,
    vaultCa: pki.ca.certPath,
    monitors: { metrics: pki.clients['prometheus']?.identity, ready: pki.clients['health']?.identity },
    ...(cache ? { cache } : {}),
    ...(ping ? { ping } : {}),
  });
}

function minioClient(pki: DevPki) {
  const client = pki.clients['minio'];
  if (!client) throw new Error(`${pki.dir}: the dev PKI has no \`minio\` client certificate`);
  return client;
}

/**
 * minio's environment in such a chain (guide §5): root credentials (the legacy variables blanked so
 * they cannot override), KES at `kesUrl` with the dev PKI's `minio` client certificate and
 * KEY_NAME as the default key, and auto-encryption on or off. `kesUrl` may list several, comma-separated.
 */
export function chainMinioEnv(
  pki: DevPki,
  {
    kesUrl,
    accessKey,
    secretKey,
    autoEncryption,
  }: { kesUrl: string; accessKey: string; secretKey: string; autoEncryption: boolean },
): Record<string, string> {
  const minio = minioClient(pki);
  return {
    MINIO_ROOT_USER: accessKey,
    MINIO_ROOT_PASSWORD: secretKey,
    MINIO_ACCESS_KEY: '',
    MINIO_SECRET_KEY: '',
    MINIO_KMS_KES_ENDPOINT: kesUrl,
    MINIO_KMS_KES_KEY_FILE: minio.keyPath,
    MINIO_KMS_KES_CERT_FILE: minio.certPath,
    MINIO_KMS_KES_KEY_NAME: KEY_NAME,
    MINIO_KMS_KES_CAPATH: pki.ca.certPath,
    MINIO_KMS_AUTO_ENCRYPTION: autoEncryption ? 'on' : 'off',
  };
}

/**
 * Puts the dev PKI's server certificate and key into `<dir>/minio/certs` (guide Appendix A) and
 * returns minio's `server` arguments: data in `<dir>/minio/export`, listening on `address`.
 */
export async function prepareChainMinio(pki: DevPki, dir: string, address: string): Promise<string[]> {
  const certs = join(dir, 'minio', 'certs');
  await copyFile(pki.server.certPath, join(certs, 'public.crt'));
  await copyFile(pki.server.keyPath, join(certs, 'private.key'));
  return ['server', join(dir, 'minio', 'export'), '--address', address, '--certs-dir', certs];
}

/** Guide §4.3 `kes key create minio-key-1`: creates the key as the MinIO identity; an existing key is fine. */
export async function createKesKey(kesAddr: string, tls: TlsOptions, name = KEY_NAME): Promise<boolean> {
  const res = await httpsJson(`${kesAddr}/v1/key/create/${encodeURIComponent(name)}`, {
    method: 'POST',
    ...tls,
  });
  if (res.status === 200) return true;
  const msg = res.body && typeof res.body === 'object' ? res.body.message : res.body;
  // KES answers 400 "key already exists" (≤ v0.17: "key does already exist"); some versions 409.
  if (res.status === 409 || (res.status === 400 && /already exist/.test(String(msg)))) return false;
  throw new Error(`kes key create ${name}: HTTP ${res.status}${msg ? `: ${msg}` : ''}`);
}
