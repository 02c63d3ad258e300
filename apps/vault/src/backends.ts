// Which engine serves a mount, by its type (Vault's factory map). `sys/` and `auth/token/` are
// built here too, on the narrow interfaces they need; `identity/` has no engine (its paths are 404).
import { AppRoleBackend } from './auth/approle.js';
import type { MountEntry } from './mounts.js';
import { CubbyholeBackend } from './secrets/cubbyhole.js';
import { KvV1Backend, KvV2Backend } from './secrets/kv.js';
import { SystemBackend, type SystemCore } from './sys.js';
import { TokenBackend, type TokenCore } from './token-backend.js';
import type { TokenEntry } from './tokens.js';
import type { Backend } from './types.js';
import type { BarrierView } from './view.js';

/** What engines may take from the core when they are built. */
export interface BackendDeps {
  /** Seconds: the system default lease, for mounts whose own is unset. */
  readonly defaultLeaseTtl: number;
  /** Seconds: the system maximum lease. */
  readonly maxLeaseTtl: number;
  /** A storage-safe name for a token (cubbyhole areas). */
  tokenOwner(entry: TokenEntry): string;
  /** What `sys/` serves from (mount tables, policies, keyring, seal). */
  readonly system: SystemCore;
  /** What `auth/token/` serves from (the token store, policy names, renewal limits). */
  readonly tokenStore: TokenCore;
}

/** `view` is the mount's own storage (`logical/<uuid>/` or `auth/<uuid>/`). */
export type BackendFactory = (view: BarrierView, mount: MountEntry, deps: BackendDeps) => Backend;

/** A Map, not an object literal: a mount type is never looked up on Object.prototype. */
export const BACKEND_FACTORIES: ReadonlyMap<string, BackendFactory> = new Map<string, BackendFactory>([
  // The default lease is read at each request: tuning the mount changes it.
  [
    'kv',
    (view, m, deps) =>
      m.options?.['version'] === '2'
        ? new KvV2Backend(view)
        : new KvV1Backend(view, () => m.config.default_lease_ttl || deps.defaultLeaseTtl),
  ],
  ['approle', (view, m, deps) => new AppRoleBackend(view, deps.maxLeaseTtl, m.path)],
  ['system', (_view, _m, deps) => new SystemBackend(deps.system)],
  ['token', (_view, _m, deps) => new TokenBackend(deps.tokenStore)],
  ['cubbyhole', (view, _m, deps) => new CubbyholeBackend(view, (entry) => deps.tokenOwner(entry))],
]);
