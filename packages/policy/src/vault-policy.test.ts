import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/seeded-random.js';
import { HclError, PolicyError } from './errors.js';
import { DEFAULT_POLICY_HCL, parseVaultPolicy, RESPONSE_WRAPPING_POLICY_HCL } from './vault-policy.js';

/** The MinIO KMS guide's policy (guide §3.4), closing brace restored. */
const GUIDE_POLICY = `path "kv/minio/*" {
  capabilities = [ "create", "read", "delete" ]
}
`;

describe('parseVaultPolicy', () => {
  it('parses the guide policy into one prefix rule', () => {
    const p = parseVaultPolicy('minio-key-policy', GUIDE_POLICY);
    expect(p).toEqual({
      name: 'minio-key-policy',
      raw: GUIDE_POLICY,
      templated: false,
      paths: [
        {
          pattern: 'kv/minio/*',
          path: 'kv/minio/',
          kind: 'prefix',
          isPrefix: true,
          capabilities: ['create', 'read', 'delete'],
          minWrappingTtl: 0,
          maxWrappingTtl: 0,
          templated: false,
        },
      ],
    });
  });

  it('reads the JSON form the same way', () => {
    const hcl = parseVaultPolicy('p', GUIDE_POLICY).paths;
    const json = parseVaultPolicy(
      'p',
      '{"path":{"kv/minio/*":{"capabilities":["create","read","delete"]}}}',
    ).paths;
    expect(json).toEqual(hcl);
    const list = parseVaultPolicy(
      'p',
      '{"path":[{"a":{"capabilities":["read"]}},{"a":{"capabilities":["list"]}}]}',
    );
    expect(list.paths.map((r) => [r.pattern, r.capabilities])).toEqual([
      ['a', ['read']],
      ['a', ['list']],
    ]);
  });

  it.each([
    ['secret/foo', 'secret/foo', 'exact', false],
    ['/secret/foo', 'secret/foo', 'exact', false],
    ['secret/*', 'secret/', 'prefix', true],
    ['secret/zip-*', 'secret/zip-', 'prefix', true],
    ['*', '', 'prefix', true],
    ['secret/+/teamb', 'secret/+/teamb', 'segment', false],
    ['secret/+/*', 'secret/+/*', 'segment', true],
    ['secret/+/zip-*', 'secret/+/zip-*', 'segment', true],
    ['+/a', '+/a', 'segment', false],
    ['+', '+', 'segment', false],
    ['secret/a+b', 'secret/a+b', 'exact', false],
    ['//double', '/double', 'exact', false],
  ])('pattern %j → path %j, kind %s, isPrefix %j', (pattern, path, kind, isPrefix) => {
    const [rule] = parseVaultPolicy('p', `path "${pattern}" { capabilities = ["read"] }`).paths;
    expect(rule).toMatchObject({ pattern, path, kind, isPrefix });
  });

  it.each([
    ['read', ['read', 'list']],
    ['write', ['create', 'read', 'update', 'delete', 'list']],
    ['sudo', ['create', 'read', 'update', 'delete', 'list', 'sudo']],
    ['deny', ['deny']],
  ])('maps legacy policy = %j', (policy, capabilities) => {
    const [rule] = parseVaultPolicy('p', `path "a" { policy = "${policy}" }`).paths;
    expect(rule?.capabilities).toEqual(capabilities);
    expect(rule?.policy).toBe(policy);
  });

  it.each([
    [['read', 'deny'], ['deny']],
    [['deny', 'read'], ['deny']],
    [['deny', 'foo'], ['deny']], // Vault stops at deny: later entries are never checked
    [
      ['read', 'read', 'list'],
      ['read', 'list'],
    ],
    [
      ['subscribe', 'patch'],
      ['subscribe', 'patch'],
    ],
    [[], []],
  ])('capabilities %j → %j', (caps, expected) => {
    const [rule] = parseVaultPolicy('p', JSON.stringify({ path: { a: { capabilities: caps } } })).paths;
    expect(rule?.capabilities).toEqual(expected);
  });

  it('a deny stanza keeps nothing else', () => {
    const [rule] = parseVaultPolicy(
      'p',
      'path "a" {\n capabilities = ["deny"]\n allowed_parameters = { "x" = [] }\n max_wrapping_ttl = "bogus"\n}',
    ).paths;
    expect(rule).toEqual({
      pattern: 'a',
      path: 'a',
      kind: 'exact',
      isPrefix: false,
      capabilities: ['deny'],
      minWrappingTtl: 0,
      maxWrappingTtl: 0,
      templated: false,
    });
  });

  it('parses parameters and wrapping TTLs', () => {
    const [rule] = parseVaultPolicy(
      'p',
      `path "secret/*" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "TTL" = ["1h", "2h"]
    "*" = []
  }
  denied_parameters {
    "admin" = [true]
  }
  required_parameters = ["owner"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = 3600
  mfa_methods = ["totp"]
  comment = "anything"
  control_group = { ttl = "1h" }
}`,
    ).paths;
    expect(rule).toMatchObject({
      allowedParameters: { ttl: ['1h', '2h'], '*': [] },
      deniedParameters: { admin: [true] },
      requiredParameters: ['owner'],
      minWrappingTtl: 1,
      maxWrappingTtl: 3600,
      mfaMethods: ['totp'],
    });
  });

  it('joins repeated stanzas in source order', () => {
    const p = parseVaultPolicy(
      'p',
      'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }',
    );
    expect(p.paths.map((r) => r.capabilities)).toEqual([['read'], ['list']]);
  });

  it('accepts an empty policy and a name key', () => {
    expect(parseVaultPolicy('p', '').paths).toEqual([]);
    expect(parseVaultPolicy('p', '# nothing\n').paths).toEqual([]);
    expect(parseVaultPolicy('p', 'name = "other"\npath "a" { policy = "read" }').paths).toHaveLength(1);
  });

  it.each([
    [
      'path "kv/*" { capabilities = ["foo"] }',
      'failed to parse policy: path "kv/*": invalid capability "foo"',
    ],
    [
      'path "/kv/*" { capabilities = ["root"] }',
      'failed to parse policy: path "/kv/*": invalid capability "root"',
    ],
    ['path "kv/*" { capabilities = [1] }', 'failed to parse policy: path "kv/*": invalid capability "1"'],
    ['path "a" { policy = "foo" }', 'failed to parse policy: path "a": invalid policy "foo"'],
    [
      'path "/a/+*" { capabilities = ["read"] }',
      'failed to parse policy: path "a/+*": invalid use of wildcards (\'+*\' is forbidden)',
    ],
    [
      'foo = 1\npath "a" {}',
      'failed to parse policy: 1 error occurred:\n\t* invalid key "foo" on line 1\n\n',
    ],
    [
      'foo "x" {}\nbar = 2\n',
      'failed to parse policy: 2 errors occurred:\n\t* invalid key "foo" on line 0\n\t* invalid key "bar" on line 2\n\n',
    ],
    [
      'path "kv/*" {\n  capabilities = ["read"]\n  capability = ["list"]\n}',
      'failed to parse policy: 1 error occurred:\n\t* path "kv/*": invalid key "capability" on line 3\n\n',
    ],
    [
      'path "kv/*" { capabilities = ["read"] ',
      'failed to parse policy: At 1:39: object expected closing RBRACE got: EOF',
    ],
    [
      'path "kv/*" { capabilities = "read" }',
      'failed to parse policy: path "kv/*": At 1:30: capabilities: expected a list, got string',
    ],
    ['path "kv/*" = "x"', 'failed to parse policy: At 1:13: nested object expected: LBRACE got: ASSIGN'],
    ['path = "x"', 'failed to parse policy: At 1:1: path: expected a block or an object'],
    [
      'path "kv/*" { policy = ["read"] }',
      'failed to parse policy: path "kv/*": At 1:24: policy: expected a string, got list',
    ],
    [
      'path "kv/*" {\n capabilities = ["read"]\n allowed_parameters = { "a*b" = [] }\n}',
      'failed to parse policy: path "kv/": allowed_parameters: parameter key "a*b" cannot contain non-tail wildcards',
    ],
    [
      'path "kv/x" {\n capabilities = ["read"]\n denied_parameters = { "/a/*/b" = [] }\n}',
      'failed to parse policy: path "kv/x": denied_parameters: parameter key "/a/*/b" cannot contain non-tail wildcards',
    ],
    [
      'path "kv/x" {\n capabilities = ["read"]\n allowed_parameters = { "x" = "y" }\n}',
      'failed to parse policy: path "kv/x": At 3:31: allowed_parameters: "x": expected a list of values',
    ],
    [
      'path "kv/x" {\n capabilities = ["read"]\n allowed_parameters = "x"\n}',
      'failed to parse policy: path "kv/x": At 3:23: allowed_parameters: expected an object, got string',
    ],
    [
      'path "a" { capabilities = ["read"] min_wrapping_ttl = "abc" }',
      'failed to parse policy: error parsing min_wrapping_ttl: time: invalid duration "abc"',
    ],
    [
      'path "a" { capabilities = ["read"] min_wrapping_ttl = "2h" max_wrapping_ttl = "1h" }',
      'failed to parse policy: max_wrapping_ttl cannot be less than min_wrapping_ttl',
    ],
    ['{"path": {"a": "x"}}', 'failed to parse policy: path "a": expected a block or an object, got string'],
    ['{"path": 1', "failed to parse policy: At 1:11: expected ',' or '}' got: EOF"],
  ])('%j → %j', (text, message) => {
    let error: unknown;
    try {
      parseVaultPolicy('p', text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toBe(message);
  });

  it('keeps the HCL error as the cause of a syntax failure', () => {
    try {
      parseVaultPolicy('p', 'path "a" {');
      expect.unreachable();
    } catch (e) {
      expect((e as PolicyError).cause).toBeInstanceOf(HclError);
      expect((e as PolicyError).cause).toMatchObject({ line: 1, column: 11 });
    }
  });

  it('never throws anything but PolicyError on arbitrary input', () => {
    const pieces = [
      'path',
      '"a/*"',
      '"+*"',
      '{',
      '}',
      'capabilities',
      '=',
      '["read"]',
      '["x"]',
      'policy',
      '"deny"',
      '\n',
      '[',
      ']',
      '1',
      'max_wrapping_ttl',
      '"1h"',
      'allowed_parameters',
      '{ "a" = [] }',
      ',',
    ];
    const rand = seededRandom(99);
    for (let i = 0; i < 3000; i++) {
      const parts: string[] = [];
      const len = rand(16);
      for (let k = 0; k < len; k++) parts.push(pieces[rand(pieces.length)]!);
      const text = parts.join(' ');
      try {
        parseVaultPolicy('p', text);
      } catch (e) {
        if (!(e instanceof PolicyError) || !e.message.startsWith('failed to parse policy: ')) {
          throw new Error(`${JSON.stringify(text)} threw ${String(e)}`);
        }
      }
    }
  });
});

describe('built-in policies', () => {
  it('DEFAULT_POLICY_HCL is Vault 1.15 default policy and parses', () => {
    expect(
      DEFAULT_POLICY_HCL.startsWith(
        '\n# Allow tokens to look up their own properties\npath "auth/token/lookup-self"',
      ),
    ).toBe(true);
    const p = parseVaultPolicy('default', DEFAULT_POLICY_HCL);
    expect(p.templated).toBe(true);
    expect(p.paths.map((r) => [r.pattern, r.capabilities])).toEqual([
      ['auth/token/lookup-self', ['read']],
      ['auth/token/renew-self', ['update']],
      ['auth/token/revoke-self', ['update']],
      ['sys/capabilities-self', ['update']],
      ['identity/entity/id/{{identity.entity.id}}', ['read']],
      ['identity/entity/name/{{identity.entity.name}}', ['read']],
      ['sys/internal/ui/resultant-acl', ['read']],
      ['sys/renew', ['update']],
      ['sys/leases/renew', ['update']],
      ['sys/leases/lookup', ['update']],
      ['cubbyhole/*', ['create', 'read', 'update', 'delete', 'list']],
      ['sys/wrapping/wrap', ['update']],
      ['sys/wrapping/lookup', ['update']],
      ['sys/wrapping/unwrap', ['update']],
      ['sys/tools/hash', ['update']],
      ['sys/tools/hash/*', ['update']],
      ['sys/control-group/request', ['update']],
      ['identity/oidc/provider/+/authorize', ['read', 'update']],
    ]);
  });

  it('RESPONSE_WRAPPING_POLICY_HCL parses', () => {
    expect(parseVaultPolicy('response-wrapping', RESPONSE_WRAPPING_POLICY_HCL).paths).toHaveLength(2);
  });
});
