import { describe, expect, it } from 'vitest';
import { VaultAcl } from './vault-acl.js';
import { DEFAULT_POLICY_HCL, parseVaultPolicy, type VaultOperation } from './vault-policy.js';

const acl = (...texts: string[]): VaultAcl => new VaultAcl(texts.map((t, i) => parseVaultPolicy(`p${i}`, t)));
const rule = (pattern: string, caps: string[]): string =>
  `path "${pattern}" { capabilities = ${JSON.stringify(caps)} }\n`;

/** The MinIO KMS guide's policy (guide §3.4). */
const GUIDE = 'path "kv/minio/*" {\n  capabilities = [ "create", "read", "delete" ]\n}\n';

describe('VaultAcl: the guide policy', () => {
  const guide = acl(GUIDE);
  it.each([
    ['create', 'kv/minio/my-key', true],
    ['read', 'kv/minio/my-key', true],
    ['delete', 'kv/minio/my-key', true],
    ['read', '/kv/minio/my-key', true],
    ['read', 'kv/minio/a/b', true],
    ['update', 'kv/minio/my-key', false], // the guide lacks update: overwriting a key is refused
    ['list', 'kv/minio', false], // …and list: KES key listing gets 403
    ['list', 'kv/minio/', false],
    ['read', 'kv/minio', false],
    ['read', 'kv/other/my-key', false],
    ['read', 'kv/minio-x/k', false],
  ] as const)('%s %s → %j', (op, path, allowed) => {
    expect(guide.isAllowed(op, path)).toBe(allowed);
  });

  it('reports the guide capabilities as sys/capabilities-self does', () => {
    expect(guide.capabilities('kv/minio/my-key')).toEqual(['create', 'delete', 'read']);
    expect(guide.capabilities('kv/other')).toEqual(['deny']);
  });

  it('lets a trailing-* prefix permit listing the folder itself once list is granted', () => {
    const fixed = acl(rule('kv/minio/*', ['create', 'read', 'update', 'delete', 'list']));
    expect(fixed.isAllowed('list', 'kv/minio')).toBe(true); // becomes kv/minio/, which kv/minio/* covers
    expect(fixed.isAllowed('list', 'kv/minio/')).toBe(true);
    expect(fixed.isAllowed('list', 'kv/minio/sub/')).toBe(true);
    expect(fixed.isAllowed('list', 'kv/')).toBe(false);
  });
});

