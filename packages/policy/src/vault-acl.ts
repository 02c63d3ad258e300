// Vault's ACL: the policies of one token compiled into exact, prefix and segment-wildcard rules.

import type { VaultCapability, VaultOperation, VaultPathRule, VaultPolicy } from './vault-policy.js';

/** Merged permissions of every stanza with one identical pattern. */
interface Permissions {
  caps: Set<VaultCapability>;
  allowed: Map<string, unknown[]> | undefined;
  denied: Map<string, unknown[]> | undefined;
  required: string[];
  minWrap: number;
  maxWrap: number;
  /** Policy names that granted each capability. */
  granting: Map<VaultCapability, string[]>;
}

/** Options of {@link VaultAcl.check}. */
export interface VaultAclCheckOptions {
  /** The path is root-protected: the matching rule must also grant `sudo`. */
  sudo?: boolean;
  /**
   * The request data (JSON body, or query parameters for GET), checked against the rule's
   * required, denied and allowed parameters for read/create/update/patch.
   */
  params?: Record<string, unknown>;
  /** The requested response-wrapping TTL in seconds, checked against min/max_wrapping_ttl. */
  wrapTtl?: number;
}

/** The detailed outcome of {@link VaultAcl.check}. */
export interface VaultAclResult {
  readonly allowed: boolean;
  /** The token holds the root policy. */
  readonly isRoot: boolean;
  /** The winning rule grants `sudo` (or the token is root). */
  readonly rootPrivs: boolean;
  /**
   * The winning pattern, minus a leading `/` (`kv/minio/*`, `secret/+/teamb`, `sys/seal`);
   * absent when nothing matched.
   */
  readonly rule?: string;
  /** Capabilities of the winning rule (`["deny"]` when it denies, `[]` when nothing matched). */
  readonly capabilities: readonly VaultCapability[];
  /** Names of the policies that granted the checked capability, when allowed by a rule. */
  readonly grantingPolicies: readonly string[];
  /** Why it was refused, for logs (never shown to clients, who only get `permission denied`). */
  readonly reason?: string;
}

const OP_CAPABILITY: Record<VaultOperation, VaultCapability> = {
  create: 'create',
  read: 'read',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  list: 'list',
};

function newPermissions(rule: VaultPathRule, policy: string): Permissions {
  const caps = new Set(rule.capabilities);
  const granting = new Map<VaultCapability, string[]>();
  for (const c of caps) granting.set(c, [policy]);
  return {
    caps,
    allowed: rule.allowedParameters
      ? new Map(Object.entries(rule.allowedParameters).map(([k, v]) => [k, [...v]]))
      : undefined,
    denied: rule.deniedParameters
      ? new Map(Object.entries(rule.deniedParameters).map(([k, v]) => [k, [...v]]))
      : undefined,
    required: [...(rule.requiredParameters ?? [])],
    minWrap: rule.minWrappingTtl,
    maxWrap: rule.maxWrappingTtl,
    granting,
  };
}

function mergeParams(
  existing: Map<string, unknown[]> | undefined,
  added: Readonly<Record<string, readonly unknown[]>> | undefined,
): Map<string, unknown[]> | undefined {
  if (!added || Object.keys(added).length === 0) return existing;
  if (!existing) return new Map(Object.entries(added).map(([k, v]) => [k, [...v]]));
  for (const [k, v] of Object.entries(added)) {
    const prev = existing.get(k);
    // An empty list means "any value" and wins over any specific list.
    if (v.length === 0 || (prev !== undefined && prev.length === 0)) existing.set(k, []);
    else existing.set(k, [...v, ...(prev ?? [])]);
  }
  return existing;
}

