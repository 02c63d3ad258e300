import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { KesPolicy, kesPathMatch, validateKesPattern } from './kes.js';

describe('kesPathMatch', () => {
  // docs/kes-protocol.md#policies: the two matchers differ on `/v1/key/*` vs a deeper path.
  it.each([
    ['/v1/key/*', '/v1/key/create/x', 'prefix', true],
    ['/v1/key/*', '/v1/key/create/x', 'glob', false],
    ['/v1/key/*', '/v1/key/create', 'prefix', true],
    ['/v1/key/*', '/v1/key/create', 'glob', true],
    ['/v1/key/*', '/v1/key/', 'prefix', true],
    ['/v1/key/*', '/v1/key/', 'glob', true],
    ['/v1/key/*', '/v1/key', 'prefix', false],
    ['/v1/key/*', '/v1/key', 'glob', false],
    ['/v1/status', '/v1/status', 'prefix', true],
    ['/v1/status', '/v1/status', 'glob', true],
    ['/v1/status', '/v1/status/', 'prefix', false],
    ['/v1/status', '/v1/statusx', 'glob', false],
    ['*', '/anything/at/all', 'prefix', true],
    ['*', '/anything', 'glob', false],
    // Only a trailing `*` is special in prefix mode; glob syntax is literal there.
    ['/v1/key/create/minio-?', '/v1/key/create/minio-a', 'prefix', false],
    ['/v1/key/create/minio-?', '/v1/key/create/minio-?', 'prefix', true],
    ['/v1/key/create/minio-?', '/v1/key/create/minio-a', 'glob', true],
    ['/v1/key/*/minio-*', '/v1/key/create/minio-a', 'prefix', false],
    ['/v1/key/*/minio-*', '/v1/key/create/minio-a', 'glob', true],
    ['/v1/key/create/[a-c]*', '/v1/key/create/bkey', 'glob', true],
    ['/v1/key/create/[^a-c]*', '/v1/key/create/bkey', 'glob', false],
    ['/v1/key/create/\\*', '/v1/key/create/*', 'glob', true],
    ['/v1/key/create/\\*', '/v1/key/create/x', 'glob', false],
    // A malformed glob never matches, not even itself.
    ['/v1/key/[', '/v1/key/[', 'glob', false],
    ['/v1/key/[', '/v1/key/[', 'prefix', true],
  ] as const)('%j vs %j in %s mode → %j', (pattern, path, mode, expected) => {
    expect(kesPathMatch(pattern, path, mode)).toBe(expected);
  });

  // The MinIO policy (docs/kes-protocol.md#policies, docs/guide.md#gaps-in-the-guide-text): both matchers agree.
  const minio = ['/v1/key/create/minio-*', '/v1/key/generate/minio-*', '/v1/key/decrypt/minio-*'];
  it.each([
    ['/v1/key/create/minio-default-key', true],
    ['/v1/key/generate/minio-default-key', true],
    ['/v1/key/decrypt/minio-default-key', true],
    ['/v1/key/decrypt/minio-', true],
    ['/v1/key/create/other-key', false],
    ['/v1/key/delete/minio-default-key', false],
    ['/v1/key/list/*', false],
    ['/v1/status', false],
  ] as const)('MinIO policy on %j → %j in both modes', (path, expected) => {
    for (const mode of ['prefix', 'glob'] as const) {
      expect(minio.some((p) => kesPathMatch(p, path, mode))).toBe(expected);
      expect(new KesPolicy('minio', { allow: minio }, mode).isAllowed(path)).toBe(expected);
    }
  });

  it('differs between the modes on a key name with a slash', () => {
    const path = '/v1/key/create/minio-a/b';
    expect(new KesPolicy('minio', { allow: minio }, 'prefix').isAllowed(path)).toBe(true);
    expect(new KesPolicy('minio', { allow: minio }, 'glob').isAllowed(path)).toBe(false);
  });
});

describe('KesPolicy', () => {
  const policy = new KesPolicy('app', {
    allow: ['/v1/key/create/*', '/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/status'],
    deny: ['/v1/key/create/internal*', '/v1/key/decrypt/internal-secret'],
  });

  it.each([
    ['/v1/key/create/app-key', { allowed: true, by: 'allow', pattern: '/v1/key/create/*' }],
    ['/v1/key/create/internal-key', { allowed: false, by: 'deny', pattern: '/v1/key/create/internal*' }],
    [
      '/v1/key/decrypt/internal-secret',
      { allowed: false, by: 'deny', pattern: '/v1/key/decrypt/internal-secret' },
    ],
    ['/v1/key/decrypt/internal-secret2', { allowed: true, by: 'allow', pattern: '/v1/key/decrypt/*' }],
    ['/v1/status', { allowed: true, by: 'allow', pattern: '/v1/status' }],
    ['/v1/key/delete/app-key', { allowed: false, by: 'none' }],
    ['/v1/metrics', { allowed: false, by: 'none' }],
  ])('verify(%j) = %j (deny first, then allow, else deny)', (path, decision) => {
    expect(policy.verify(path)).toEqual(decision);
    expect(policy.isAllowed(path)).toBe(decision.allowed);
  });

  it('defaults to prefix mode and treats E1/E2 `paths` as allow-only', () => {
    const e1 = new KesPolicy('minio', { allow: ['/v1/key/*'] });
    expect(e1.mode).toBe('prefix');
    expect(e1.deny).toEqual([]);
    expect(e1.isAllowed('/v1/key/create/x')).toBe(true);
  });

  it('denies everything with no patterns', () => {
    expect(new KesPolicy('empty', { allow: [] }).isAllowed('/v1/status')).toBe(false);
  });

  it('a deny pattern wins even when it is listed after a matching allow', () => {
    const p = new KesPolicy('p', { allow: ['*'], deny: ['/v1/key/delete/*'] });
    expect(p.isAllowed('/v1/key/delete/k')).toBe(false);
    expect(p.isAllowed('/v1/key/create/k')).toBe(true);
  });

  it('copies its rules, so later edits of the arrays do not change it', () => {
    const allow = ['/v1/status'];
    const p = new KesPolicy('p', { allow });
    allow.push('*');
    expect(p.isAllowed('/v1/metrics')).toBe(false);
  });

  it('lists malformed glob patterns and validateKesPattern rejects them', () => {
    const p = new KesPolicy('p', { allow: ['/v1/key/[', '/v1/status'], deny: ['a\\'] }, 'glob');
    expect(p.invalidPatterns()).toEqual(['/v1/key/[', 'a\\']);
    expect(new KesPolicy('p', { allow: ['/v1/key/['] }).invalidPatterns()).toEqual([]);
    expect(() => validateKesPattern('/v1/key/[', 'glob')).toThrow(
      new PolicyError('invalid policy pattern "/v1/key/[": syntax error in pattern'),
    );
    expect(() => validateKesPattern('/v1/key/[', 'prefix')).not.toThrow();
    expect(() => validateKesPattern('/v1/key/create/minio-*', 'glob')).not.toThrow();
  });
});
