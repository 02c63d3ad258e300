// Range resolution and conditional-request precedence.
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import type { ObjectMeta } from '../storage/types.js';
import {
  checkConditions,
  propertiesFromHeaders,
  resolveCopyRange,
  resolvePartRange,
  resolveRange,
} from './http-rules.js';

describe('resolveRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=9-', 10, { start: 9, end: 9 }],
    ['bytes=-10', 10, { start: 0, end: 9 }],
    ['bytes=3-99', 10, { start: 3, end: 9 }],
    [undefined, 10, undefined],
    ['bytes=4-3', 10, undefined],
    ['bytes=1-2,4-5', 10, undefined],
    ['bytes=', 10, undefined],
  ])('%s of %i', (value, size, out) => {
    expect(resolveRange(value, size)).toEqual(out);
  });

  it.each([
    ['bytes=10-', 10],
    ['bytes=0-', 0],
    ['bytes=-1', 0],
    ['bytes=-0', 10],
  ])('%s of %i is 416 with Content-Range */size', (value, size) => {
    try {
      resolveRange(value, size);
      expect.unreachable();
    } catch (err) {
      expect((err as S3Error).code).toBe('InvalidRange');
      expect((err as S3Error).headers['content-range']).toBe(`bytes */${size}`);
    }
  });

  it('validates copy ranges', () => {
    expect(resolveCopyRange('bytes=0-9', 10)).toEqual({ start: 0, end: 9 });
    expect(() => resolveCopyRange('bytes=0-10', 10)).toThrow(S3Error);
    expect(() => resolveCopyRange('bytes=5-', 10)).toThrow(S3Error);
  });
});

describe('checkConditions', () => {
  const meta = { etag: 'abc', lastModified: '2024-01-02T03:04:05.678Z' } as ObjectMeta;
  const before = 'Mon, 01 Jan 2024 00:00:00 GMT';
  const same = 'Tue, 02 Jan 2024 03:04:05 GMT';
  const after = 'Wed, 03 Jan 2024 00:00:00 GMT';
  const run = (h: Record<string, string>) => {
    try {
      checkConditions((n) => h[n], meta);
      return 200;
    } catch (err) {
      return (err as S3Error).status;
    }
  };

  it.each([
    [{}, 200],
    [{ 'if-match': '"abc"' }, 200],
    [{ 'if-match': '*' }, 200],
    [{ 'if-match': '"x", "abc"' }, 200],
    [{ 'if-match': '"x"' }, 412],
    [{ 'if-unmodified-since': before }, 412],
    [{ 'if-unmodified-since': same }, 200],
    [{ 'if-match': '"abc"', 'if-unmodified-since': before }, 200],
    [{ 'if-none-match': '"abc"' }, 304],
    [{ 'if-none-match': '"x"' }, 200],
    [{ 'if-modified-since': same }, 304],
    [{ 'if-modified-since': before }, 200],
    [{ 'if-none-match': '"x"', 'if-modified-since': after }, 200],
    [{ 'if-modified-since': 'not a date' }, 200],
  ])('%o → %i', (headers, status) => {
    expect(run(headers)).toBe(status);
  });
});

describe('propertiesFromHeaders', () => {
  it('keeps content headers and user metadata, drops aws-chunked', () => {
    const p = propertiesFromHeaders({
      'content-type': 'text/plain',
      'content-encoding': 'aws-chunked,gzip',
      'x-amz-meta-a': 'b',
      'cache-control': 'no-store',
    });
    expect(p).toMatchObject({
      contentType: 'text/plain',
      headers: { 'content-encoding': 'gzip', 'cache-control': 'no-store' },
      userMetadata: { 'x-amz-meta-a': 'b' },
    });
    expect(propertiesFromHeaders({ 'content-encoding': 'aws-chunked' }).headers).toEqual({});
  });

  it('refuses too much metadata and unknown storage classes', () => {
    expect(() => propertiesFromHeaders({ 'x-amz-meta-big': 'x'.repeat(2049) })).toThrow(S3Error);
    expect(() => propertiesFromHeaders({ 'x-amz-storage-class': 'GLACIER' })).toThrow(S3Error);
  });
});

describe('resolvePartRange', () => {
  it.each([
    ['1', [5, 5, 2], { start: 0, end: 4 }],
    ['2', [5, 5, 2], { start: 5, end: 9 }],
    ['3', [5, 5, 2], { start: 10, end: 11 }],
    ['1', [7], { start: 0, end: 6 }],
    ['01', [7], { start: 0, end: 6 }],
  ])('part %s of %j', (n, sizes, out) => {
    expect(resolvePartRange(n, sizes)).toEqual(out);
  });

  it.each([
    ['4', [5, 5, 2], 'InvalidPartNumber', 416],
    ['2', [7], 'InvalidPartNumber', 416],
    ['0', [7], 'InvalidArgument', 400],
    ['10001', [7], 'InvalidArgument', 400],
    ['', [7], 'InvalidArgument', 400],
    ['1e3', [7], 'InvalidArgument', 400],
    [' 1', [7], 'InvalidArgument', 400],
  ])('part %j of %j is %s', (n, sizes, code, status) => {
    expect(() => resolvePartRange(n, sizes)).toThrow(expect.objectContaining({ code, status }) as S3Error);
  });
});
