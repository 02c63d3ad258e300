// Vault ACL policies: parsing HCL/JSON policy text into path rules, with Vault's error texts.

import { parseDurationSecond, Second } from '@kms-chain/duration';
import { HclError, PolicyError } from './errors.js';
import {
  type HclItem,
  type HclNode,
  type HclObjectNode,
  type HclValue,
  hclNodeToValue,
  parseHclDocument,
} from './hcl.js';

/** Capabilities a Vault policy path can grant (`deny` forbids everything on that path). */
export type VaultCapability =
  | 'create'
  | 'read'
  | 'update'
  | 'patch'
  | 'delete'
  | 'list'
  | 'sudo'
  | 'deny'
  | 'subscribe';

/** Request operations checked against capabilities (renew/revoke/rollback are checked as `update`). */
export type VaultOperation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list';

/** Every capability Vault accepts in a policy, in the order Vault documents them. */
export const VAULT_CAPABILITIES: readonly VaultCapability[] = Object.freeze([
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
  'subscribe',
]);

/**
 * One `path "<pattern>" { … }` stanza after Vault's normalisation.
 *
 * Matching key (`path`): the pattern with one leading `/` removed and, for a prefix rule, the
 * trailing `*` removed (`kv/minio/*` → `kv/minio/`, kind `prefix`). A pattern with a `+` segment
 * (`secret/+/teamb`, `+/x`, `a/+`) is kind `segment` and keeps any trailing `*` (then
 * `isPrefix` is true). Anything else is kind `exact`.
 */
export interface VaultPathRule {
  /** The pattern exactly as written in the policy, e.g. `/kv/minio/*`. */
  readonly pattern: string;
  /** The normalised matching key described above. */
  readonly path: string;
  readonly kind: 'exact' | 'prefix' | 'segment';
  /** True for `prefix` rules and for `segment` rules ending in `*`. */
  readonly isPrefix: boolean;
  /**
   * Granted capabilities in policy order, de-duplicated, after mapping legacy `policy = "…"`;
   * exactly `["deny"]` when the stanza denies.
   */
  readonly capabilities: readonly VaultCapability[];
  /** The legacy `policy` value (`read`, `write`, `sudo`, `deny`), when given. */
  readonly policy?: string;
  /** `allowed_parameters`, keys lower-cased; values are the allowed values (`[]` = any value). */
  readonly allowedParameters?: Readonly<Record<string, readonly unknown[]>>;
  /** `denied_parameters`, keys lower-cased; values are the denied values (`[]` = any value). */
  readonly deniedParameters?: Readonly<Record<string, readonly unknown[]>>;
  /** `required_parameters`, as written. */
  readonly requiredParameters?: readonly string[];
  /** `min_wrapping_ttl` in seconds; 0 = none. */
  readonly minWrappingTtl: number;
  /** `max_wrapping_ttl` in seconds; 0 = none. */
  readonly maxWrappingTtl: number;
  /** `mfa_methods` (kept, not enforced). */
  readonly mfaMethods?: readonly string[];
  /** True when the pattern uses identity templating (`{{identity.entity.id}}`). */
  readonly templated: boolean;
}

/** A parsed Vault ACL policy. */
export interface VaultPolicy {
  /** The name given to {@link parseVaultPolicy} (Vault stores names lower-cased; do that first). */
  readonly name: string;
  /** The policy text exactly as given (what `GET sys/policy/<name>` returns as `rules`). */
  readonly raw: string;
  /** The path rules in source order; the same pattern may appear more than once. */
  readonly paths: readonly VaultPathRule[];
  /** True when any path uses identity templating. */
  readonly templated: boolean;
}

const VALID_TOP_KEYS = new Set(['name', 'path']);
const VALID_PATH_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'mfa_methods',
  'control_group',
  'subscribe_event_types',
]);

