// auth/token/: lookup-self, renew-self, revoke-self, create, lookup, renew, revoke.
import type { Core } from './core.js';
import { badRequest, VaultError } from './errors.js';
import { bool, has, int, normalizePolicies, policyList, seconds, str, strMap } from './fields.js';
import { type TokenEntry, TokenStore } from './tokens.js';
import { type Backend, type BackendRequest, isWrite, type LogicalResponse } from './types.js';

const unsupported = () => new VaultError(405, ['unsupported operation']);

export class TokenBackend implements Backend {
  readonly type = 'token';
  readonly #core: Core;

  constructor(core: Core) {
    this.#core = core;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const self = req.tokenEntry!;
    const tokens = this.#core.tokens;
    switch (req.path) {
      case 'lookup-self':
        if (req.operation !== 'read' && !isWrite(req.operation)) throw unsupported();
        return { data: TokenStore.describe(self, true) };
      case 'lookup': {
        const target = await this.#target(req);
        return { data: TokenStore.describe(target, true) };
      }
      case 'lookup-accessor': {
        const accessor = str(req.data, 'accessor');
        const target = accessor ? await tokens.lookupAccessor(accessor) : undefined;
        if (!target) throw badRequest('invalid accessor');
        return { data: TokenStore.describe(target, false) };
      }
      case 'renew-self':
      case 'renew': {
        if (!isWrite(req.operation)) throw unsupported();
        const target = req.path === 'renew' ? await this.#target(req) : self;
        const limits = await this.#core.renewLimits(target);
        const { entry, warnings } = await tokens.renew(target, seconds(req.data, 'increment'), limits);
        return { data: null, auth: TokenStore.authBlock(entry), ...(warnings.length ? { warnings } : {}) };
      }
      case 'revoke-self':
        if (!isWrite(req.operation)) throw unsupported();
        await tokens.revoke(self);
        return null;
      case 'revoke': {
        if (!isWrite(req.operation)) throw unsupported();
        const id = str(req.data, 'token');
        if (!id) throw badRequest('missing token');
        const target = await tokens.lookup(id);
        if (target) await tokens.revoke(target);
        return null;
      }
      case 'create':
      case 'create-orphan':
        if (!isWrite(req.operation)) throw unsupported();
        return this.#create(req, self, req.path === 'create-orphan');
      default:
        throw new VaultError(404, [`no handler for route "auth/token/${req.path}". route entry not found.`]);
    }
  }

  async #target(req: BackendRequest): Promise<TokenEntry> {
    const id = str(req.data, 'token');
    if (!id) throw badRequest('missing token');
    const entry = await this.#core.tokens.lookup(id);
    if (!entry) throw badRequest('bad token');
    return entry;
  }

  /**
   * Vault's token create rules, where "sudo" here means holding the root policy (stricter than
   * Vault, where sudo on the path is enough): a use-limited parent makes no children (they would
   * escape its count); without root, policies must be a subset of the parent's (`default`
   * included), and custom ids, orphans and periods are refused.
   */
  async #create(req: BackendRequest, parent: TokenEntry, orphanPath: boolean): Promise<LogicalResponse> {
    const d = req.data;
    if (parent.numUses > 0) throw badRequest('restricted use token cannot generate child tokens');
    const isRoot = parent.policies.includes('root');
    const noDefault = bool(d, 'no_default_policy');
    const warnings: string[] = [];
    if (has(d, 'id') && !isRoot) throw badRequest('root or sudo privileges required to specify token id');
    let policies: string[];
    if (!has(d, 'policies') || policyList(d, 'policies').length === 0) {
      // Inherit the parent's set; `default` only when the parent has it.
      policies = parent.policies;
    } else {
      policies = policyList(d, 'policies');
      if (!isRoot) {
        const allowed = new Set(parent.policies);
        for (const p of policies)
          if (!allowed.has(p)) throw badRequest('child policies must be subset of parent');
        if (parent.policies.includes('default')) policies = normalizePolicies([...policies, 'default']);
      } else {
        policies = normalizePolicies([...policies, 'default']);
      }
    }
    if (noDefault) policies = policies.filter((p) => p !== 'default');
    if (policies.includes('root')) {
      // Unreachable without root (the subset rule comes first); kept as Vault states it.
      if (!isRoot) throw badRequest('root tokens may not be created without parent token being root');
      policies = ['root'];
    }
    for (const p of policies)
      if (!(await this.#core.policies.exists(p))) warnings.push(`Policy "${p}" does not exist`);
    const period = seconds(d, 'period');
    if (period > 0 && !isRoot) throw badRequest('root or sudo privileges required to create periodic token');
    const numUses = int(d, 'num_uses');
    if (numUses < 0) throw badRequest('number of uses cannot be negative');
    const noParent = bool(d, 'no_parent') || orphanPath;
    if (bool(d, 'no_parent') && !isRoot)
      throw badRequest('root or sudo privileges required to create orphan token');
    const { entry, warnings: ttlWarnings } = await this.#core.tokens.create({
      policies,
      path: orphanPath ? 'auth/token/create-orphan' : 'auth/token/create',
      displayName: has(d, 'display_name') ? `token-${str(d, 'display_name')}` : 'token',
      meta: strMap(d, 'meta'),
      ttl: seconds(d, 'ttl'),
      explicitMaxTtl: seconds(d, 'explicit_max_ttl'),
      period,
      numUses,
      renewable: bool(d, 'renewable', true),
      orphan: noParent,
      ...(noParent ? {} : { parent: parent.id }),
      ...(has(d, 'id') ? { id: str(d, 'id') } : {}),
    });
    const auth = TokenStore.authBlock(entry);
    return { data: null, auth, warnings: [...warnings, ...ttlWarnings], mountType: 'token' };
  }
}
