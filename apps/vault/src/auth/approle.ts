// AppRole auth method: roles with Vault's partial-update and alias semantics, role IDs, secret
// IDs (stored only as salted HMACs), login → a description of the token, which the core issues.
//
// Concurrency: role configuration changes (role writes and deletes, role-id and secret-id
// creation) run one at a time per mount; spending or destroying a secret ID runs under that
// secret ID's lock; failed logins are counted so that no more than LOCKOUT_THRESHOLD wrong
// guesses per role ID are ever answered, however many arrive in parallel.

import { randomBytes } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import { humanDuration } from '../duration.js';
import {
  badRequest,
  noHandler,
  notFound,
  ROOT_FROM_AUTH,
  unsupportedOperation,
  VaultError,
} from '../errors.js';
import { bool, has, int, policyList, seconds, str, strMap } from '../fields.js';
import { anyOperation, Router, write } from '../framework/router.js';
import { newUuid, saltedKey } from '../ids.js';
import type { Backend, BackendRequest, LogicalResponse } from '../types.js';
import type { BarrierView } from '../view.js';
import {
  FIELD_PATH,
  FIELD_PATHS,
  newRole,
  ROLE_NAME,
  type Role,
  roleParams,
  roleView,
} from './approle-role.js';
import { cidrs, inCidrs } from './cidr.js';
import { LoginLockout } from './lockout.js';

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

  readonly #router = new Router(
    [
      { pattern: 'login', operations: write((req) => this.#login(req)), unauthenticated: true },
      { pattern: /^role\/?$/, operations: { list: () => this.#listRoles() } },
      {
        pattern: 'role/:role_name',
        resolve: roleParams,
        operations: {
          read: (_req, p) => this.#readRole(p['role_name']!),
          ...write((req, p) => this.#configChange(() => this.#writeRole(req, p['role_name']!))),
          delete: (_req, p) => this.#configChange(() => this.#deleteRole(p['role_name']!)),
        },
        existence: async (_req, p) => (await this.readRole(p['role_name']!)) !== undefined,
      },
      {
        pattern: 'role/:role_name/role-id',
        resolve: roleParams,
        operations: {
          read: (_req, p) => this.#readRoleId(p['role_name']!),
          ...write((req, p) => this.#configChange(() => this.#writeRoleId(req, p['role_name']!))),
        },
      },
      {
        pattern: /^role\/(?<role_name>[^/]+)\/(?<kind>secret-id\/?|custom-secret-id)$/,
        resolve: roleParams,
        operations: {
          list: (_req, p) => this.#listSecretIds(p['role_name']!),
          ...write((req, p) =>
            this.#configChange(() =>
              this.#createSecretId(req, p['role_name']!, p['kind'] === 'custom-secret-id'),
            ),
          ),
        },
      },
      // These answer every operation alike, as before.
      {
        pattern: /^role\/(?<role_name>[^/]+)\/secret-id\/(?<action>lookup|destroy)$/,
        resolve: roleParams,
        operations: anyOperation((req, p) => this.#secretIdLookup(req, p['role_name']!, p['action']!)),
      },
      {
        pattern: /^role\/(?<role_name>[^/]+)\/secret-id-accessor\/(?<action>lookup|destroy)$/,
        resolve: roleParams,
        operations: anyOperation((req, p) => this.#accessorOp(req, p['role_name']!, p['action']!)),
      },
      {
        pattern: FIELD_PATH,
        resolve: roleParams,
        operations: {
          read: (_req, p) => this.#readField(p['role_name']!, FIELD_PATHS[p['field']!]!),
          ...write((req, p) =>
            this.#configChange(() => this.#writeField(req, p['role_name']!, FIELD_PATHS[p['field']!]!)),
          ),
          delete: (_req, p) =>
            this.#configChange(() => this.#resetField(p['role_name']!, FIELD_PATHS[p['field']!]!)),
        },
      },
    ],
    {
      // Under role/<name>/ the name is checked before the sub-path is found unknown.
      unsupportedPath: (req) => {
        const m = /^role\/([^/]+)\/./.exec(req.path);
        if (m) roleParams({ role_name: m[1]! });
        return noHandler(`${req.mountPath}${req.path}`);
      },
      // A field path of a missing role says so before it says the operation is not served.
      unsupportedOperation: async (_req, p) => {
        if (p['field'] !== undefined) await this.#existingRole(p['role_name']!, false);
        return unsupportedOperation();
      },
    },
  );

  handle = (req: BackendRequest) => this.#router.handle(req);
  existence = (req: BackendRequest) => this.#router.existence(req);
  isUnauthenticated = (path: string) => this.#router.isUnauthenticated(path);

  /** Role configuration changes run one at a time per mount. */
  #configChange<T>(fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(ROLE_CONFIG, fn);
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

  async #listRoles(): Promise<LogicalResponse> {
    const keys = (await this.#view.list('role/')).filter((k) => !k.endsWith('/'));
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  }

  async #readRole(name: string): Promise<LogicalResponse> {
    const role = await this.readRole(name);
    if (!role) throw notFound();
    return { data: roleView(role) };
  }

  async #deleteRole(name: string): Promise<null> {
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

  async #writeRole(req: BackendRequest, name: string): Promise<LogicalResponse | null> {
    const existing = await this.readRole(name);
    const warnings: string[] = [];
    const role = this.#merge(name, existing, req.data, warnings);
    await this.#saveRole(role, existing);
    return warnings.length ? { data: null, warnings } : null;
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

  /** The role a field or role-id path changes; a missing one is 404 to a read, 400 to a change. */
  async #existingRole(name: string, reading: boolean): Promise<Role> {
    const role = await this.readRole(name);
    if (role) return role;
    if (reading) throw notFound();
    throw badRequest(`role "${name}" does not exist`);
  }

  async #readField(name: string, field: keyof Role): Promise<LogicalResponse> {
    const role = await this.#existingRole(name, true);
    return { data: { [field]: role[field] } };
  }

  async #resetField(name: string, field: keyof Role): Promise<null> {
    const role = await this.#existingRole(name, false);
    const reset: Record<string, unknown> = { [field]: newRole(role.name, role.role_id)[field] };
    if (field === 'policies') reset['token_policies'] = [];
    if (field === 'period') reset['token_period'] = 0;
    await this.#saveRole({ ...role, ...reset } as Role, role);
    return null;
  }

  async #writeField(req: BackendRequest, name: string, field: keyof Role): Promise<null> {
    const role = await this.#existingRole(name, false);
    if (!has(req.data, field)) throw badRequest(`missing ${field}`);
    const updated = this.#merge(name, role, { [field]: req.data[field] }, []);
    await this.#saveRole(updated, role);
    return null;
  }

  async #readRoleId(name: string): Promise<LogicalResponse> {
    const role = await this.#existingRole(name, true);
    return { data: { role_id: role.role_id } };
  }

  async #writeRoleId(req: BackendRequest, name: string): Promise<null> {
    const role = await this.#existingRole(name, false);
    const id = str(req.data, 'role_id');
    if (id === '') throw badRequest('missing role_id');
    await this.#saveRole({ ...role, role_id: id }, role);
    return null;
  }

  async #listSecretIds(name: string): Promise<LogicalResponse> {
    await this.#existingRole(name, false);
    const prefix = `secret_id/${await this.#hash(name)}/`;
    const keys: string[] = [];
    for (const k of await this.#view.list(prefix)) {
      const e = await this.#view.getJson<SecretIdEntry>(prefix + k);
      if (e) keys.push(e.accessor);
    }
    if (keys.length === 0) throw notFound();
    return { data: { keys: keys.sort() } };
  }

  async #createSecretId(req: BackendRequest, name: string, custom: boolean): Promise<LogicalResponse> {
    const role = await this.#existingRole(name, false);
    const prefix = `secret_id/${await this.#hash(name)}/`;
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

  async #secretIdLookup(req: BackendRequest, name: string, action: string): Promise<LogicalResponse | null> {
    const secretId = str(req.data, 'secret_id');
    if (secretId === '') throw badRequest('missing secret_id');
    const key = `secret_id/${await this.#hash(name)}/${await this.#hash(secretId)}`;
    return this.#lookupOrDestroy(key, action);
  }

  async #accessorOp(req: BackendRequest, name: string, action: string): Promise<LogicalResponse | null> {
    const accessor = str(req.data, 'secret_id_accessor');
    if (accessor === '') throw badRequest('missing secret_id_accessor');
    const ref = await this.#view.get(`accessor/${await this.#hash(accessor)}`);
    const [roleName, hash] = ref ? ref.toString().split('/') : [];
    if (!ref || roleName !== name) {
      if (action === 'destroy') return null;
      throw badRequest(`failed to find accessor entry for secret_id_accessor: "${accessor}"`);
    }
    const key = `secret_id/${await this.#hash(name)}/${hash}`;
    return this.#lookupOrDestroy(key, action);
  }

  /** Shows the SecretID stored at key, or on the destroy paths deletes it (a missing one is no error). */
  async #lookupOrDestroy(key: string, action: string): Promise<LogicalResponse | null> {
    if (action === 'destroy') {
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
