// The x-amz-tagging header and tag-set rules.
import { describe, expect, it } from 'vitest';
import type { S3Error } from '../errors.js';
import { checkTags, parseTaggingHeader } from './tagging.js';

describe('parseTaggingHeader', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['a=1', [{ key: 'a', value: '1' }]],
    [
      'a=1&b=',
      [
        { key: 'a', value: '1' },
        { key: 'b', value: '' },
      ],
    ],
    ['flag', [{ key: 'flag', value: '' }]],
    ['k%20x=v+w', [{ key: 'k x', value: 'v w' }]],
    ['%C3%A9t%C3%A9=%E5%80%A4+1', [{ key: 'été', value: '値 1' }]],
    ['a=b%3Dc%2Bd', [{ key: 'a', value: 'b=c+d' }]],
  ])('%j', (header, tags) => {
    expect(parseTaggingHeader(header)).toEqual(tags);
  });

  it.each([
    ['k=%zz', 'InvalidArgument'],
    ['%E2%9C=v', 'InvalidArgument'],
    ['=v', 'InvalidTag'],
    ['a=1&a=2', 'InvalidTag'],
    [Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&'), 'BadRequest'],
    ['k=%E2%9C%93', 'InvalidTag'],
    ['aws:k=v', 'InvalidTag'],
    // MinIO reads the header one tag at a time: the bad 11th tag is found before the count.
    [`${Array.from({ length: 10 }, (_, i) => `k${i}=v`).join('&')}&k!=v`, 'InvalidTag'],
  ])('refuses %j with %s', (header, code) => {
    expect(() => parseTaggingHeader(header)).toThrow(expect.objectContaining({ code }) as S3Error);
  });
});

describe('checkTags', () => {
  const tag = (key: string, value = '') => ({ key, value });
  it.each([
    ['128-character key', [tag('k'.repeat(128))], undefined],
    ['129-character key', [tag('k'.repeat(129))], 'InvalidTag'],
    // Characters, not UTF-8 bytes or UTF-16 units, are what S3 counts.
    ['128-letter key outside the BMP', [tag('𝒜'.repeat(128))], undefined],
    ['129-letter key outside the BMP', [tag('𝒜'.repeat(129))], 'InvalidTag'],
    ['every allowed kind of character', [tag('Aé値 ٣_.:/=+-@', 'z\u00a09')], undefined],
    ['an emoji key', [tag('😀')], 'InvalidTag'],
    ['a key with !', [tag('k!')], 'InvalidTag'],
    ['a value with a control character', [tag('k', 'a\tb')], 'InvalidTag'],
    ['a value with <', [tag('k', '<b>')], 'InvalidTag'],
    ['an aws: key', [tag('aws:cloudformation:stack')], 'InvalidTag'],
    ['an AWS: key', [tag('AWS:x')], 'InvalidTag'],
    ['eleven tags', Array.from({ length: 11 }, (_, i) => tag(`k${i}`)), 'BadRequest'],
    ['256-character value', [tag('k', 'v'.repeat(256))], undefined],
    ['257-character value', [tag('k', 'v'.repeat(257))], 'InvalidTag'],
    ['ten tags', Array.from({ length: 10 }, (_, i) => tag(`k${i}`)), undefined],
    ['no tags', [], undefined],
  ])('%s', (_what, tags, code) => {
    if (code === undefined) expect(checkTags(tags)).toBe(tags);
    else expect(() => checkTags(tags)).toThrow(expect.objectContaining({ code }) as S3Error);
  });

  it('allows 50 tags on a bucket, not 51, with MinIO messages', () => {
    const set = (n: number) => Array.from({ length: n }, (_, i) => tag(`k${i}`));
    expect(checkTags(set(50), 'bucket')).toHaveLength(50);
    expect(() => checkTags(set(51), 'bucket')).toThrow('Tags cannot be more than 50');
    expect(() => checkTags(set(11), 'object')).toThrow('Tags cannot be more than 10');
  });

  it('checks each tag before the count and the count before duplicates, as MinIO does', () => {
    const eleven = Array.from({ length: 11 }, () => tag('same'));
    expect(() => checkTags(eleven)).toThrow(expect.objectContaining({ code: 'BadRequest' }) as S3Error);
    expect(() => checkTags([...eleven, tag('')])).toThrow(
      expect.objectContaining({ code: 'InvalidTag' }) as S3Error,
    );
  });
});