describe('VaultAcl: matching (docs/vault.md#path-matching)', () => {
  it.each([
    // exact
    [rule('secret/foo', ['read']), 'read', 'secret/foo', true],
    [rule('secret/foo', ['read']), 'read', 'secret/foo/', false],
    [rule('secret/foo', ['read']), 'read', 'secret/fo', false],
    [rule('/secret/foo', ['read']), 'read', 'secret/foo', true],
    // LIST: the trailing / is stripped and the exact table checked again
    [rule('secret/foo', ['list']), 'list', 'secret/foo/', true],
    [rule('secret/foo', ['list']), 'list', 'secret/foo', true],
    [rule('secret/foo/', ['list']), 'list', 'secret/foo', true],
    // trailing * = prefix
    [rule('kv/*', ['read']), 'read', 'kv/', true],
    [rule('kv/*', ['read']), 'read', 'kv/a/b', true],
    [rule('kv/*', ['read']), 'read', 'kv', false],
    [rule('secret/zip-*', ['read']), 'read', 'secret/zip-zap/x', true],
    [rule('secret/zip-*', ['read']), 'read', 'secret/zip', false],
    [rule('*', ['read']), 'read', 'anything/at/all', true],
    // + = exactly one segment
    [rule('secret/+/teamb', ['read']), 'read', 'secret/a/teamb', true],
    [rule('secret/+/teamb', ['read']), 'read', 'secret/teamb', false],
    [rule('secret/+/teamb', ['read']), 'read', 'secret/a/b/teamb', false],
    [rule('secret/+/teamb', ['read']), 'read', 'secret/a/teamb/x', false],
    [rule('secret/+/teamb', ['read']), 'read', 'secret//teamb', true],
    [rule('+/teamb', ['read']), 'read', 'x/teamb', true],
    [rule('+', ['read']), 'read', 'kv', true],
    [rule('+', ['read']), 'read', 'kv/x', false],
    [rule('a/+/+/d', ['read']), 'read', 'a/b/c/d', true],
    // + combined with a trailing *
    [rule('secret/+/*', ['read']), 'read', 'secret/a/b/c', true],
    [rule('secret/+/*', ['read']), 'read', 'secret/a/', true],
    [rule('secret/+/*', ['read']), 'read', 'secret/a', false],
    [rule('secret/+/zip-*', ['read']), 'read', 'secret/a/zip-zap', true],
    [rule('secret/+/zip-*', ['read']), 'read', 'secret/a/zip-zap/x', true],
    [rule('secret/+/zip-*', ['read']), 'read', 'secret/a/zap', false],
    [rule('secret/+/zip-*', ['list']), 'list', 'secret/a/zip-', true],
    // a literal + inside a segment is not a wildcard
    [rule('secret/a+b', ['read']), 'read', 'secret/a+b', true],
    [rule('secret/a+b', ['read']), 'read', 'secret/axb', false],
  ] as const)('%j: %s %s → %j', (policy, op, path, allowed) => {
    expect(acl(policy).isAllowed(op, path)).toBe(allowed);
  });

  // Each case: the rules, a path, and the rule that must win (it alone grants read).
  it.each([
    [
      'exact beats every glob',
      ['secret/a/b', 'secret/*', 'secret/+/b', 'secret/a/*'],
      'secret/a/b',
      'secret/a/b',
    ],
    [
      'longest prefix among trailing-* rules',
      ['secret/*', 'secret/a/*', 'secret/a/b*'],
      'secret/a/bc',
      'secret/a/b*',
    ],
    ['(1) later first wildcard wins', ['secret/+/b', 'secret/a/*'], 'secret/a/b', 'secret/a/*'],
    ['(1) later first wildcard wins (+ vs +)', ['x/+/b/c', 'x/a/b/+'], 'x/a/b/c', 'x/a/b/+'],
    ['(1) later first wildcard wins (glob vs +)', ['foo/a*', 'foo/+'], 'foo/ab', 'foo/a*'],
    ['(2) non-prefix beats trailing *', ['secret/+/b', 'secret/+/*'], 'secret/a/b', 'secret/+/b'],
    ['(2) foo/+ beats foo/*', ['foo/*', 'foo/+'], 'foo/bar', 'foo/+'],
    ['(2) foo/+/bar beats foo/+/ba*', ['foo/+/ba*', 'foo/+/bar'], 'foo/x/bar', 'foo/+/bar'],
    ['(3) fewer + segments wins', ['x/+/+/d', 'x/+/c/d'], 'x/b/c/d', 'x/+/c/d'],
    ['(4) longer pattern wins', ['foo/+/bar/b*', 'foo/+/bar/ba*'], 'foo/x/bar/baz', 'foo/+/bar/ba*'],
    ['(5) lexicographically larger wins', ['x/+/+/d', 'x/+/c/+'], 'x/b/c/d', 'x/+/c/+'],
  ])('%s', (_name, patterns, path, winner) => {
    const text = patterns.map((p) => rule(p, p === winner ? ['read'] : ['list'])).join('');
    const a = acl(text);
    const result = a.check('read', path);
    expect(result.allowed).toBe(true);
    expect(result.rule).toBe(winner);
    // …and reversing the order of the rules changes nothing.
    expect(
      acl(
        [...patterns]
          .reverse()
          .map((p) => rule(p, p === winner ? ['read'] : ['list']))
          .join(''),
      ).check('read', path).rule,
    ).toBe(winner);
  });

  it('applies only the winning pattern (no fallback to a less specific one)', () => {
    const a = acl(rule('secret/*', ['read', 'update']) + rule('secret/+/teamb', ['list']));
    expect(a.isAllowed('read', 'secret/a/teamb')).toBe(false);
    expect(a.isAllowed('read', 'secret/a/teamc')).toBe(true);
    const b = acl(rule('kv/*', ['read']) + rule('kv/locked', ['list']));
    expect(b.isAllowed('read', 'kv/locked')).toBe(false);
    expect(b.capabilities('kv/locked')).toEqual(['list']);
  });

  it('a deny on one pattern does not leak into a more specific winner', () => {
    const a = acl(rule('kv/*', ['deny']) + rule('kv/open', ['read']));
    expect(a.isAllowed('read', 'kv/open')).toBe(true);
    expect(a.isAllowed('read', 'kv/closed')).toBe(false);
    expect(a.capabilities('kv/closed')).toEqual(['deny']);
  });
});

