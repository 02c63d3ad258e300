// The authenticated part of sys/: mounts, auth methods, policies, capabilities, key status,
// rotation and seal; audit devices come from sys-audit.ts. The unauthenticated sys paths (init, unseal, seal-status, health, leader)
// are served by the HTTP layer before any token check.
import type { Barrier } from './barrier.js';
import { badRequest, notFound, VaultError } from './errors.js';
import { has, seconds, str, strList } from './fields.js';
import { type Params, type PathSpec, Router, write } from './framework/router.js';
import {
  type MountConfig,
  type MountEntry,
  mountView,
  newAuthMount,
  newSecretsMount,
  normalizeMountPath,
} from './mounts.js';
import { type PolicyStore, validatePolicyName } from './policies.js';
import { type AuditCore, auditPaths } from './sys-audit.js';
import type { TokenEntry } from './tokens.js';
import type { Backend, BackendRequest, LogicalResponse, RawBody } from './types.js';

type Table = 'mounts' | 'auth';

/**
 * What sys needs from the core, and no more: the mount tables and their changes, policies,
 * capabilities, the keyring and the seal. The core provides it; sys never sees the core itself.
 */
export interface SystemCore extends AuditCore {
  /** The secrets-engine and auth-method tables; changed only through the methods below. */
  readonly mounts: readonly MountEntry[];
  readonly auths: readonly MountEntry[];
  /** Seconds: the system leases tune shows for a mount whose own are unset. */
  readonly options: { readonly defaultLeaseTtl: number; readonly maxLeaseTtl: number };
  /** Runs fn with no other mount-table change in between; add, remove and tune run inside it. */
  changeMounts<T>(fn: () => Promise<T>): Promise<T>;
  /** Persists the entry in its table and mounts its engine. */
  addMount(m: MountEntry): Promise<void>;
  /** Unmounts and deletes the mount's data; an unknown path is a no-op; built-ins are 400. */
  removeMount(table: Table, path: string): Promise<void>;
  /** Replaces the entry's config and persists its table. */
  updateMountConfig(m: MountEntry, config: MountConfig): Promise<void>;
  readonly policies: Pick<PolicyStore, 'list' | 'read' | 'write' | 'delete'>;
  /** The token's capabilities on path (`root` for root tokens). */
  capabilities(entry: TokenEntry, path: string): Promise<string[]>;
  readonly barrier: Pick<Barrier, 'keyStatus' | 'rotate'>;
  seal(): Promise<void>;
  /** sys/metrics in `format` ('' JSON summary, 'prometheus'). */
  metrics(format: string): Promise<RawBody>;
  /** sys/step-down: the active node gives up the HA lock (a no-op without HA). */
  stepDown(): void;
  /** sys/ha-status: the cluster's nodes. */
  haStatus(): Promise<Array<Record<string, unknown>>>;
}

/** A policy name is checked before the operation is looked up (400 whatever the verb). */
function policyParams(p: Params): Params {
  const name = validatePolicyName(p['name']!.replace(/\/$/, ''));
  return { name, lower: name.toLowerCase() };
}

export class SystemBackend implements Backend {
  readonly type = 'system';
  readonly #core: SystemCore;

  constructor(core: SystemCore) {
    this.#core = core;
  }

