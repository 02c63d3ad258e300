// AppRole auth method: roles with Vault's partial-update and alias semantics, role IDs, secret
// IDs (stored only as salted HMACs), login → a description of the token, which the core issues.
//
// Concurrency: role configuration changes (role writes and deletes, role-id and secret-id
// creation) run one at a time per mount; spending or destroying a secret ID runs under that
// secret ID's lock; failed logins are counted so that no more than LOCKOUT_THRESHOLD wrong
// guesses per role ID are ever answered, however many arrive in parallel.

import { randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { KeyedLock } from '@kms-chain/concurrency';
import { humanDuration } from '../duration.js';
import { badRequest, notFound, ROOT_FROM_AUTH, VaultError } from '../errors.js';
import { bool, has, int, policyList, seconds, str, strList, strMap } from '../fields.js';
import { newUuid, saltedKey } from '../ids.js';
import { type Backend, type BackendRequest, isWrite, type LogicalResponse } from '../types.js';
import type { BarrierView } from '../view.js';
import { LoginLockout } from './lockout.js';

export interface Role {
  name: string;
  role_id: string;
  bind_secret_id: boolean;
  secret_id_bound_cidrs: string[];
  secret_id_num_uses: number;
  secret_id_ttl: number;
  local_secret_ids: boolean;
  token_ttl: number;
  token_max_ttl: number;
  token_policies: string[];
  policies: string[];
  token_period: number;
  period: number;
  token_explicit_max_ttl: number;
  token_no_default_policy: boolean;
  token_num_uses: number;
  token_bound_cidrs: string[];
  token_type: string;
}

interface SecretIdEntry {
  role: string;
  accessor: string;
  num_uses: number;
  ttl: number;
  cidr_list: string[];
  token_bound_cidrs: string[];
  metadata: Record<string, string>;
  creation_time: string;
  expiration_time: string;
  last_updated_time: string;
}

const INVALID = 'invalid role or secret ID';
const ROLE_NAME = /^\w(?:[\w.-]*\w)?$/;

/** Sub-paths role/<n>/<field> that read or set one field. */
const FIELD_PATHS: Record<string, keyof Role> = {
  policies: 'policies',
  'token-policies': 'token_policies',
  period: 'period',
  'token-period': 'token_period',
  'secret-id-num-uses': 'secret_id_num_uses',
  'secret-id-ttl': 'secret_id_ttl',
  'secret-id-bound-cidrs': 'secret_id_bound_cidrs',
  'bound-cidr-list': 'secret_id_bound_cidrs',
  'token-ttl': 'token_ttl',
  'token-max-ttl': 'token_max_ttl',
  'token-num-uses': 'token_num_uses',
  'token-bound-cidrs': 'token_bound_cidrs',
  'bind-secret-id': 'bind_secret_id',
  'local-secret-ids': 'local_secret_ids',
};

/** Lock key for role configuration changes (one at a time per mount). */
const ROLE_CONFIG = 'role-config';

export class AppRoleBackend implements Backend {
  readonly type = 'approle';
  readonly #view: BarrierView;
  /** The system max lease TTL, seconds (role periods above it are refused). */
  readonly #maxTtl: number;
  readonly #mountPath: string;
  #salt: Buffer | undefined;
  /** ROLE_CONFIG, and each secret ID's storage key. */
  readonly #locks = new KeyedLock();
  readonly #lockout = new LoginLockout();

  constructor(view: BarrierView, maxTtl: number, mountPath: string) {
    this.#view = view;
    this.#maxTtl = maxTtl;
    this.#mountPath = mountPath;
  }

  isUnauthenticated(path: string): boolean {
    return path === 'login';
  }

  async #hash(value: string): Promise<string> {
    if (!this.#salt) {
      let salt = await this.#view.get('salt');
      if (!salt) {
        salt = randomBytes(32);
        await this.#view.put('salt', salt);
      }
      this.#salt = salt;
    }
    return saltedKey(this.#salt, value);
  }

  async readRole(name: string): Promise<Role | undefined> {
    if (!ROLE_NAME.test(name)) return undefined;
    return this.#view.getJson<Role>(`role/${name.toLowerCase()}`);
  }

  /** Limits a renewal re-reads from the role; undefined when the role is gone. */
  async renewLimits(name: string): Promise<{ ttl: number; maxTtl: number; period: number } | undefined> {
    const role = await this.readRole(name);
    return role ? { ttl: role.token_ttl, maxTtl: role.token_max_ttl, period: role.token_period } : undefined;
  }

  async existence(req: BackendRequest): Promise<boolean | undefined> {
    const m = /^role\/([^/]+)$/.exec(req.path);
    if (!m) return undefined;
    return (await this.readRole(m[1]!)) !== undefined;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const { operation: op, path } = req;
    if (path === 'login') {
      if (!isWrite(op)) throw new VaultError(405, ['unsupported operation']);
      return this.#login(req);
    }
    if (path === 'role/' || path === 'role') {
      if (op !== 'list') throw new VaultError(405, ['unsupported operation']);
      const keys = (await this.#view.list('role/')).filter((k) => !k.endsWith('/'));
      if (keys.length === 0) throw notFound();
      return { data: { keys } };
    }
    const m = /^role\/([^/]+)(?:\/(.+))?$/.exec(path);
    if (!m)
      throw new VaultError(404, [`no handler for route "${req.mountPath}${path}". route entry not found.`]);
    const name = m[1]!.toLowerCase();
    const sub = m[2];
    if (!ROLE_NAME.test(name) || name.length >= 4096) throw badRequest(`invalid role_name "${m[1]}"`);
    const configChange = op !== 'read' && op !== 'list';
    if (sub === undefined)
      return configChange
        ? this.#locks.run(ROLE_CONFIG, () => this.#roleOp(req, name))
        : this.#roleOp(req, name);
    if (sub === 'role-id')
      return configChange
        ? this.#locks.run(ROLE_CONFIG, () => this.#roleIdOp(req, name))
        : this.#roleIdOp(req, name);
    if (sub === 'secret-id' || sub === 'secret-id/' || sub === 'custom-secret-id') {
      const custom = sub === 'custom-secret-id';
      return configChange
        ? this.#locks.run(ROLE_CONFIG, () => this.#secretIdOp(req, name, custom))
        : this.#secretIdOp(req, name, custom);
    }
    if (sub === 'secret-id/lookup' || sub === 'secret-id/destroy')
      return this.#secretIdLookup(req, name, sub);
    if (sub === 'secret-id-accessor/lookup' || sub === 'secret-id-accessor/destroy')
      return this.#accessorOp(req, name, sub);
    const field = FIELD_PATHS[sub];
    if (field)
      return configChange
        ? this.#locks.run(ROLE_CONFIG, () => this.#fieldOp(req, name, field))
        : this.#fieldOp(req, name, field);
    throw new VaultError(404, [`no handler for route "${req.mountPath}${path}". route entry not found.`]);
  }

  async #roleOp(req: BackendRequest, name: string): Promise<LogicalResponse | null> {
    switch (req.operation) {
      case 'read': {
        const role = await this.readRole(name);
        if (!role) throw notFound();
        return { data: roleView(role) };
      }
      case 'delete': {
        const role = await this.readRole(name);
        if (!role) return null;
        // The role goes first, so no login can start against it; each secret ID then goes under
        // its own lock, so a login already spending one cannot write it back.
        await this.#view.delete(`role/${name}`);
        await this.#view.delete(`role_id/${await this.#hash(role.role_id)}`);
        const prefix = `secret_id/${await this.#hash(name)}/`;
        for (const k of await this.#view.list(prefix)) {
          if (k.endsWith('/')) continue;
          await this.#locks.run(prefix + k, async () => {
            const entry = await this.#view.getJson<SecretIdEntry>(prefix + k);
            if (entry) await this.#deleteSecret(prefix + k, entry);
          });
        }
        return null;
      }
      case 'create':
      case 'update': {
        const existing = await this.readRole(name);
        const warnings: string[] = [];
        const role = this.#merge(name, existing, req.data, warnings);
        await this.#saveRole(role, existing);
        return warnings.length ? { data: null, warnings } : null;
      }
      default:
        throw new VaultError(405, ['unsupported operation']);
    }
  }

  #merge(name: string, existing: Role | undefined, d: Record<string, unknown>, warnings: string[]): Role {
    if (existing && has(d, 'local_secret_ids') && bool(d, 'local_secret_ids') !== existing.local_secret_ids)
      throw badRequest('local_secret_ids can only be modified during role creation');
    const r: Role = existing ? { ...existing } : newRole(name, newUuid());
    if (has(d, 'role_id')) {
      const id = str(d, 'role_id');
      if (id === '') throw badRequest('role_id cannot be empty');
      r.role_id = id;
    }
    r.bind_secret_id = bool(d, 'bind_secret_id', r.bind_secret_id);
    if (has(d, 'secret_id_bound_cidrs')) r.secret_id_bound_cidrs = cidrs(d, 'secret_id_bound_cidrs');
    else if (has(d, 'bound_cidr_list')) r.secret_id_bound_cidrs = cidrs(d, 'bound_cidr_list');
    r.secret_id_num_uses = int(d, 'secret_id_num_uses', r.secret_id_num_uses);
    if (r.secret_id_num_uses < 0) throw badRequest('secret_id_num_uses cannot be negative');
    r.secret_id_ttl = seconds(d, 'secret_id_ttl', r.secret_id_ttl);
    if (!existing) r.local_secret_ids = bool(d, 'local_secret_ids', false);
    r.token_ttl = seconds(d, 'token_ttl', r.token_ttl);
    r.token_max_ttl = seconds(d, 'token_max_ttl', r.token_max_ttl);
    r.token_explicit_max_ttl = seconds(d, 'token_explicit_max_ttl', r.token_explicit_max_ttl);
    r.token_no_default_policy = bool(d, 'token_no_default_policy', r.token_no_default_policy);
    r.token_num_uses = int(d, 'token_num_uses', r.token_num_uses);
    if (r.token_num_uses < 0) throw badRequest('token_num_uses cannot be negative');
    if (has(d, 'token_bound_cidrs')) r.token_bound_cidrs = cidrs(d, 'token_bound_cidrs');
    // Alias pairs: the new name wins and clears the legacy one unless that is given too; the
    // legacy name alone sets both.
    if (has(d, 'token_policies')) {
      r.token_policies = policyList(d, 'token_policies');
      r.policies = has(d, 'policies') ? policyList(d, 'policies') : [];
    } else if (has(d, 'policies')) {
      r.policies = policyList(d, 'policies');
      r.token_policies = r.policies;
    }
    if (has(d, 'token_period')) {
      r.token_period = seconds(d, 'token_period');
      r.period = has(d, 'period') ? seconds(d, 'period') : 0;
    } else if (has(d, 'period')) {
      r.period = seconds(d, 'period');
      r.token_period = r.period;
    }
    // Tokens from a login can never hold root (the core refuses it again at login).
    if (r.token_policies.includes('root') || r.policies.includes('root')) throw badRequest(ROOT_FROM_AUTH);
    if (has(d, 'token_type')) {
      const t = str(d, 'token_type');
      if (t === 'default-service' || t === 'default-batch') {
        warnings.push(`token_type "${t}" is deprecated; using "${t.slice(8)}"`);
        r.token_type = t.slice(8);
      } else if (t === '' || t === 'default' || t === 'service' || t === 'batch') {
        r.token_type = t === '' ? 'default' : t;
      } else {
        throw badRequest(`invalid 'token_type' value "${t}"`);
      }
      if (r.token_type === 'batch') throw badRequest('batch tokens are not supported by this server');
    }
    if (r.token_max_ttl > 0 && r.token_ttl > r.token_max_ttl)
      throw badRequest("'token_ttl' cannot be greater than 'token_max_ttl'");
    const sysMax = this.#maxTtl;
    if (r.token_period > sysMax)
      throw badRequest(
        `'period' of '${humanDuration(r.token_period)}' is greater than the backend's maximum lease TTL of '${humanDuration(sysMax)}'`,
      );
    if (r.token_max_ttl > sysMax)
      warnings.push(
        "token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
      );
    if (!r.bind_secret_id && r.secret_id_bound_cidrs.length === 0 && r.token_bound_cidrs.length === 0)
      throw badRequest('at least one constraint should be enabled on the role');
    return r;
  }

  async #saveRole(role: Role, existing: Role | undefined): Promise<void> {
    const idKey = `role_id/${await this.#hash(role.role_id)}`;
    if (!existing || existing.role_id !== role.role_id) {
      const owner = await this.#view.get(idKey);
      if (owner && owner.toString() !== role.name) throw badRequest('role_id already in use');
    }
    await this.#view.putJson(`role/${role.name}`, role);
    await this.#view.put(idKey, Buffer.from(role.name));
    if (existing && existing.role_id !== role.role_id)
      await this.#view.delete(`role_id/${await this.#hash(existing.role_id)}`);
  }

  async #fieldOp(req: BackendRequest, name: string, field: keyof Role): Promise<LogicalResponse | null> {
    const role = await this.readRole(name);
    if (!role) {
      if (req.operation === 'read') throw notFound();
      throw badRequest(`role "${name}" does not exist`);
    }
    if (req.operation === 'read') return { data: { [field]: role[field] } };
    if (req.operation === 'delete') {
      const reset: Record<string, unknown> = { [field]: newRole(role.name, role.role_id)[field] };
      if (field === 'policies') reset['token_policies'] = [];
      if (field === 'period') reset['token_period'] = 0;
      await this.#saveRole({ ...role, ...reset } as Role, role);
      return null;
    }
    if (!isWrite(req.operation)) throw new VaultError(405, ['unsupported operation']);
    if (!has(req.data, field)) throw badRequest(`missing ${field}`);
    const updated = this.#merge(name, role, { [field]: req.data[field] }, []);
    await this.#saveRole(updated, role);
    return null;
  }

  async #roleIdOp(req: BackendRequest, name: string): Promise<LogicalResponse | null> {
    const role = await this.readRole(name);
    if (req.operation === 'read') {
      if (!role) throw notFound();
      return { data: { role_id: role.role_id } };
    }
    if (!isWrite(req.operation)) throw new VaultError(405, ['unsupported operation']);
    if (!role) throw badRequest(`role "${name}" does not exist`);
    const id = str(req.data, 'role_id');
    if (id === '') throw badRequest('missing role_id');
    await this.#saveRole({ ...role, role_id: id }, role);
    return null;
  }

  async #secretIdOp(req: BackendRequest, name: string, custom = false): Promise<LogicalResponse | null> {
    const role = await this.readRole(name);
    const prefix = `secret_id/${await this.#hash(name)}/`;
    if (req.operation === 'list') {
      if (!role) throw badRequest(`role "${name}" does not exist`);
      const keys: string[] = [];
      for (const k of await this.#view.list(prefix)) {
        const e = await this.#view.getJson<SecretIdEntry>(prefix + k);
        if (e) keys.push(e.accessor);
      }
      if (keys.length === 0) throw notFound();
      return { data: { keys: keys.sort() } };
    }
    if (!isWrite(req.operation)) throw new VaultError(405, ['unsupported operation']);
    if (!role) throw badRequest(`role "${name}" does not exist`);
    const d = req.data;
    const numUses = int(d, 'num_uses', role.secret_id_num_uses);
    if (numUses < 0) throw badRequest('num_uses cannot be negative');
    if (role.secret_id_num_uses > 0 && (numUses === 0 || numUses > role.secret_id_num_uses))
      throw badRequest("num_uses cannot be higher than the role's secret_id_num_uses");
    const ttl = seconds(d, 'ttl', role.secret_id_ttl);
    if (role.secret_id_ttl > 0 && (ttl === 0 || ttl > role.secret_id_ttl))
      throw badRequest("ttl cannot be longer than the role's secret_id_ttl");
    const secretId = custom ? str(d, 'secret_id') : newUuid();
    if (secretId === '') throw badRequest('missing secret_id');
    const now = new Date();
    const entry: SecretIdEntry = {
      role: name,
      accessor: newUuid(),
      num_uses: numUses,
      ttl,
      cidr_list: cidrs(d, 'cidr_list'),
      token_bound_cidrs: cidrs(d, 'token_bound_cidrs'),
      metadata: strMap(d, 'metadata') ?? {},
      creation_time: now.toISOString(),
      expiration_time: ttl > 0 ? new Date(now.getTime() + ttl * 1000).toISOString() : '0001-01-01T00:00:00Z',
      last_updated_time: now.toISOString(),
    };
    const hash = await this.#hash(secretId);
    if (await this.#view.get(prefix + hash)) throw badRequest('SecretID is already registered');
    await this.#view.putJson(prefix + hash, entry);
    await this.#view.put(`accessor/${await this.#hash(entry.accessor)}`, Buffer.from(`${name}/${hash}`));
    return {
      data: {
        secret_id: secretId,
        secret_id_accessor: entry.accessor,
        secret_id_num_uses: numUses,
        secret_id_ttl: ttl,
      },
    };
  }

  #secretView(e: SecretIdEntry): Record<string, unknown> {
    return {
      cidr_list: e.cidr_list,
      creation_time: e.creation_time,
      expiration_time: e.expiration_time,
      last_updated_time: e.last_updated_time,
      metadata: e.metadata,
      secret_id_accessor: e.accessor,
      secret_id_num_uses: e.num_uses,
      secret_id_ttl: e.ttl,
      token_bound_cidrs: e.token_bound_cidrs,
    };
  }

  async #secretIdLookup(req: BackendRequest, name: string, sub: string): Promise<LogicalResponse | null> {
    const secretId = str(req.data, 'secret_id');
    if (secretId === '') throw badRequest('missing secret_id');
    const key = `secret_id/${await this.#hash(name)}/${await this.#hash(secretId)}`;
    return this.#lookupOrDestroy(key, sub);
  }

  async #accessorOp(req: BackendRequest, name: string, sub: string): Promise<LogicalResponse | null> {
    const accessor = str(req.data, 'secret_id_accessor');
    if (accessor === '') throw badRequest('missing secret_id_accessor');
    const ref = await this.#view.get(`accessor/${await this.#hash(accessor)}`);
    const [roleName, hash] = ref ? ref.toString().split('/') : [];
    if (!ref || roleName !== name) {
      if (sub.endsWith('destroy')) return null;
      throw badRequest(`failed to find accessor entry for secret_id_accessor: "${accessor}"`);
    }
    const key = `secret_id/${await this.#hash(name)}/${hash}`;
    return this.#lookupOrDestroy(key, sub);
  }

  /** Shows the SecretID stored at key, or on the destroy paths deletes it (a missing one is no error). */
  async #lookupOrDestroy(key: string, sub: string): Promise<LogicalResponse | null> {
    if (sub.endsWith('destroy')) {
      await this.#locks.run(key, async () => {
        const entry = await this.#view.getJson<SecretIdEntry>(key);
        if (entry) await this.#deleteSecret(key, entry);
      });
      return null;
    }
    const entry = await this.#view.getJson<SecretIdEntry>(key);
    if (!entry) throw notFound();
    return { data: this.#secretView(entry) };
  }

  async #deleteSecret(key: string, entry: SecretIdEntry): Promise<void> {
    await this.#view.delete(key);
    await this.#view.delete(`accessor/${await this.#hash(entry.accessor)}`);
  }

  async #login(req: BackendRequest): Promise<LogicalResponse> {
    const roleId = str(req.data, 'role_id');
    if (roleId === '') throw badRequest('missing role_id');
    // Only failures against an existing role count, so guessed role IDs cannot grow the table.
    return this.#lockout.attempt(
      roleId,
      () => this.#loginChecked(req, roleId),
      async (err) =>
        err instanceof VaultError &&
        err.errors[0] === INVALID &&
        (await this.#roleByRoleId(roleId)) !== undefined,
    );
  }

  async #roleByRoleId(roleId: string): Promise<Role | undefined> {
    const owner = await this.#view.get(`role_id/${await this.#hash(roleId)}`);
    const role = owner ? await this.readRole(owner.toString()) : undefined;
    return role && role.role_id === roleId ? role : undefined;
  }

  /**
   * Checks and spends the secret ID under its lock: of N parallel logins with a secret ID that
   * has k uses left, exactly k get past this point.
   */
  async #spendSecretId(req: BackendRequest, role: Role, key: string): Promise<SecretIdEntry> {
    return this.#locks.run(key, async () => {
      const entry = await this.#view.getJson<SecretIdEntry>(key);
      if (!entry) throw badRequest(INVALID);
      if (entry.ttl > 0 && Date.now() >= Date.parse(entry.expiration_time)) {
        await this.#deleteSecret(key, entry);
        throw badRequest(INVALID);
      }
      if (entry.cidr_list.length && !inCidrs(req.clientAddr, entry.cidr_list))
        throw badRequest(
          `source address "${req.clientAddr}" unauthorized through CIDR restrictions on the secret ID`,
        );
      // A role deleted while this login waited for the lock took its secret IDs with it.
      if (!(await this.readRole(role.name))) throw badRequest(INVALID);
      if (entry.num_uses > 0) {
        if (entry.num_uses === 1) await this.#deleteSecret(key, entry);
        else
          await this.#view.putJson(key, {
            ...entry,
            num_uses: entry.num_uses - 1,
            last_updated_time: new Date().toISOString(),
          });
      }
      return entry;
    });
  }

  async #loginChecked(req: BackendRequest, roleId: string): Promise<LogicalResponse> {
    const role = await this.#roleByRoleId(roleId);
    if (!role) throw badRequest(INVALID);
    let tokenCidrs = role.token_bound_cidrs;
    if (role.bind_secret_id) {
      const secretId = str(req.data, 'secret_id');
      if (secretId === '') throw badRequest('missing secret_id');
      const key = `secret_id/${await this.#hash(role.name)}/${await this.#hash(secretId)}`;
      const entry = await this.#spendSecretId(req, role, key);
      if (entry.token_bound_cidrs.length) tokenCidrs = entry.token_bound_cidrs;
    }
    if (role.secret_id_bound_cidrs.length && !inCidrs(req.clientAddr, role.secret_id_bound_cidrs))
      throw badRequest(`source address "${req.clientAddr}" unauthorized by CIDR restrictions on the role`);
    if (tokenCidrs.length && !inCidrs(req.clientAddr, tokenCidrs))
      throw badRequest(`source address "${req.clientAddr}" unauthorized by CIDR restrictions on the role`);
    return {
      data: null,
      login: {
        policies: role.token_policies,
        noDefaultPolicy: role.token_no_default_policy,
        displayName: this.#mountPath === 'approle/' ? 'approle' : `approle-${this.#mountPath.slice(0, -1)}`,
        meta: { role_name: role.name },
        ttl: role.token_ttl,
        maxTtl: role.token_max_ttl,
        explicitMaxTtl: role.token_explicit_max_ttl,
        period: role.token_period,
        numUses: role.token_num_uses,
        role: role.name,
      },
      mountType: 'approle',
    };
  }
}

