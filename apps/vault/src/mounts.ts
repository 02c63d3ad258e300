// Mount tables (secrets engines at core/mounts, auth methods at core/auth), both inside the
// barrier. Each entry owns a storage view `logical/<uuid>/` or `auth/<uuid>/`.
import { badRequest, VaultError } from './errors.js';
import { bool, has, seconds, str } from './fields.js';
import { newUuid, randomHex } from './ids.js';

export interface MountConfig {
  default_lease_ttl: number;
  max_lease_ttl: number;
  force_no_cache: boolean;
}

export interface MountEntry {
  table: 'mounts' | 'auth';
  path: string;
  type: string;
  description: string;
  uuid: string;
  accessor: string;
  config: MountConfig;
  options: Record<string, string> | null;
  local: boolean;
  seal_wrap: boolean;
  external_entropy_access: boolean;
}

export const MOUNTS_PATH = 'core/mounts';
export const AUTH_PATH = 'core/auth';
const RESERVED = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

export function defaultMounts(): MountEntry[] {
  return [
    entry('mounts', 'cubbyhole/', 'cubbyhole', 'per-token private secret storage', null, true),
    entry('mounts', 'identity/', 'identity', 'identity store', null, false),
    entry('mounts', 'sys/', 'system', 'system endpoints used for control, policy and debugging', null, false),
  ];
}

export function defaultAuths(): MountEntry[] {
  return [entry('auth', 'token/', 'token', 'token based credentials', null, false)];
}

function entry(
  table: 'mounts' | 'auth',
  path: string,
  type: string,
  description: string,
  options: Record<string, string> | null,
  local: boolean,
  config?: Partial<MountConfig>,
): MountEntry {
  const accessor = table === 'auth' ? `auth_${type}_${randomHex(4)}` : `${type}_${randomHex(4)}`;
  return {
    table,
    path,
    type,
    description,
    uuid: newUuid(),
    accessor,
    config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false, ...config },
    options,
    local,
    seal_wrap: false,
    external_entropy_access: false,
  };
}

/** Normalises a mount path to `a/b/`, rejecting traversal. */
export function normalizeMountPath(path: string): string {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '' || p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw badRequest(`invalid mount path "${path}"`);
  return `${p}/`;
}

/** Builds a secrets-engine entry from a `sys/mounts/<path>` body (Vault's field rules). */
export function newSecretsMount(
  path: string,
  data: Record<string, unknown>,
  existing: readonly MountEntry[],
): MountEntry {
  const p = normalizeMountPath(path);
  for (const r of RESERVED) if (p.startsWith(r)) throw badRequest(`cannot mount under reserved path "${r}"`);
  checkConflict(p, existing);
  let type = str(data, 'type');
  const opts = (has(data, 'options') ? data['options'] : {}) as Record<string, unknown>;
  if (typeof opts !== 'object' || Array.isArray(opts)) throw badRequest('options must be a map');
  let version = has(opts, 'version') ? str(opts, 'version') : '';
  if (type === 'kv-v1' || type === 'kv-v2') {
    version = type.slice(-1);
    type = 'kv';
  }
  if (type === '') throw badRequest('backend type must be specified as a string');
  if (type !== 'kv') {
    if (version !== '') throw badRequest(`secrets engine "${type}" does not allow setting a version`);
    throw badRequest(`plugin not found in the catalog: ${type}`);
  }
  if (version !== '' && version !== '1' && version !== '2')
    throw badRequest(`invalid kv version "${version}"`);
  const config = mountConfig(data);
  const options = version === '' ? null : { version };
  return entry('mounts', p, type, str(data, 'description'), options, bool(data, 'local'), config);
}

export function newAuthMount(
  path: string,
  data: Record<string, unknown>,
  existing: readonly MountEntry[],
): MountEntry {
  const p = normalizeMountPath(path);
  if (p === 'token/') throw badRequest('token credential backend cannot be instantiated');
  checkConflict(p, existing);
  const type = str(data, 'type');
  if (type === '') throw badRequest('backend type must be specified as a string');
  if (type !== 'approle') throw badRequest(`plugin not found in the catalog: ${type}`);
  return entry('auth', p, type, str(data, 'description'), null, bool(data, 'local'), mountConfig(data));
}

function mountConfig(data: Record<string, unknown>): Partial<MountConfig> {
  const cfg = (has(data, 'config') ? data['config'] : {}) as Record<string, unknown>;
  if (typeof cfg !== 'object' || Array.isArray(cfg)) throw badRequest('config must be a map');
  return {
    default_lease_ttl: seconds(cfg, 'default_lease_ttl'),
    max_lease_ttl: seconds(cfg, 'max_lease_ttl'),
    force_no_cache: bool(cfg, 'force_no_cache'),
  };
}

function checkConflict(p: string, existing: readonly MountEntry[]): void {
  for (const e of existing) {
    if (e.path.startsWith(p) || p.startsWith(e.path))
      throw new VaultError(409, [`path is already in use at ${e.path}`]);
  }
}

/** The JSON Vault returns for one mount in sys/mounts and sys/auth. */
export function mountView(e: MountEntry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: e.config.default_lease_ttl,
    force_no_cache: e.config.force_no_cache,
    max_lease_ttl: e.config.max_lease_ttl,
  };
  if (e.type === 'token') config['token_type'] = 'default-service';
  return {
    accessor: e.accessor,
    config,
    deprecation_status: e.type === 'kv' || e.type === 'approle' ? 'supported' : undefined,
    description: e.description,
    external_entropy_access: e.external_entropy_access,
    local: e.local,
    options: e.options,
    plugin_version: '',
    running_plugin_version:
      e.type === 'kv' || e.type === 'approle' ? 'v0.16.1+builtin' : 'v1.15.2+builtin.vault',
    running_sha256: '',
    seal_wrap: e.seal_wrap,
    type: e.type,
    uuid: e.uuid,
  };
}