describe('VaultAcl: several policies', () => {
  it('unites capabilities of identical patterns across policies', () => {
    const a = acl(rule('kv/*', ['read']), rule('kv/*', ['update']), rule('kv/x', ['list']));
    expect(a.capabilities('kv/a')).toEqual(['read', 'update']);
    expect(a.check('update', 'kv/a').grantingPolicies).toEqual(['p1']);
  });

  it('lets deny dominate identical patterns whatever the order', () => {
    for (const texts of [
      [rule('kv/*', ['read', 'update']), rule('kv/*', ['deny'])],
      [rule('kv/*', ['deny']), rule('kv/*', ['read', 'update'])],
    ]) {
      const a = acl(...texts);
      expect(a.isAllowed('read', 'kv/a')).toBe(false);
      expect(a.capabilities('kv/a')).toEqual(['deny']);
    }
  });

  it('merges identical patterns within one policy too', () => {
    const a = acl(rule('kv/a', ['read']) + rule('kv/a', ['list']));
    expect(a.capabilities('kv/a')).toEqual(['list', 'read']);
  });

  it('keeps different patterns competing', () => {
    const a = acl(rule('kv/*', ['read']), rule('kv/a/*', ['list']));
    expect(a.isAllowed('read', 'kv/a/b')).toBe(false);
    expect(a.isAllowed('read', 'kv/b')).toBe(true);
  });

  it('denies everything with no policies or only unrelated paths', () => {
    expect(new VaultAcl([]).isAllowed('read', 'kv/a')).toBe(false);
    expect(new VaultAcl([]).capabilities('kv/a')).toEqual(['deny']);
    expect(acl(rule('kv/*', [])).capabilities('kv/a')).toEqual(['deny']);
  });

  it('the root policy allows everything, sudo included', () => {
    const root = new VaultAcl([{ name: 'root', raw: '', paths: [], templated: false }]);
    expect(root.isRoot).toBe(true);
    for (const op of ['create', 'read', 'update', 'patch', 'delete', 'list'] as VaultOperation[]) {
      expect(root.isAllowed(op, 'sys/seal', { sudo: true })).toBe(true);
    }
    expect(root.capabilities('anything')).toEqual(['root']);
    expect(root.check('read', 'x')).toMatchObject({ allowed: true, isRoot: true, rootPrivs: true });
  });
});