const LEGACY_POLICIES: Record<string, readonly VaultCapability[]> = {
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const quote = (s: string): string => JSON.stringify(s);

/** go-multierror's rendering of a list of errors. */
function multiError(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** Vault's hclutil.CheckHCLKeys: lists keys outside `valid`, with the line of their `=` (0 for blocks). */
function invalidKeys(node: HclObjectNode, valid: ReadonlySet<string>): string[] {
  return node.items
    .filter((item) => !valid.has(item.keys[0]!))
    .map((item) => `invalid key ${quote(item.keys[0]!)} on line ${item.assign?.line ?? 0}`);
}

/** Expands `path "a" {…}`, `path = {"a" = {…}}` and JSON `"path": {"a": {…}}` / `[{…}]` into stanzas. */
function pathStanzas(items: readonly HclItem[]): Array<{ key: string; body: HclNode }> {
  const out: Array<{ key: string; body: HclNode }> = [];
  const fromObject = (node: HclObjectNode): void => {
    for (const item of node.items) {
      addLabelled(item.keys, item.value);
    }
  };
  const addLabelled = (keys: readonly string[], value: HclNode): void => {
    // keys[0] is the pattern; further labels become nested keys of the body (and then fail
    // the key check, as in Vault).
    let body: HclNode = value;
    for (let i = keys.length - 1; i >= 1; i--) {
      body = {
        kind: 'object',
        pos: value.pos,
        items: [{ keys: [keys[i]!], keyPos: value.pos, assign: null, value: body }],
      };
    }
    if (body.kind === 'list' && body.elements.every((e) => e.kind === 'object')) {
      for (const e of body.elements) out.push({ key: keys[0]!, body: e });
    } else {
      out.push({ key: keys[0]!, body });
    }
  };
  for (const item of items) {
    if (item.keys.length > 1) {
      addLabelled(item.keys.slice(1), item.value);
    } else if (item.value.kind === 'object') {
      fromObject(item.value);
    } else if (item.value.kind === 'list' && item.value.elements.every((e) => e.kind === 'object')) {
      for (const e of item.value.elements) fromObject(e as HclObjectNode);
    } else {
      throw new HclError(item.keyPos.line, item.keyPos.column, 'path: expected a block or an object');
    }
  }
  return out;
}

function describeNode(node: HclNode): string {
  if (node.kind === 'literal') return node.value === null ? 'null' : typeof node.value;
  return node.kind;
}

function stringList(node: HclNode, field: string): string[] {
  if (node.kind !== 'list') {
    throw new HclError(
      node.pos.line,
      node.pos.column,
      `${field}: expected a list, got ${describeNode(node)}`,
    );
  }
  return node.elements.map((e) => {
    // HCL 1 decodes numbers and bools into string fields as their text.
    if (e.kind === 'literal' && e.value !== null) return String(e.value);
    throw new HclError(e.pos.line, e.pos.column, `${field}: expected a string, got ${describeNode(e)}`);
  });
}

function parameterMap(node: HclNode, field: string): Record<string, unknown[]> {
  const objects: HclObjectNode[] =
    node.kind === 'object'
      ? [node]
      : node.kind === 'list' && node.elements.every((e) => e.kind === 'object')
        ? (node.elements as HclObjectNode[])
        : [];
  if (objects.length === 0 && node.kind !== 'list') {
    throw new HclError(
      node.pos.line,
      node.pos.column,
      `${field}: expected an object, got ${describeNode(node)}`,
    );
  }
  const out: Record<string, unknown[]> = {};
  for (const obj of objects) {
    for (const item of obj.items) {
      const key = item.keys.join('.');
      if (item.value.kind !== 'list') {
        const p = item.value.pos;
        throw new HclError(p.line, p.column, `${field}: ${quote(key)}: expected a list of values`);
      }
      Object.defineProperty(out, key, {
        value: hclNodeToValue(item.value) as unknown[],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}

/** Vault's validateParameter for allowed/denied parameter keys (wildcards: `*` or a tail `/*`). */
function parameterKeyError(key: string): string | undefined {
  if (!key.includes('*')) return undefined;
  if (key === '*') return undefined;
  if (key.startsWith('/') && key.endsWith('/*') && !key.slice(0, -2).includes('*')) return undefined;
  return `parameter key ${quote(key)} cannot contain non-tail wildcards`;
}

const hasTemplating = (p: string): boolean => /\{\{.*\}\}/.test(p);

interface Stanza {
  key: string;
  body: HclObjectNode;
}

function parseStanza({ key, body }: Stanza): VaultPathRule {
  const fields = new Map<string, HclNode>();
  for (const item of body.items) {
    // HCL 1 decoding keeps the last of repeated attributes.
    fields.set(
      item.keys[0]!,
      item.keys.length > 1 ? { kind: 'object', pos: item.value.pos, items: [item] } : item.value,
    );
  }
  const field = <T>(name: string, read: (n: HclNode) => T): T | undefined => {
    const n = fields.get(name);
    if (n === undefined) return undefined;
    try {
      return read(n);
    } catch (e) {
      if (e instanceof HclError) throw new PolicyError(`path ${quote(key)}: ${e.message}`, { cause: e });
      throw e;
    }
  };

  let path = key.startsWith('/') ? key.slice(1) : key;
  if (path.includes('+*'))
    throw new PolicyError(`path ${quote(path)}: invalid use of wildcards ('+*' is forbidden)`);
  const segment = path === '+' || path.includes('/+') || path.startsWith('+/');
  let isPrefix = false;
  if (path.endsWith('*')) {
    isPrefix = true;
    if (!segment) path = path.slice(0, -1);
  }
  const kind = segment ? 'segment' : isPrefix ? 'prefix' : 'exact';

  const policy = field('policy', (n) => {
    if (n.kind !== 'literal' || typeof n.value !== 'string') {
      throw new HclError(n.pos.line, n.pos.column, `policy: expected a string, got ${describeNode(n)}`);
    }
    return n.value;
  });
  let requested = field('capabilities', (n) => stringList(n, 'capabilities')) ?? [];
  if (policy !== undefined && policy !== '') {
    if (policy === 'deny') requested = ['deny'];
    else if (LEGACY_POLICIES[policy]) requested = [...requested, ...LEGACY_POLICIES[policy]];
    else throw new PolicyError(`path ${quote(key)}: invalid policy ${quote(policy)}`);
  }

  const base = {
    pattern: key,
    path,
    kind,
    isPrefix,
    ...(policy !== undefined ? { policy } : {}),
    templated: hasTemplating(key),
  } as const;

  const capabilities: VaultCapability[] = [];
  for (const cap of requested) {
    if (cap === 'deny') {
      // Vault stores a denying stanza as deny alone and skips the rest of it.
      return { ...base, capabilities: ['deny'], minWrappingTtl: 0, maxWrappingTtl: 0 };
    }
    if (!(VAULT_CAPABILITIES as readonly string[]).includes(cap)) {
      throw new PolicyError(`path ${quote(key)}: invalid capability ${quote(cap)}`);
    }
    if (!capabilities.includes(cap as VaultCapability)) capabilities.push(cap as VaultCapability);
  }

  const params = (
    name: 'allowed_parameters' | 'denied_parameters',
  ): Record<string, unknown[]> | undefined => {
    const raw = field(name, (n) => parameterMap(n, name));
    if (raw === undefined) return undefined;
    const out: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(raw)) {
      const err = parameterKeyError(k);
      if (err) throw new PolicyError(`path ${quote(path)}: ${name}: ${err}`);
      Object.defineProperty(out, k.toLowerCase(), {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  const allowedParameters = params('allowed_parameters');
  const deniedParameters = params('denied_parameters');

  const ttl = (name: 'min_wrapping_ttl' | 'max_wrapping_ttl'): number => {
    const n = fields.get(name);
    if (n === undefined) return 0;
    try {
      return Number(parseDurationSecond(hclNodeToValue(n) as HclValue) / Second);
    } catch (e) {
      throw new PolicyError(`error parsing ${name}: ${(e as Error).message}`, { cause: e });
    }
  };
  const minWrappingTtl = ttl('min_wrapping_ttl');
  const maxWrappingTtl = ttl('max_wrapping_ttl');
  if (minWrappingTtl !== 0 && maxWrappingTtl !== 0 && maxWrappingTtl < minWrappingTtl) {
    throw new PolicyError('max_wrapping_ttl cannot be less than min_wrapping_ttl');
  }
  // Vault does not validate required_parameters keys (its check runs on an empty list).
  const requiredParameters = field('required_parameters', (n) => stringList(n, 'required_parameters'));
  const mfaMethods = field('mfa_methods', (n) => stringList(n, 'mfa_methods'));
  field('subscribe_event_types', (n) => stringList(n, 'subscribe_event_types'));

  return {
    ...base,
    capabilities,
    ...(allowedParameters ? { allowedParameters } : {}),
    ...(deniedParameters ? { deniedParameters } : {}),
    ...(requiredParameters ? { requiredParameters } : {}),
    minWrappingTtl,
    maxWrappingTtl,
    ...(mfaMethods ? { mfaMethods } : {}),
  };
}

/**
 * Parses a Vault ACL policy written in HCL or JSON (`{"path":{"kv/*":{"capabilities":["read"]}}}`)
 * the way Vault's `ParseACLPolicy` does: top-level keys `path` (repeatable) and `name`; per path
 * `capabilities`, legacy `policy = "read"|"write"|"sudo"|"deny"` (read ⇒ read+list; write ⇒
 * create/read/update/delete/list; sudo ⇒ write+sudo), `allowed_parameters`, `denied_parameters`,
 * `required_parameters`, `min_wrapping_ttl`, `max_wrapping_ttl` (seconds or `"1h"`), plus the
 * accepted-but-unenforced `comment`, `mfa_methods`, `control_group`, `subscribe_event_types`.
 * One leading `/` of a pattern is stripped; `deny` anywhere in a stanza makes it deny-only.
 * An empty text gives a policy without paths (Vault's HTTP layer rejects that before parsing).
 *
 * @param name The policy name, stored as given (callers lower-case it as Vault does).
 * @param text The policy text.
 * @throws PolicyError whose message is Vault's, e.g.
 *   `failed to parse policy: path "kv/*": invalid capability "foo"`,
 *   `failed to parse policy: path "a/+*": invalid use of wildcards ('+*' is forbidden)`,
 *   `failed to parse policy: At 1:36: object expected closing RBRACE got: EOF`,
 *   `failed to parse policy: 1 error occurred:\n\t* invalid key "foo" on line 1\n\n`.
 *   Never throws anything else.
 */
export function parseVaultPolicy(name: string, text: string): VaultPolicy {
  const failed = (message: string, cause?: unknown): PolicyError =>
    new PolicyError(`failed to parse policy: ${message}`, cause === undefined ? undefined : { cause });
  let doc: HclObjectNode;
  try {
    doc = parseHclDocument(text);
  } catch (e) {
    throw failed((e as Error).message, e);
  }
  const topErrors = invalidKeys(doc, VALID_TOP_KEYS);
  if (topErrors.length > 0) throw failed(multiError(topErrors));

  const paths: VaultPathRule[] = [];
  try {
    const stanzas = pathStanzas(doc.items.filter((item) => item.keys[0] === 'path'));
    for (const { key, body } of stanzas) {
      if (body.kind !== 'object') {
        throw new PolicyError(`path ${quote(key)}: expected a block or an object, got ${describeNode(body)}`);
      }
      const bad = invalidKeys(body, VALID_PATH_KEYS);
      if (bad.length > 0) throw new PolicyError(multiError(bad.map((e) => `path ${quote(key)}: ${e}`)));
      paths.push(parseStanza({ key, body }));
    }
  } catch (e) {
    if (e instanceof PolicyError || e instanceof HclError) throw failed(e.message, e);
    throw failed(`internal error: ${(e as Error).message}`, e);
  }
  return { name, raw: text, paths, templated: paths.some((p) => p.templated) };
}

/**
 * Vault's built-in `default` policy text as Vault 1.15 stores it (attached to every token unless
 * `no_default_policy`): token self lookup/renew/revoke, `sys/capabilities-self`, own identity
 * entity (templated), `sys/internal/ui/resultant-acl`, lease renew/lookup, `cubbyhole/*`,
 * response wrapping, `sys/tools/hash`, control-group request, OIDC provider authorize.
 * Starts with a newline, as Vault's does.
 */
export const DEFAULT_POLICY_HCL = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request if the user has the
# accessor
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;

/** Vault's fixed `response-wrapping` policy text (cubbyhole/response create+read, unwrap update). */
export const RESPONSE_WRAPPING_POLICY_HCL = `
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;
