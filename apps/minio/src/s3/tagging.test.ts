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
    ['%C3%A9t%C3%A9=%E2%9C%93', [{ key: 'été', value: '✓' }]],
    ['a=b%3Dc%26d', [{ key: 'a', value: 'b=c&d' }]],
  ])('%j', (header, tags) => {
    expect(parseTaggingHeader(header)).toEqual(tags);
  });

  it.each([
    ['k=%zz', 'InvalidArgument'],
    ['%E2%9C=v', 'InvalidArgument'],
    ['=v', 'InvalidTag'],
    ['a=1&a=2', 'InvalidTag'],
    [Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&'), 'BadRequest'],
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
    ['128 emoji key', [tag('😀'.repeat(128))], undefined],
    ['256-character value', [tag('k', 'v'.repeat(256))], undefined],
    ['257-character value', [tag('k', 'v'.repeat(257))], 'InvalidTag'],
    ['ten tags', Array.from({ length: 10 }, (_, i) => tag(`k${i}`)), undefined],
    ['no tags', [], undefined],
  ])('%s', (_what, tags, code) => {
    if (code === undefined) expect(checkTags(tags)).toBe(tags);
    else expect(() => checkTags(tags)).toThrow(expect.objectContaining({ code }) as S3Error);
  });
});