/** A role as Vault creates it when the write names no fields; also the value a field DELETE restores. */
function newRole(name: string, roleId: string): Role {
  return {
    name,
    role_id: roleId,
    bind_secret_id: true,
    secret_id_bound_cidrs: [],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    local_secret_ids: false,
    token_ttl: 0,
    token_max_ttl: 0,
    token_policies: [],
    policies: [],
    token_period: 0,
    period: 0,
    token_explicit_max_ttl: 0,
    token_no_default_policy: false,
    token_num_uses: 0,
    token_bound_cidrs: [],
    token_type: 'default',
  };
}

function roleView(r: Role): Record<string, unknown> {
  const data: Record<string, unknown> = {
    bind_secret_id: r.bind_secret_id,
    local_secret_ids: r.local_secret_ids,
    secret_id_bound_cidrs: r.secret_id_bound_cidrs,
    secret_id_num_uses: r.secret_id_num_uses,
    secret_id_ttl: r.secret_id_ttl,
    token_bound_cidrs: r.token_bound_cidrs,
    token_explicit_max_ttl: r.token_explicit_max_ttl,
    token_max_ttl: r.token_max_ttl,
    token_no_default_policy: r.token_no_default_policy,
    token_num_uses: r.token_num_uses,
    token_period: r.token_period,
    token_policies: r.token_policies,
    token_ttl: r.token_ttl,
    token_type: r.token_type,
  };
  if (r.period > 0) data['period'] = r.period;
  if (r.policies.length > 0) data['policies'] = r.policies;
  return data;
}

function cidrs(d: Record<string, unknown>, key: string): string[] {
  const list = strList(d, key);
  for (const c of list) {
    const [addr, bits] = c.split('/');
    const ok = addr !== undefined && isIP(addr) !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
    if (!ok) throw badRequest(`invalid CIDR block "${c}" in field "${key}"`);
  }
  return list;
}

function inCidrs(addr: string, list: string[]): boolean {
  const ip = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  const bl = new BlockList();
  for (const c of list) {
    const [a, bits] = c.split('/');
    const fam = isIP(a!) === 6 ? 'ipv6' : 'ipv4';
    bl.addSubnet(a!, bits === undefined ? (fam === 'ipv6' ? 128 : 32) : Number(bits), fam);
  }
  return bl.check(ip, family);
}
