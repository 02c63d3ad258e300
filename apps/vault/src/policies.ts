// ACL policies stored inside the barrier at sys/policy/<name>; parsed and matched by
// @kms-chain/policy. ACLs are cached per policy set and dropped whenever a policy changes.
import { DEFAULT_POLICY_HCL, parseVaultPolicy, VaultAcl, type VaultPolicy } from '@kms-chain/policy';
import type { Barrier } from './barrier.js';
import { badRequest } from './errors.js';

const PREFIX = 'sys/policy/';

interface StoredPolicy {
  Name: string;
  Raw: string;
  Type: 'acl';
}

/** Policy names Vault accepts: no slashes/traversal, bounded length. */
export function validatePolicyName(name: string): string {
  if (!name || name.length > 512 || name.includes('..') || /[/\0\\]/.test(name))
    throw badRequest(`invalid policy name "${name}"`);
  return name;
}

export class PolicyStore {
  readonly #barrier: Barrier;
  readonly #parsed = new Map<string, VaultPolicy | null>();
  readonly #acls = new Map<string, VaultAcl>();

  constructor(barrier: Barrier) {
    this.#barrier = barrier;
  }

  reset(): void {
    this.#parsed.clear();
    this.#acls.clear();
  }

  /** Writes the built-in default policy on a fresh store. */
  async setup(): Promise<void> {
    if (!(await this.#barrier.get(PREFIX + 'default'))) await this.#store('default', DEFAULT_POLICY_HCL);
  }

  /** Parses (rejecting with Vault's 400 text) and stores a policy. */
  async write(name: string, text: string): Promise<void> {
    if (name === 'root') throw badRequest('cannot update "root" policy');
    if (!text || text.trim() === '') throw badRequest("'policy' parameter not supplied or empty");
    try {
      parseVaultPolicy(name, text);
    } catch (err) {
      const msg = (err as Error).message;
      throw badRequest(msg.startsWith('failed to parse policy') ? msg : `failed to parse policy: ${msg}`);
    }
    await this.#store(name, text);
  }

  async #store(name: string, text: string): Promise<void> {
    await this.#barrier.putJson(PREFIX + name, { Name: name, Raw: text, Type: 'acl' } satisfies StoredPolicy);
    this.#parsed.delete(name);
    this.#acls.clear();
  }

  async read(name: string): Promise<string | undefined> {
    if (name === 'root') return '';
    return (await this.#barrier.getJson<StoredPolicy>(PREFIX + name))?.Raw;
  }

  async delete(name: string): Promise<void> {
    if (name === 'root') throw badRequest('cannot delete "root" policy');
    if (name === 'default') throw badRequest('cannot delete default policy');
    await this.#barrier.delete(PREFIX + name);
    this.#parsed.delete(name);
    this.#acls.clear();
  }

  async list(): Promise<string[]> {
    const names = (await this.#barrier.list(PREFIX)).filter((n) => !n.endsWith('/'));
    return names.sort();
  }

  async exists(name: string): Promise<boolean> {
    return name === 'root' || (await this.read(name)) !== undefined;
  }

  async #policy(name: string): Promise<VaultPolicy | null> {
    const hit = this.#parsed.get(name);
    if (hit !== undefined) return hit;
    const raw = await this.read(name);
    const parsed = raw === undefined ? null : parseVaultPolicy(name, raw);
    this.#parsed.set(name, parsed);
    return parsed;
  }

  /** The ACL for a token's policy set; unknown policy names contribute nothing. */
  async aclFor(names: string[]): Promise<VaultAcl> {
    const key = names.join('\0');
    const hit = this.#acls.get(key);
    if (hit) return hit;
    const policies: VaultPolicy[] = [];
    for (const n of names) {
      if (n === 'root') continue;
      const p = await this.#policy(n);
      if (p) policies.push(p);
    }
    const acl = new VaultAcl(policies);
    this.#acls.set(key, acl);
    return acl;
  }
}