  readonly #router = new Router(
    [
      { pattern: /^mounts\/?$/, operations: { read: () => this.#listMounts('mounts') } },
      { pattern: /^auth\/?$/, operations: { read: () => this.#listMounts('auth') } },
      {
        pattern: /^(?<table>mounts|auth)\/(?<path>[\s\S]*)\/tune$/,
        resolve: (p) => this.#tunedMount(p),
        operations: {
          read: (_req, p) => this.#readTune(p),
          ...write((req, p) => this.#core.changeMounts(() => this.#writeTune(req, p))),
        },
      },
      {
        pattern: /^(?<table>mounts|auth)\/(?<path>[\s\S]+)$/,
        resolve: (p) => ({ ...p, path: normalizeMountPath(p['path']!) }),
        operations: {
          read: (_req, p) => this.#readMount(p),
          ...write((req, p) => this.#core.changeMounts(() => this.#addMount(req, p))),
          delete: (_req, p) =>
            this.#core.changeMounts(() => this.#removeMount(p['table'] as Table, p['path']!)),
        },
      },
      {
        pattern: /^policy\/?$/,
        operations: { read: () => this.#listPolicies(true), list: () => this.#listPolicies(true) },
      },
      { pattern: /^policies\/acl\/?$/, operations: { list: () => this.#listPolicies(false) } },
      {
        pattern: /^policy\/(?<name>[\s\S]+)$/,
        resolve: policyParams,
        operations: this.#policyOperations(true),
      },
      {
        pattern: /^policies\/acl\/(?<name>[\s\S]+)$/,
        resolve: policyParams,
        operations: this.#policyOperations(false),
      },
      { pattern: 'capabilities-self', operations: write((req) => this.#capabilitiesSelf(req)) },
      {
        pattern: /^internal\/ui\/mounts\/(?<path>[\s\S]*)$/,
        operations: { read: (_req, p) => this.#uiMount(p['path']!) },
      },
      {
        pattern: 'ha-status',
        operations: {
          read: async () => ({ data: { nodes: await this.#core.haStatus() }, copyDataToTop: true }),
        },
      },
      {
        pattern: 'step-down',
        operations: write(() => {
          this.#core.stepDown();
          return null;
        }),
      },
      {
        pattern: 'metrics',
        operations: {
          read: async (req) => ({ raw: await this.#core.metrics(String(req.data['format'] ?? '')) }),
        },
      },
      ...auditPaths(() => this.#core.audit),
      {
        pattern: 'key-status',
        operations: { read: () => ({ data: this.#core.barrier.keyStatus(), copyDataToTop: true }) },
      },
      {
        pattern: 'rotate',
        operations: write(async () => {
          await this.#core.barrier.rotate();
          return null;
        }),
      },
      {
        pattern: 'seal',
        operations: write(async () => {
          await this.#core.seal();
          return null;
        }),
      },
    ],
    {
      unsupportedPath: () => new VaultError(404, ['unsupported path']),
      // sys answers an unserved operation with an empty error list.
      unsupportedOperation: () => new VaultError(405, []),
    },
  );

  handle = (req: BackendRequest) => this.#router.handle(req);

  #listMounts(table: Table): LogicalResponse {
    const list = table === 'auth' ? this.#core.auths : this.#core.mounts;
    const data: Record<string, unknown> = {};
    for (const m of list) data[m.path] = mountView(m);
    return { data, copyDataToTop: true };
  }

  #findMount(table: Table, path: string): MountEntry | undefined {
    return (table === 'auth' ? this.#core.auths : this.#core.mounts).find((m) => m.path === path);
  }

  /** The mount a tune path names; a missing one is 400 whatever the operation. */
  #tunedMount(p: Params): Params {
    const path = normalizeMountPath(p['path']!);
    this.#tuneTarget(p['table'] as Table, path);
    return { ...p, path };
  }

  #tuneTarget(table: Table, path: string): MountEntry {
    const entry = this.#findMount(table, path);
    if (!entry) throw badRequest(`cannot fetch sysview for path "${table === 'auth' ? 'auth/' : ''}${path}"`);
    return entry;
  }

  #readTune(p: Params): LogicalResponse {
    const entry = this.#tuneTarget(p['table'] as Table, p['path']!);
    return {
      data: {
        default_lease_ttl: entry.config.default_lease_ttl || this.#core.options.defaultLeaseTtl,
        description: entry.description,
        force_no_cache: entry.config.force_no_cache,
        max_lease_ttl: entry.config.max_lease_ttl || this.#core.options.maxLeaseTtl,
        ...(entry.options ? { options: entry.options } : {}),
      },
      copyDataToTop: true,
    };
  }

  async #writeTune(req: BackendRequest, p: Params): Promise<null> {
    // Looked up again under the mount-table lock: an unmount may have won the race.
    const entry = this.#tuneTarget(p['table'] as Table, p['path']!);
    await this.#core.updateMountConfig(entry, {
      ...entry.config,
      default_lease_ttl: seconds(req.data, 'default_lease_ttl', entry.config.default_lease_ttl),
      max_lease_ttl: seconds(req.data, 'max_lease_ttl', entry.config.max_lease_ttl),
    });
    return null;
  }

  #readMount(p: Params): LogicalResponse {
    const table = p['table'] as Table;
    const path = p['path']!;
    const entry = this.#findMount(table, path);
    if (!entry)
      throw badRequest(table === 'auth' ? `No auth engine at ${path}` : `No secret engine mount at ${path}`);
    return { data: mountView(entry), copyDataToTop: true };
  }

  async #addMount(req: BackendRequest, p: Params): Promise<null> {
    const path = p['path']!;
    const m =
      p['table'] === 'auth'
        ? newAuthMount(path, req.data, this.#core.auths)
        : newSecretsMount(path, req.data, this.#core.mounts);
    await this.#core.addMount(m);
    return null;
  }

  async #removeMount(table: Table, path: string): Promise<null> {
    await this.#core.removeMount(table, path);
    return null;
  }

  async #listPolicies(legacy: boolean): Promise<LogicalResponse> {
    const names = await this.#core.policies.list();
    const keys = [...names, 'root'];
    return legacy ? { data: { keys, policies: keys }, copyDataToTop: true } : { data: { keys } };
  }

  /** sys/policy/<name> (legacy: `rules`, fields at the top level) and sys/policies/acl/<name>. */
  #policyOperations(legacy: boolean): PathSpec['operations'] {
    return {
      read: async (_req, p) => {
        const lower = p['lower']!;
        const text = await this.#core.policies.read(lower);
        if (text === undefined) throw notFound();
        return legacy
          ? { data: { name: lower, rules: text }, copyDataToTop: true }
          : { data: { name: lower, policy: text } };
      },
      ...write(async (req, p) => {
        const lower = p['lower']!;
        const warnings: string[] = [];
        let text = str(req.data, 'policy');
        if (!text && legacy && has(req.data, 'rules')) {
          text = str(req.data, 'rules');
          warnings.push("'rules' is deprecated, please use 'policy' instead");
        }
        // The policy text may itself be base64 (Vault accepts both).
        if (text && /^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) && text.trim().length % 4 === 0) {
          const decoded = Buffer.from(text.trim(), 'base64').toString('utf8');
          if (/path\s|"path"/.test(decoded)) text = decoded;
        }
        await this.#core.policies.write(lower, text);
        if (lower !== p['name']) warnings.push(`policy name was converted to ${lower}`);
        return warnings.length ? { data: null, warnings } : null;
      }),
      delete: async (_req, p) => {
        await this.#core.policies.delete(p['lower']!);
        return null;
      },
    };
  }

  /** Which mount serves a path (the CLI's `kv` uses this to find the KV version). */
  #uiMount(path: string): LogicalResponse {
    const withSlash = path.endsWith('/') ? path : `${path}/`;
    const m = [...this.#core.mounts]
      .filter((e) => withSlash.startsWith(e.path))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!m)
      throw badRequest(
        `preflight capability check returned 403, please ensure client's policies grant access to path "${path}"`,
      );
    return {
      data: {
        path: m.path,
        type: m.type,
        description: m.description,
        options: m.options,
        config: {
          default_lease_ttl: m.config.default_lease_ttl,
          max_lease_ttl: m.config.max_lease_ttl,
          force_no_cache: false,
        },
        local: m.local,
        seal_wrap: m.seal_wrap,
        external_entropy_access: false,
        uuid: m.uuid,
        accessor: m.accessor,
        plugin_version: '',
        running_plugin_version: '',
        running_sha256: '',
      },
    };
  }

  async #capabilitiesSelf(req: BackendRequest): Promise<LogicalResponse> {
    const paths = has(req.data, 'paths') ? strList(req.data, 'paths') : strList(req.data, 'path');
    if (paths.length === 0) throw badRequest("'path' or 'paths' must be specified");
    const data: Record<string, unknown> = {};
    let first: string[] | undefined;
    for (const p of paths) {
      const caps = await this.#core.capabilities(req.tokenEntry!, p.replace(/^\//, ''));
      data[p] = caps;
      first ??= caps;
    }
    if (paths.length === 1) data['capabilities'] = first;
    return { data };
  }
}
