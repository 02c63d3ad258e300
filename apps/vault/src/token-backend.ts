// auth/token/: lookup-self, renew-self, revoke-self, create, lookup, renew, revoke.
import { badRequest } from './errors.js';
import { bool, has, int, normalizePolicies, policyList, seconds, str, strMap } from './fields.js';
import { anyOperation, Router, write } from './framework/router.js';
import type { PolicyStore } from './policies.js';
import { type TokenEntry, TokenStore } from './tokens.js';
import type { Backend, BackendRequest, LogicalResponse } from './types.js';

/** What the token store's paths need from the core. */
export interface TokenCore {
  readonly tokens: TokenStore;
  /** Create warns about policies that do not exist. */
  readonly policies: Pick<PolicyStore, 'exists'>;
  /** Renewal limits for a token (its role re-read); 400 when its auth method or role is gone. */
  renewLimits(entry: TokenEntry): Promise<{ ttl: number; maxTtl: number; period: number } | undefined>;
}

export class TokenBackend implements Backend {
  readonly type = 'token';
  readonly #core: TokenCore;

  constructor(core: TokenCore) {
    this.#core = core;
  }

  readonly #router = new Router([
    {
      pattern: 'lookup-self',
      operations: {
        read: (req) => ({ data: TokenStore.describe(req.tokenEntry!, true) }),
        ...write((req) => ({ data: TokenStore.describe(req.tokenEntry!, true) })),
      },
    },
    {
      pattern: 'lookup',
      operations: anyOperation(async (req) => ({ data: TokenStore.describe(await this.#target(req), true) })),
    },
    { pattern: 'lookup-accessor', operations: anyOperation((req) => this.#lookupAccessor(req)) },
    { pattern: 'renew-self', operations: write((req) => this.#renew(req, req.tokenEntry!)) },
    { pattern: 'renew', operations: write(async (req) => this.#renew(req, await this.#target(req))) },
    { pattern: 'revoke-self', operations: write((req) => this.#revokeSelf(req)) },
    { pattern: 'revoke', operations: write((req) => this.#revoke(req)) },
    { pattern: 'create', operations: write((req) => this.#create(req, req.tokenEntry!, false)) },
    { pattern: 'create-orphan', operations: write((req) => this.#create(req, req.tokenEntry!, true)) },
  ]);

  handle = (req: BackendRequest) => this.#router.handle(req);

  async #lookupAccessor(req: BackendRequest): Promise<LogicalResponse> {
    const accessor = str(req.data, 'accessor');
    const target = accessor ? await this.#core.tokens.lookupAccessor(accessor) : undefined;
    if (!target) throw badRequest('invalid accessor');
    return { data: TokenStore.describe(target, false) };
  }

  async #renew(req: BackendRequest, target: TokenEntry): Promise<LogicalResponse> {
    const limits = await this.#core.renewLimits(target);
    const { entry, warnings } = await this.#core.tokens.renew(target, seconds(req.data, 'increment'), limits);
    return { data: null, auth: TokenStore.authBlock(entry), ...(warnings.length ? { warnings } : {}) };
  }

  async #revokeSelf(req: BackendRequest): Promise<null> {
    await this.#core.tokens.revoke(req.tokenEntry!);
    return null;
  }

  async #revoke(req: BackendRequest): Promise<null> {
    const id = str(req.data, 'token');
    if (!id) throw badRequest('missing token');
    const target = await this.#core.tokens.lookup(id);
    if (target) await this.#core.tokens.revoke(target);
    return null;
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