/** Vault's merge of a stanza into the permissions already held for the same pattern. */
function merge(p: Permissions, rule: VaultPathRule, policy: string): void {
  if (p.caps.has('deny')) return;
  if (rule.capabilities.includes('deny')) {
    p.caps = new Set(['deny']);
    p.allowed = undefined;
    p.denied = undefined;
    p.granting = new Map([['deny', [policy]]]);
    // Vault still folds the wrapping TTLs and required parameters in; they no longer matter.
    return;
  }
  for (const c of rule.capabilities) {
    p.caps.add(c);
    p.granting.set(c, [...(p.granting.get(c) ?? []), policy]);
  }
  // The tighter of two wrapping TTLs wins.
  if (rule.maxWrappingTtl > 0 && (p.maxWrap === 0 || rule.maxWrappingTtl < p.maxWrap))
    p.maxWrap = rule.maxWrappingTtl;
  if (rule.minWrappingTtl > 0 && (p.minWrap === 0 || rule.minWrappingTtl < p.minWrap))
    p.minWrap = rule.minWrappingTtl;
  p.allowed = mergeParams(p.allowed, rule.allowedParameters);
  p.denied = mergeParams(p.denied, rule.deniedParameters);
  for (const r of rule.requiredParameters ?? []) if (!p.required.includes(r)) p.required.push(r);
}

/** Vault's strutil.GlobbedStringsMatch: `*` only at the start and/or end of the allowed value. */
function globbedStringsMatch(item: string, val: string): boolean {
  if (item.length < 2) return val === item;
  const pre = item.startsWith('*');
  const suf = item.endsWith('*');
  if (pre && suf) return val.includes(item.slice(1, -1));
  if (pre) return val.endsWith(item.slice(1));
  if (suf) return val.startsWith(item.slice(0, -1));
  return val === item;
}

/**
 * Vault's test of one request value against one policy entry. Policy values come from HCL
 * (numbers decode as Go int/float64, objects as lists of maps) and request values from JSON
 * decoded with json.Number, so Vault's reflect.DeepEqual never finds a number or an object
 * equal: only strings (globbed at the top level, exact inside a list), booleans, null and lists
 * of those can match.
 */
function vaultMatch(el: unknown, v: unknown, top: boolean): boolean {
  if (el === null || el === undefined || v === null || v === undefined) return el === v;
  if (typeof el === 'string') return typeof v === 'string' && (top ? globbedStringsMatch(el, v) : el === v);
  if (typeof el === 'boolean') return el === v;
  if (Array.isArray(el)) {
    return Array.isArray(v) && el.length === v.length && el.every((x, i) => vaultMatch(x, v[i], false));
  }
  return false;
}

/** JSON equality by value (numbers by value, objects key by key). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b as object, k) &&
        deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

const scalarText = (x: unknown): string | undefined =>
  typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : undefined;

/**
 * A denied entry catches a value as Vault's does, and also by the text an engine would coerce it
 * to: Vault lets `{"ttl": 0}` past `denied_parameters = {"ttl" = ["0"]}` (a json.Number is not
 * a string) although the engine reads both as 0; here a denied entry stops every spelling.
 */
function deniedMatch(el: unknown, v: unknown): boolean {
  if (vaultMatch(el, v, true)) return true;
  const e = scalarText(el);
  const t = scalarText(v);
  if (e === undefined || t === undefined) return deepEqual(el, v);
  return typeof el === 'string' ? globbedStringsMatch(el, t) : e === t;
}

/** parseutil.ParseCommaStringSlice for a string value: split on commas, trim, "" ⇒ []. */
const commaList = (s: string): string[] => (s === '' ? [] : s.split(',').map((x) => x.trim()));

/**
 * Vault's valueInAllowedParameterList: an empty list allows any value; otherwise the value must
 * match an entry, or every element of a list value, or every item of a comma-separated string.
 */
function valueAllowed(v: unknown, list: readonly unknown[]): boolean {
  const inList = (x: unknown): boolean => list.some((el) => vaultMatch(el, x, true));
  if (list.length === 0 || inList(v)) return true;
  if (Array.isArray(v)) return v.every(inList);
  if (typeof v === 'string') return commaList(v).every(inList);
  return false;
}

