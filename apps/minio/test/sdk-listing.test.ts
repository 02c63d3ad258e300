// ListObjects v1/v2 and DeleteObjects through @aws-sdk/client-s3.
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

let srv: TestServer;
const bucket = 'listing';
// Deliberately unsorted, with UTF-8 ordering traps ('-' < '/', é and an astral char after ASCII).
const keys = ['b/2', 'a/1', 'a-b', 'a/2', 'a/sub/3', 'c', 'é', '😀', 'a b', 'a+b', 'z/'];

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await Promise.all(keys.map((Key) => srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));
});
afterAll(async () => {
  await srv.close();
});

const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

describe('ListObjectsV2', () => {
  it('lists every key in UTF-8 byte order with sizes and ETags', async () => {
    const out = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(byteOrder);
    expect(out.KeyCount).toBe(keys.length);
    expect(out.IsTruncated).toBe(false);
    const c = out.Contents?.find((x) => x.Key === 'c');
    expect(c?.Size).toBe(1);
    expect(c?.ETag).toBe('"4a8a08f09d37b73795649038408b5f33"');
    expect(c?.Owner).toBeUndefined();
  });

  it('groups by delimiter under a prefix', async () => {
    const out = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/', Delimiter: '/' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2']);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/sub/']);
    const top = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'z/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(['a b', 'a+b', 'a-b', 'c', 'é', '😀']);
  });

  it('pages with continuation tokens, counting common prefixes', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out: ListObjectsV2CommandOutput = await srv.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      seen.push(
        ...(out.CommonPrefixes ?? []).map((p) => p.Prefix!),
        ...(out.Contents ?? []).map((c) => c.Key!),
      );
      expect((out.Contents?.length ?? 0) + (out.CommonPrefixes?.length ?? 0)).toBeLessThanOrEqual(2);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      pages++;
    } while (token);
    expect(pages).toBe(5);
    expect(seen.sort()).toEqual(['a b', 'a+b', 'a-b', 'a/', 'b/', 'c', 'z/', 'é', '😀'].sort());
  });

  it('starts after a key and fetches owners', async () => {
    const out = await srv.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'b/2', FetchOwner: true }),
    );
    expect(out.Contents?.map((c) => c.Key)).toEqual(['c', 'z/', 'é', '😀']);
    expect(out.Contents?.[0]?.Owner?.DisplayName).toBe('minio');
  });

  it('url-encodes keys on request', async () => {
    const out = await srv.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a', EncodingType: 'url' }),
    );
    const raw = out.Contents?.map((c) => c.Key);
    expect(raw).toContain('a+b');
    expect(raw).toContain('a%2Bb');
  });

  it('returns nothing for max-keys=0', async () => {
    const out = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0 }));
    expect(out.Contents ?? []).toEqual([]);
  });
});

describe('ListObjects (v1)', () => {
  it('pages with markers and NextMarker when a delimiter is set', async () => {
    const first = await srv.s3.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 3 }));
    expect(first.Contents?.map((c) => c.Key)).toEqual(byteOrder.slice(0, 3));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBeUndefined();
    expect(first.Contents?.[0]?.Owner?.ID).toHaveLength(64);
    const second = await srv.s3.send(
      new ListObjectsCommand({ Bucket: bucket, MaxKeys: 3, Marker: byteOrder[2] }),
    );
    expect(second.Contents?.map((c) => c.Key)).toEqual(byteOrder.slice(3, 6));
    const grouped = await srv.s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', MaxKeys: 4 }));
    expect(grouped.NextMarker).toBe('a/');
    const rest = await srv.s3.send(
      new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', Marker: grouped.NextMarker }),
    );
    expect(rest.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/', 'z/']);
  });
});

describe('DeleteObjects', () => {
  it('round-trips keys with control characters through listing and delete XML', async () => {
    const Key = 'ctl/cr\rlf\ntab\t&<>';
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    const listed = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ctl/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([Key]);
    const out = await srv.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key }] } }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual([Key]);
    const after = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ctl/' }));
    expect(after.KeyCount).toBe(0);
  });

  it('deletes many keys, reporting each, and is quiet on request', async () => {
    await Promise.all(
      ['d/1', 'd/2', 'd/3'].map((Key) =>
        srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' })),
      ),
    );
    const out = await srv.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'missing' }, { Key: '../escape' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['d/1', 'd/2', 'missing']);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([['../escape', 'InvalidObjectName']]);
    const quiet = await srv.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'd/3' }] } }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
    const left = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'd/' }));
    expect(left.KeyCount).toBe(0);
  });
});
