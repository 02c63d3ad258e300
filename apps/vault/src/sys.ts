// The authenticated part of sys/: mounts, auth methods, policies, capabilities, key status,
// rotation and seal. The unauthenticated sys paths (init, unseal, seal-status, health, leader)
// are served by the HTTP layer before any token check.
import type { Core } from './core.js';
import { badRequest, notFound, VaultError } from './errors.js';
import { has, seconds, str, strList } from './fields.js';
import { mountView, newAuthMount, newSecretsMount, normalizeMountPath } from './mounts.js';
import { validatePolicyName } from './policies.js';
import { type Backend, type BackendRequest, isWrite, type LogicalResponse } from './types.js';

const unsupported = () => new VaultError(405, []);

export class SystemBackend implements Backend {
  readonly type = 'system';
  readonly #core: Core;

  constructor(core: Core) {
    this.#core = core;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const p = req.path;
    if (p === 'mounts' || p === 'mounts/') return this.#listMounts(req, 'mounts');
    if (p === 'auth' || p === 'auth/') return this.#listMounts(req, 'auth');
    if (p.startsWith('mounts/') || p.startsWith('auth/')) {
      const table = p.startsWith('auth/') ? 'auth' : 'mounts';
      const rest = p.slice(table === 'auth' ? 5 : 7);
      if (req.operation === 'read') return this.#mount(req, table, rest);
      return this.#core.changeMounts(() => this.#mount(req, table, rest));
    }
    if (p === 'policy' || p === 'policy/') return this.#listPolicies(req, true);
    if (p === 'policies/acl' || p === 'policies/acl/') return this.#listPolicies(req, false);
    if (p.startsWith('policy/')) return this.#policy(req, p.slice(7), true);
    if (p.startsWith('policies/acl/')) return this.#policy(req, p.slice(13), false);
    if (p === 'capabilities-self') return this.#capabilitiesSelf(req);
    if (p.startsWith('internal/ui/mounts/')) return this.#uiMount(req, p.slice('internal/ui/mounts/'.length));
    if (p === 'key-status') {
      if (req.operation !== 'read') throw unsupported();
      return { data: this.#core.barrier.keyStatus() };
    }
    if (p === 'rotate') {
      if (!isWrite(req.operation)) throw unsupported();
      await this.#core.barrier.rotate();
      return null;
    }
    if (p === 'seal') {
      if (!isWrite(req.operation)) throw unsupported();
      await this.#core.seal();
      return null;
    }
    throw new VaultError(404, ['unsupported path']);
  }

  #listMounts(req: BackendRequest, table: 'mounts' | 'auth'): LogicalResponse {
    if (req.operation !== 'read') throw unsupported();
    const list = table === 'auth' ? this.#core.auths : this.#core.mounts;
    const data: Record<string, unknown> = {};
    for (const m of list) data[m.path] = mountView(m);
    return { data, copyDataToTop: true };
  }

  async #mount(
    req: BackendRequest,
    table: 'mounts' | 'auth',
    rawPath: string,
  ): Promise<LogicalResponse | null> {
    const tune = rawPath.endsWith('/tune');
    const path = normalizeMountPath(tune ? rawPath.slice(0, -5) : rawPath);
    const list = table === 'auth' ? this.#core.auths : this.#core.mounts;
    const entry = list.find((m) => m.path === path);
    if (tune) {
      if (!entry)
        throw badRequest(`cannot fetch sysview for path "${table === 'auth' ? 'auth/' : ''}${path}"`);
      if (req.operation === 'read') {
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
      if (!isWrite(req.operation)) throw unsupported();
      await this.#core.updateMountConfig(entry, {
        ...entry.config,
        default_lease_ttl: seconds(req.data, 'default_lease_ttl', entry.config.default_lease_ttl),
        max_lease_ttl: seconds(req.data, 'max_lease_ttl', entry.config.max_lease_ttl),
      });
      return null;
    }
    switch (req.operation) {
      case 'read':
        if (!entry)
          throw badRequest(
            table === 'auth' ? `No auth engine at ${path}` : `No secret engine mount at ${path}`,
          );
        return { data: mountView(entry), copyDataToTop: true };
      case 'create':
      case 'update': {
        const m =
          table === 'auth'
            ? newAuthMount(path, req.data, this.#core.auths)
            : newSecretsMount(path, req.data, this.#core.mounts);
        await this.#core.addMount(m);
        return null;
      }
      case 'delete':
        await this.#core.removeMount(table, path);
        return null;
      default:
        throw unsupported();
    }
  }

  async #listPolicies(req: BackendRequest, legacy: boolean): Promise<LogicalResponse> {
    if (req.operation !== 'read' && req.operation !== 'list') throw unsupported();
    if (!legacy && req.operation !== 'list') throw unsupported();
    const names = await this.#core.policies.list();
    const keys = [...names, 'root'];
    return legacy ? { data: { keys, policies: keys }, copyDataToTop: true } : { data: { keys } };
  }

  async #policy(req: BackendRequest, rawName: string, legacy: boolean): Promise<LogicalResponse | null> {
    const name = validatePolicyName(rawName.replace(/\/$/, ''));
    const lower = name.toLowerCase();
    switch (req.operation) {
      case 'read': {
        const text = await this.#core.policies.read(lower);
        if (text === undefined) throw notFound();
        return legacy
          ? { data: { name: lower, rules: text }, copyDataToTop: true }
          : { data: { name: lower, policy: text } };
      }
      case 'create':
      case 'update': {
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
        if (lower !== name) warnings.push(`policy name was converted to ${lower}`);
        return warnings.length ? { data: null, warnings } : null;
      }
      case 'delete':
        await this.#core.policies.delete(lower);
        return null;
      default:
        throw unsupported();
    }
  }

  /** Which mount serves a path (the CLI's `kv` uses this to find the KV version). */
  #uiMount(req: BackendRequest, path: string): LogicalResponse {
    if (req.operation !== 'read') throw unsupported();
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
    if (!isWrite(req.operation)) throw unsupported();
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