describe('VaultAcl: operations, sudo, parameters, wrapping', () => {
  it.each([
    ['create', ['create'], true],
    ['create', ['update'], false],
    ['update', ['create'], false],
    ['update', ['update'], true],
    ['patch', ['update'], false],
    ['patch', ['patch'], true],
    ['delete', ['delete'], true],
    ['read', ['list'], false],
    ['list', ['read'], false],
    ['read', ['sudo'], false],
  ] as const)('%s needs its own capability (granted %j → %j)', (op, caps, allowed) => {
    expect(acl(rule('kv/*', [...caps])).isAllowed(op, 'kv/a')).toBe(allowed);
  });

  it('requires sudo on root-protected paths only when asked', () => {
    const a = acl(rule('sys/auth/*', ['create', 'update']) + rule('sys/mounts/*', ['create', 'update']));
    expect(a.isAllowed('update', 'sys/auth/approle', { sudo: true })).toBe(false);
    expect(a.check('update', 'sys/auth/approle', { sudo: true }).reason).toBe('rule "sys/auth/*" lacks sudo');
    expect(a.isAllowed('update', 'sys/mounts/kv')).toBe(true);
    const s = acl(rule('sys/auth/*', ['create', 'update', 'sudo']));
    expect(s.isAllowed('update', 'sys/auth/approle', { sudo: true })).toBe(true);
    expect(s.check('update', 'sys/auth/approle').rootPrivs).toBe(true);
    expect(acl(rule('sys/seal', ['sudo'])).isAllowed('update', 'sys/seal', { sudo: true })).toBe(false);
  });

  const params = acl(`path "secret/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
    "ttl" = ["1h", "2h"]
    "name" = ["app-*"]
    "tags" = ["a", "b", "c"]
    "any" = []
  }
  denied_parameters = { "name" = ["app-admin"] }
}
path "open/*" {
  capabilities = ["update"]
  allowed_parameters = { "*" = [] }
  denied_parameters = { "forbidden" = [] }
}
path "closed/*" {
  capabilities = ["update"]
  denied_parameters = { "*" = [] }
}
path "needs/*" {
  capabilities = ["update", "read"]
  required_parameters = ["owner"]
}`);

  it.each([
    ['update', 'secret/x', {}, true],
    ['update', 'secret/x', { ttl: '1h' }, true],
    ['update', 'secret/x', { TTL: '2h' }, true],
    ['update', 'secret/x', { ttl: '3h' }, false],
    ['update', 'secret/x', { ttl: '' }, true], // Vault: "" is an empty comma list, allowed
    ['update', 'secret/x', { other: 1 }, false],
    ['update', 'secret/x', { name: 'app-web' }, true],
    ['update', 'secret/x', { name: 'app-admin' }, false],
    ['update', 'secret/x', { name: 'web' }, false],
    ['update', 'secret/x', { tags: ['a', 'c'] }, true],
    ['update', 'secret/x', { tags: ['a', 'd'] }, false],
    ['update', 'secret/x', { tags: 'a, b' }, true],
    ['update', 'secret/x', { tags: 'a,d' }, false],
    ['update', 'secret/x', { any: { deep: [1] } }, true],
    ['create', 'secret/x', { other: 1 }, false],
    ['read', 'secret/x', { other: 1 }, false],
    ['delete', 'secret/x', { other: 1 }, true], // parameters are not checked for delete/list
    ['list', 'secret/', { other: 1 }, true],
    ['update', 'open/x', { whatever: 'x' }, true],
    ['update', 'open/x', { forbidden: 'x' }, false],
    ['update', 'closed/x', {}, true],
    ['update', 'closed/x', { a: 1 }, false],
    ['update', 'needs/x', { owner: 'me' }, true],
    ['update', 'needs/x', { Owner: 'me' }, false],
    ['update', 'needs/x', {}, false],
    ['read', 'needs/x', {}, false],
  ] as const)('%s %s with %j → %j', (op, path, data, allowed) => {
    expect(params.isAllowed(op, path, { params: data as Record<string, unknown> })).toBe(allowed);
  });

  it('matches allowed values with Vault globs: *x, x*, *x*, and a lone * only literally', () => {
    const a = acl(`path "g/*" {
  capabilities = ["update"]
  allowed_parameters = { "a" = ["*end"], "b" = ["start*"], "c" = ["*mid*"], "d" = ["*"], "n" = [1, true] }
}`);
    const ok = (data: Record<string, unknown>): boolean => a.isAllowed('update', 'g/x', { params: data });
    expect(ok({ a: 'the-end' })).toBe(true);
    expect(ok({ a: 'endless' })).toBe(false);
    expect(ok({ b: 'start-here' })).toBe(true);
    expect(ok({ c: 'a-mid-b' })).toBe(true);
    expect(ok({ c: 'a-b' })).toBe(false);
    expect(ok({ d: '*' })).toBe(true);
    expect(ok({ d: 'x' })).toBe(false);
    expect(ok({ n: 1 })).toBe(false); // a JSON number never equals a policy number in Vault
    expect(ok({ n: true })).toBe(true);
    expect(ok({ n: 2 })).toBe(false);
  });

  it('merges parameter lists of identical patterns; an empty list wins', () => {
    const a = acl(
      'path "p/*" { capabilities = ["update"] allowed_parameters = { "x" = ["1"] } }',
      'path "p/*" { capabilities = ["update"] allowed_parameters = { "x" = ["2"], "y" = ["3"] } }',
    );
    const ok = (data: Record<string, unknown>): boolean => a.isAllowed('update', 'p/q', { params: data });
    expect([ok({ x: '1' }), ok({ x: '2' }), ok({ y: '3' }), ok({ x: '4' })]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    const b = acl(
      'path "p/*" { capabilities = ["update"] allowed_parameters = { "x" = ["1"] } }',
      'path "p/*" { capabilities = ["update"] allowed_parameters = { "x" = [] } }',
    );
    expect(b.isAllowed('update', 'p/q', { params: { x: 'anything' } })).toBe(true);
  });

  it('enforces wrapping TTLs, keeping the tighter merged bound', () => {
    const a = acl(
      'path "w/*" { capabilities = ["read"] min_wrapping_ttl = "1m" max_wrapping_ttl = "1h" }',
      'path "w/*" { capabilities = ["read"] max_wrapping_ttl = "30m" }',
    );
    expect(a.isAllowed('read', 'w/x')).toBe(false); // not wrapped
    expect(a.isAllowed('read', 'w/x', { wrapTtl: 30 })).toBe(false);
    expect(a.isAllowed('read', 'w/x', { wrapTtl: 600 })).toBe(true);
    expect(a.isAllowed('read', 'w/x', { wrapTtl: 2400 })).toBe(false);
  });
});

describe('VaultAcl: parameter constraints as Vault applies them', () => {
  const stanza = (body: string): VaultAcl =>
    acl(`path "t/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] ${body} }`);

  // [constraint, op, request data, allowed]
  it.each([
    // allowed_parameters: value matching (Vault's valueInParameterList)
    ['allowed_parameters = { "k" = ["a"] }', 'update', { k: 'a' }, true],
    ['allowed_parameters = { "k" = ["a"] }', 'update', { k: 'A' }, false],
    ['allowed_parameters = { "k" = ["a*"] }', 'update', { k: 'abc' }, true],
    ['allowed_parameters = { "k" = ["*c"] }', 'update', { k: 'abc' }, true],
    ['allowed_parameters = { "k" = ["*b*"] }', 'update', { k: 'abc' }, true],
    ['allowed_parameters = { "k" = ["a*c"] }', 'update', { k: 'abc' }, false], // no inner globs
    ['allowed_parameters = { "k" = ["a*c"] }', 'update', { k: 'a*c' }, true],
    ['allowed_parameters = { "k" = ["*"] }', 'update', { k: 'x' }, false], // a lone * is literal
    ['allowed_parameters = { "k" = [] }', 'update', { k: { any: ['thing'] } }, true],
    ['allowed_parameters = { "k" = ["a"] }', 'update', { k: null }, false],
    ['allowed_parameters = { "k" = ["a"] }', 'update', {}, true], // no data: nothing to check
    ['allowed_parameters = { "k" = ["a"] }', 'update', { K: 'a' }, true], // request keys lower-cased
    ['allowed_parameters = { "K" = ["a"] }', 'update', { k: 'a' }, true], // policy keys too
    ['allowed_parameters = { "k" = ["a"] }', 'update', { k: 'a', j: 'a' }, false],
    // lists and comma-separated strings: every item must be allowed
    ['allowed_parameters = { "k" = ["a", "b"] }', 'update', { k: ['a', 'b'] }, true],
    ['allowed_parameters = { "k" = ["a", "b"] }', 'update', { k: ['a', 'c'] }, false],
    ['allowed_parameters = { "k" = ["a", "b"] }', 'update', { k: [] }, true],
    ['allowed_parameters = { "k" = ["a", "b"] }', 'update', { k: ' a , b ' }, true],
    ['allowed_parameters = { "k" = ["a", "b"] }', 'update', { k: 'a,c' }, false],
    ['allowed_parameters = { "k" = [["a", "b"]] }', 'update', { k: ['a', 'b'] }, true],
    // non-string values: booleans by value; JSON numbers and objects never match a listed value
    ['allowed_parameters = { "k" = [true] }', 'update', { k: true }, true],
    ['allowed_parameters = { "k" = [true] }', 'update', { k: 'true' }, false],
    ['allowed_parameters = { "k" = [1] }', 'update', { k: 1 }, false],
    ['allowed_parameters = { "k" = [1] }', 'update', { k: '1' }, false],
    ['allowed_parameters = { "k" = ["1"] }', 'update', { k: 1 }, false],
    ['allowed_parameters = { "k" = ["1"] }', 'update', { k: '1' }, true],
    ['allowed_parameters = { "k" = [1.5] }', 'update', { k: 1.5 }, false],
    ['allowed_parameters = { "k" = [["a", 1]] }', 'update', { k: ['a', 1] }, false],
    ['allowed_parameters = { "k" = [{ "a" = "b" }] }', 'update', { k: { a: 'b' } }, false],
    // "*": any other key; its own value list is ignored
    ['allowed_parameters = { "*" = ["x"] }', 'update', { any: 'y' }, true],
    ['allowed_parameters = { "*" = [], "k" = ["a"] }', 'update', { j: 'z' }, true],
    ['allowed_parameters = { "*" = [], "k" = ["a"] }', 'update', { k: 'b' }, false],
    // denied_parameters
    ['denied_parameters = { "k" = [] }', 'update', { k: 'x' }, false],
    ['denied_parameters = { "k" = [] }', 'update', { K: null }, false],
    ['denied_parameters = { "k" = [] }', 'update', { j: 'x' }, true],
    ['denied_parameters = { "k" = ["a*"] }', 'update', { k: 'abc' }, false],
    ['denied_parameters = { "k" = ["a*"] }', 'update', { k: 'bca' }, true],
    ['denied_parameters = { "k" = ["a"] }', 'update', { k: ['b', 'a'] }, false],
    ['denied_parameters = { "k" = ["a"] }', 'update', { k: 'b, a' }, false],
    ['denied_parameters = { "k" = ["a"] }', 'update', { k: ['b'] }, true],
    ['denied_parameters = { "*" = [] }', 'update', { k: 'x' }, false],
    ['denied_parameters = { "*" = [] }', 'update', {}, true],
    // denied entries catch numbers and booleans by their text too (stricter than Vault)
    ['denied_parameters = { "k" = [0] }', 'update', { k: 0 }, false],
    ['denied_parameters = { "k" = ["0"] }', 'update', { k: 0 }, false],
    ['denied_parameters = { "k" = [0] }', 'update', { k: '0' }, false],
    ['denied_parameters = { "k" = ["tr*"] }', 'update', { k: true }, false],
    ['denied_parameters = { "k" = [true] }', 'update', { k: 'true' }, false],
    ['denied_parameters = { "k" = [{ "a" = "b" }] }', 'update', { k: { a: 'b' } }, false],
    ['denied_parameters = { "k" = [0] }', 'update', { k: 1 }, true],
    // denied beats allowed
    [
      'allowed_parameters = { "k" = [] } denied_parameters = { "k" = ["bad"] }',
      'update',
      { k: 'bad' },
      false,
    ],
    ['allowed_parameters = { "k" = [] } denied_parameters = { "k" = ["bad"] }', 'update', { k: 'ok' }, true],
    // required_parameters: the lower-cased name must be a request key, even with a null value
    ['required_parameters = ["owner"]', 'update', { owner: null }, true],
    ['required_parameters = ["Owner"]', 'update', { owner: 'x' }, true],
    ['required_parameters = ["owner"]', 'update', { Owner: 'x' }, false],
    ['required_parameters = ["owner"]', 'create', {}, false],
    ['required_parameters = ["owner"]', 'patch', {}, false],
    ['required_parameters = ["owner"]', 'read', {}, false],
    ['required_parameters = ["owner"]', 'read', { owner: 'x' }, true],
    // nothing is checked for delete and list
    ['required_parameters = ["owner"]', 'delete', {}, true],
    ['required_parameters = ["owner"]', 'list', {}, true],
    ['denied_parameters = { "*" = [] }', 'delete', { k: 'x' }, true],
    ['allowed_parameters = { "k" = ["a"] }', 'list', { j: 'x' }, true],
  ] as const)('%s: %s %j → %j', (constraint, op, data, allowed) => {
    expect(stanza(constraint).isAllowed(op, 't/x', { params: data as Record<string, unknown> })).toBe(
      allowed,
    );
  });

  // [policies on one pattern, request data, allowed]
  it.each([
    // allowed lists unite; an empty list in either policy means any value
    [['allowed_parameters = { "k" = ["a"] }', 'allowed_parameters = { "k" = ["b"] }'], { k: 'b' }, true],
    [['allowed_parameters = { "k" = ["a"] }', 'allowed_parameters = { "k" = ["b"] }'], { k: 'c' }, false],
    [['allowed_parameters = { "k" = [] }', 'allowed_parameters = { "k" = ["b"] }'], { k: 'c' }, true],
    [['allowed_parameters = { "k" = ["b"] }', 'allowed_parameters = { "k" = [] }'], { k: 'c' }, true],
    // keys unite; a policy without constraints does not lift another's (Vault merges the maps)
    [['allowed_parameters = { "k" = [] }', 'allowed_parameters = { "j" = [] }'], { j: 'x', k: 'y' }, true],
    [['allowed_parameters = { "k" = [] }', ''], { j: 'x' }, false],
    // denied lists unite the same way
    [['denied_parameters = { "k" = ["a"] }', 'denied_parameters = { "k" = ["b"] }'], { k: 'b' }, false],
    [['denied_parameters = { "k" = ["a"] }', 'denied_parameters = { "k" = [] }'], { k: 'z' }, false],
    [['denied_parameters = { "k" = ["a"] }', ''], { k: 'a' }, false],
    [['denied_parameters = { "k" = ["a"] }', 'allowed_parameters = { "k" = [] }'], { k: 'a' }, false],
    // required names unite
    [['required_parameters = ["a"]', 'required_parameters = ["b"]'], { a: 1 }, false],
    [['required_parameters = ["a"]', 'required_parameters = ["b"]'], { a: 1, b: 2 }, true],
  ] as const)('merged %j with %j → %j', (bodies, data, allowed) => {
    const a = acl(...bodies.map((b) => `path "t/*" { capabilities = ["update"] ${b} }`));
    expect(a.isAllowed('update', 't/x', { params: data as Record<string, unknown> })).toBe(allowed);
  });

  it("applies only the winning rule's constraints and ignores them for root and capabilities", () => {
    const a = acl(
      'path "t/*" { capabilities = ["update"] required_parameters = ["owner"] }',
      'path "t/open" { capabilities = ["update"] }',
    );
    expect(a.isAllowed('update', 't/open', { params: {} })).toBe(true);
    expect(a.isAllowed('update', 't/x', { params: {} })).toBe(false);
    expect(a.capabilities('t/x')).toEqual(['update']);
    const root = new VaultAcl([parseVaultPolicy('root', '')]);
    expect(root.isAllowed('update', 't/x', { params: {} })).toBe(true);
  });
});

describe('VaultAcl: the default policy', () => {
  const d = new VaultAcl([parseVaultPolicy('default', DEFAULT_POLICY_HCL)]);
  it.each([
    ['auth/token/lookup-self', ['read']],
    ['auth/token/renew-self', ['update']],
    ['sys/capabilities-self', ['update']],
    ['cubbyhole/my/secret', ['create', 'delete', 'list', 'read', 'update']],
    ['sys/tools/hash/sha2-256', ['update']],
    ['identity/oidc/provider/default/authorize', ['read', 'update']],
    ['identity/oidc/provider/a/b/authorize', ['deny']],
    ['identity/entity/id/1234', ['deny']], // templated: no entities here
    ['kv/minio/key', ['deny']],
  ])('capabilities(%j) = %j', (path, caps) => {
    expect(d.capabilities(path)).toEqual(caps);
  });

  it('combines with another policy', () => {
    const a = new VaultAcl([parseVaultPolicy('default', DEFAULT_POLICY_HCL), parseVaultPolicy('kes', GUIDE)]);
    expect(a.isAllowed('read', 'auth/token/lookup-self')).toBe(true);
    expect(a.isAllowed('update', 'auth/token/renew-self')).toBe(true);
    expect(a.isAllowed('create', 'kv/minio/k')).toBe(true);
  });
});