/**
 * Vault's valueInDeniedParameterList (with {@link deniedMatch}): an empty list denies any value;
 * otherwise the value, any element of a list value, or any item of a comma-separated string
 * matching an entry denies it.
 */
function valueDenied(v: unknown, list: readonly unknown[]): boolean {
  const inList = (x: unknown): boolean => list.some((el) => deniedMatch(el, x));
  if (list.length === 0 || inList(v)) return true;
  if (Array.isArray(v)) return v.some(inList);
  if (typeof v === 'string') return commaList(v).some(inList);
  return false;
}

/** Capability names in the order `sys/capabilities-self` prints them (Vault sorts them). */
function sortedNames(caps: Iterable<VaultCapability>): VaultCapability[] {
  return [...caps].sort();
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

interface SegmentRule {
  /** The key as stored: pattern minus a leading `/`, trailing `*` kept. */
  full: string;
  /** Without the trailing `*`. */
  body: string;
  parts: string[];
  isPrefix: boolean;
  firstWildcard: number;
  perms: Permissions;
}

interface Candidate {
  firstWildcard: number;
  isPrefix: boolean;
  wildcards: number;
  length: number;
  key: string;
  rule: string;
  perms: Permissions;
}

/** Vault's priority order (lengths and positions in UTF-8 bytes, as in Go); > 0 when a beats b. */
function comparePriority(a: Candidate, b: Candidate): number {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
  if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards;
  if (a.length !== b.length) return a.length - b.length;
  // Go compares strings byte-wise.
  return Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8'));
}

/**
 * The ACL of one token: its policies compiled as Vault does. Immutable after construction; safe
 * to share. Build a new one when a policy changes (Vault re-reads policies on every request).
 *
 * Matching (request path = the path after `/v1/`, leading `/` ignored):
 * 1. An exact pattern equal to the path wins outright (for `list`, also the path without its
 *    trailing `/`).
 * 2. Otherwise the longest matching trailing-`*` prefix pattern and every matching `+` pattern
 *    compete; the highest priority wins: later first `+`/`*`; then a non-prefix over a
 *    trailing `*`; then fewer `+`; then the longer pattern; then the lexicographically larger.
 *    For `list`, this is tried first on the path without its trailing `/`, then with it.
 * 3. Only the winner's capabilities count (no fallback to a less specific pattern). Stanzas
 *    with identical patterns, across and within policies, are merged first: capabilities united,
 *    `deny` dominating, parameter lists merged, the tighter wrapping TTLs kept.
 * A policy named `root` allows everything, sudo included. Templated patterns
 * (`{{identity.entity.id}}`) are skipped: this server has no identity entities.
 */
export class VaultAcl {
  /** True when one of the policies is `root`. */
  readonly isRoot: boolean;
  private readonly exact = new Map<string, Permissions>();
  private readonly prefix = new Map<string, Permissions>();
  private readonly segments = new Map<string, SegmentRule>();
  /** Prefix keys longest first, for longest-prefix lookup. */
  private readonly prefixKeys: string[];

  /** @param policies The token's policies (already parsed); order does not matter. Never throws. */
  constructor(policies: readonly VaultPolicy[]) {
    this.isRoot = policies.some((p) => p.name === 'root');
    for (const policy of policies) {
      for (const rule of policy.paths) {
        if (rule.templated) continue;
        if (rule.kind === 'segment') {
          const existing = this.segments.get(rule.path);
          if (existing) {
            merge(existing.perms, rule, policy.name);
            continue;
          }
          const body = rule.isPrefix ? rule.path.slice(0, -1) : rule.path;
          this.segments.set(rule.path, {
            full: rule.path,
            body,
            parts: body.split('/'),
            isPrefix: rule.isPrefix,
            firstWildcard: byteLength(rule.path.slice(0, rule.path.indexOf('+'))),
            perms: newPermissions(rule, policy.name),
          });
          continue;
        }
        const table = rule.kind === 'prefix' ? this.prefix : this.exact;
        const existing = table.get(rule.path);
        if (existing) merge(existing, rule, policy.name);
        else table.set(rule.path, newPermissions(rule, policy.name));
      }
    }
    this.prefixKeys = [...this.prefix.keys()].sort((a, b) => b.length - a.length);
  }

  /** The winning rule for `path` under Vault's matching; `list` enables the trailing-`/` fallbacks. */
  private lookup(path: string, list: boolean): { rule: string; perms: Permissions } | undefined {
    const exact = this.exact.get(path);
    if (exact) return { rule: path, perms: exact };
    if (list) {
      const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
      const e2 = this.exact.get(trimmed);
      if (e2) return { rule: trimmed, perms: e2 };
      if (path.endsWith('/')) {
        const found = this.nonExact(trimmed);
        if (found) return found;
      }
    }
    return this.nonExact(path);
  }

  private nonExact(path: string): { rule: string; perms: Permissions } | undefined {
    const candidates: Candidate[] = [];
    const longest = this.prefixKeys.find((k) => path.startsWith(k));
    if (longest !== undefined) {
      const perms = this.prefix.get(longest)!;
      if (this.segments.size === 0) return { rule: `${longest}*`, perms };
      candidates.push({
        firstWildcard: byteLength(longest),
        isPrefix: true,
        wildcards: 0,
        length: byteLength(longest),
        key: longest,
        rule: `${longest}*`,
        perms,
      });
    }
    if (this.segments.size === 0) return undefined;
    const parts = path.split('/');
    for (const seg of this.segments.values()) {
      if (seg.full === '') continue;
      if (parts.length < seg.parts.length) continue;
      if (!seg.isPrefix && parts.length !== seg.parts.length) continue;
      let wildcards = 0;
      let ok = true;
      for (let i = 0; i < seg.parts.length; i++) {
        const want = seg.parts[i]!;
        const got = parts[i]!;
        if (want === '+') wildcards++;
        else if (want === got) continue;
        else if (seg.isPrefix && i === seg.parts.length - 1 && got.startsWith(want)) continue;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      candidates.push({
        firstWildcard: seg.firstWildcard,
        isPrefix: seg.isPrefix,
        wildcards,
        length: byteLength(seg.body),
        key: seg.body,
        rule: seg.full,
        perms: seg.perms,
      });
    }
    if (candidates.length === 0) return undefined;
    let best = candidates[0]!;
    for (const c of candidates) if (comparePriority(c, best) > 0) best = c;
    return { rule: best.rule, perms: best.perms };
  }

  /**
   * What `sys/capabilities-self` reports for `path`: `["root"]` for a root token, `["deny"]` when
   * the winning rule denies or nothing matches, else the winning rule's capabilities sorted by
   * name. Uses Vault's list-style lookup (exact, exact without trailing `/`, …) without adding a
   * `/`. Never throws.
   */
  capabilities(path: string): Array<VaultCapability | 'root'> {
    if (this.isRoot) return ['root'];
    const found = this.lookup(stripLeadingSlashes(path), true);
    if (!found || found.perms.caps.has('deny') || found.perms.caps.size === 0) return ['deny'];
    return sortedNames(found.perms.caps);
  }

  /**
   * Checks one request and says why. `path` is the request path after `/v1/` (a leading `/` is
   * ignored); for `list` a trailing `/` is added when missing, as Vault's HTTP layer does, so
   * `kv/minio` and `kv/minio/` check the same. The operation's capability must be granted by the
   * winning rule; with `opts.sudo` the rule must also grant `sudo`; then wrapping TTLs and, for
   * read/create/update/patch, the parameters (never for delete/list), as Vault does:
   * - every `required_parameters` name, lower-cased, must be a key of `params`;
   * - no `params` at all passes the rest;
   * - a `"*"` denied key refuses any `params`; a denied key (request keys are lower-cased) with
   *   an empty list refuses any value, else a value matching an entry (strings with `*`
   *   prefix/suffix globs), any element of a list value or any item of a comma-separated string;
   *   a number or boolean is also matched by its text (stricter than Vault);
   * - with allowed parameters, each key must be listed (or `"*"` present) and its value match
   *   the list: empty list = any value, a list value or comma-separated string item by item;
   *   as in Vault a JSON number or object never matches a listed value.
   * Never throws.
   */
  check(op: VaultOperation, path: string, opts: VaultAclCheckOptions = {}): VaultAclResult {
    if (this.isRoot) {
      return { allowed: true, isRoot: true, rootPrivs: true, capabilities: [], grantingPolicies: ['root'] };
    }
    let p = stripLeadingSlashes(path);
    if (op === 'list' && !p.endsWith('/')) p += '/';
    const found = this.lookup(p, op === 'list');
    const refuse = (reason: string, extra: Partial<VaultAclResult> = {}): VaultAclResult => ({
      allowed: false,
      isRoot: false,
      rootPrivs: false,
      capabilities: [],
      grantingPolicies: [],
      reason,
      ...extra,
    });
    if (!found) return refuse('no policy grants any capability on this path');
    const { perms, rule } = found;
    const caps = perms.caps;
    const base = { rule, capabilities: sortedNames(caps), rootPrivs: caps.has('sudo') };
    if (caps.has('deny')) return refuse(`denied by rule ${JSON.stringify(rule)}`, base);
    const needed = OP_CAPABILITY[op];
    if (!caps.has(needed)) return refuse(`rule ${JSON.stringify(rule)} lacks ${needed}`, base);
    if (opts.sudo && !caps.has('sudo')) return refuse(`rule ${JSON.stringify(rule)} lacks sudo`, base);
    if (perms.maxWrap > 0 && (opts.wrapTtl === undefined || opts.wrapTtl > perms.maxWrap)) {
      return refuse('wrapping TTL above max_wrapping_ttl or not wrapped', base);
    }
    if (perms.minWrap > 0 && (opts.wrapTtl === undefined || opts.wrapTtl < perms.minWrap)) {
      return refuse('wrapping TTL below min_wrapping_ttl or not wrapped', base);
    }
    if (perms.minWrap !== 0 && perms.maxWrap !== 0 && perms.maxWrap < perms.minWrap) {
      return refuse('merged max_wrapping_ttl is below min_wrapping_ttl', base);
    }
    const ok: VaultAclResult = {
      allowed: true,
      isRoot: false,
      ...base,
      grantingPolicies: [...(perms.granting.get(needed) ?? [])],
    };
    if (op === 'delete' || op === 'list') return ok;

    const data = opts.params ?? {};
    for (const r of perms.required) {
      if (!Object.hasOwn(data, r.toLowerCase()))
        return refuse(`missing required parameter ${JSON.stringify(r)}`, base);
    }
    const entries = Object.entries(data);
    if (entries.length === 0) return ok;
    if (perms.denied && perms.denied.size > 0) {
      if (perms.denied.has('*')) return refuse('all parameters are denied', base);
      for (const [k, v] of entries) {
        const list = perms.denied.get(k.toLowerCase());
        if (list && valueDenied(v, list)) return refuse(`parameter ${JSON.stringify(k)} is denied`, base);
      }
    }
    if (!perms.allowed || perms.allowed.size === 0) return ok;
    const allowAll = perms.allowed.has('*');
    if (perms.allowed.size === 1 && allowAll) return ok;
    for (const [k, v] of entries) {
      const list = perms.allowed.get(k.toLowerCase());
      if (!list && !allowAll) return refuse(`parameter ${JSON.stringify(k)} is not allowed`, base);
      if (list && !valueAllowed(v, list))
        return refuse(`value of parameter ${JSON.stringify(k)} is not allowed`, base);
    }
    return ok;
  }

  /** `check(op, path, opts).allowed`. */
  isAllowed(op: VaultOperation, path: string, opts?: VaultAclCheckOptions): boolean {
    return this.check(op, path, opts).allowed;
  }
}

function stripLeadingSlashes(path: string): string {
  let i = 0;
  while (path[i] === '/') i++;
  return path.slice(i);
}
