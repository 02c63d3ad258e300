// Bucket policy parsing and evaluation for anonymous requests, in isolation.
import { describe, expect, it } from 'vitest';
import { parseBucketPolicy } from './document.js';
import { isAllowed, type PolicyRequest } from './evaluate.js';
import { couldMatchPrefix, wildcardMatch } from './wildcard.js';

describe('wildcardMatch', () => {
  it.each([
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['s3:Get*', 's3:GetObject', true],
    ['s3:Get*', 's3:PutObject', false],
    ['b/*.txt', 'b/a/c.txt', true],
    ['b/?.txt', 'b/a.txt', true],
    ['b/?.txt', 'b/ab.txt', false],
    ['b/a*b*c', 'b/aXbYc', true],
    ['b/a*b*c', 'b/aXbY', false],
    ['B/*', 'b/x', false],
  ])('%j against %j is %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it('stays linear on a pattern of many stars', () => {
    const started = performance.now();
    expect(wildcardMatch(`${'*a'.repeat(50)}b`, 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('couldMatchPrefix', () => {
    expect(couldMatchPrefix('bucket/*', 'bucket/')).toBe(true);
    expect(couldMatchPrefix('buck*', 'bucket/')).toBe(true);
    expect(couldMatchPrefix('other/*', 'bucket/')).toBe(false);
  });
});

const req = (action: string, key?: string, values: PolicyRequest['values'] = {}): PolicyRequest => ({
  action,
  bucket: 'b',
  key,
  values,
});
const policy = (...Statement: object[]) =>
  parseBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement }), 'b');

describe('isAllowed', () => {
  const allowAll = {
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:*',
    Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
  };

  it('no policy, or no matching statement: refused', () => {
    expect(isAllowed(undefined, req('s3:GetObject', 'k'))).toBe(false);
    const p = policy({ ...allowAll, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/public/*' });
    expect(isAllowed(p, req('s3:GetObject', 'private/k'))).toBe(false);
    expect(isAllowed(p, req('s3:PutObject', 'public/k'))).toBe(false);
    expect(isAllowed(p, req('s3:GetObject', 'public/k'))).toBe(true);
  });

  it('a matching Deny wins, before or after the Allow', () => {
    const deny = {
      Effect: 'Deny',
      Principal: { AWS: ['*'] },
      Action: 's3:DeleteObject',
      Resource: 'arn:aws:s3:::b/*',
    };
    for (const p of [policy(allowAll, deny), policy(deny, allowAll)]) {
      expect(isAllowed(p, req('s3:DeleteObject', 'k'))).toBe(false);
      expect(isAllowed(p, req('s3:GetObject', 'k'))).toBe(true);
    }
  });

  it('NotAction and NotResource', () => {
    const p = policy({
      Effect: 'Allow',
      Principal: '*',
      NotAction: 's3:Delete*',
      NotResource: 'arn:aws:s3:::b/secret/*',
    });
    expect(isAllowed(p, req('s3:GetObject', 'k'))).toBe(true);
    expect(isAllowed(p, req('s3:DeleteObject', 'k'))).toBe(false);
    expect(isAllowed(p, req('s3:GetObject', 'secret/k'))).toBe(false);
  });

  it('a named principal never matches an anonymous request', () => {
    const p = policy({ ...allowAll, Principal: { AWS: 'arn:aws:iam::1:root' } });
    expect(isAllowed(p, req('s3:GetObject', 'k'))).toBe(false);
  });

  it('conditions: all must hold; a missing key fails Equals and passes NotEquals', () => {
    const p = policy({
      ...allowAll,
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::b',
      Condition: {
        StringEquals: { 's3:prefix': ['a/', 'b/'] },
        IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1'] },
      },
    });
    expect(
      isAllowed(p, req('s3:ListBucket', undefined, { 's3:prefix': ['a/'], 'aws:sourceip': ['10.1.1.1'] })),
    ).toBe(true);
    expect(
      isAllowed(p, req('s3:ListBucket', undefined, { 's3:prefix': ['a/'], 'aws:sourceip': ['::1'] })),
    ).toBe(true);
    expect(
      isAllowed(p, req('s3:ListBucket', undefined, { 's3:prefix': ['c/'], 'aws:sourceip': ['10.1.1.1'] })),
    ).toBe(false);
    expect(isAllowed(p, req('s3:ListBucket', undefined, { 'aws:sourceip': ['10.1.1.1'] }))).toBe(false);
    expect(
      isAllowed(p, req('s3:ListBucket', undefined, { 's3:prefix': ['a/'], 'aws:sourceip': ['11.0.0.1'] })),
    ).toBe(false);
    const not = policy({
      ...allowAll,
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::b',
      Condition: { StringNotEquals: { 's3:prefix': 'x' } },
    });
    expect(isAllowed(not, req('s3:ListBucket'))).toBe(true);
  });

  it('a policy naming other buckets, unknown actions or keys does not parse', () => {
    expect(() => policy({ ...allowAll, Resource: 'arn:aws:s3:::c/*' })).toThrow(/bucket name does not match/);
    expect(() => policy({ ...allowAll, Action: 's3:Fly' })).toThrow(/invalid action/);
    expect(() => policy({ ...allowAll, Condition: { StringEquals: { 'aws:UserAgent': 'x' } } })).toThrow(
      /unsupported condition key/,
    );
  });
});
