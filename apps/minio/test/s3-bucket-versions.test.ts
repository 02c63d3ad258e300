// GetBucketVersioning and ListObjectVersions on buckets that never keep versions, as MinIO answers them
// (docs/s3.md#versions): what rclone, terraform and the s3-tests cleanup probe before they delete.
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'versions';
const keys = ['a', 'b', 'dir/c', 'dir/d', 'e'];

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of keys) await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
});
afterAll(async () => {
  await srv.close();
});

describe('GetBucketVersioning', () => {
  it('reports an empty configuration: no Status, no MFADelete', async () => {
    const out = await srv.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect({ status: out.Status, mfa: out.MFADelete }).toEqual({ status: undefined, mfa: undefined });
  });
});

describe('ListObjectVersions on an unversioned bucket', () => {
  it('lists every object as its one version: VersionId null, the latest, with its ETag and size', async () => {
    const out = await srv.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const listed = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size, v.ETag])).toEqual(
      listed.Contents?.map((c) => [c.Key, 'null', true, c.Size, c.ETag]),
    );
    expect(out.Versions?.[0]?.Owner?.DisplayName).toBe('minio');
    expect(out.DeleteMarkers).toBeUndefined();
    expect(out.IsTruncated).toBe(false);
  });

  it('groups by delimiter and filters by prefix', async () => {
    const out = await srv.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Delimiter: '/' }));
    expect(out.Versions?.map((v) => v.Key)).toEqual(['a', 'b', 'e']);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/']);
    const inDir = await srv.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'dir/' }));
    expect(inDir.Versions?.map((v) => v.Key)).toEqual(['dir/c', 'dir/d']);
  });

  it('pages by key-marker with max-keys, NextKeyMarker naming the last entry', async () => {
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await srv.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          MaxKeys: 2,
          Delimiter: '/',
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      seen.push(
        ...(out.Versions ?? []).map((v) => v.Key!),
        ...(out.CommonPrefixes ?? []).map((p) => p.Prefix!),
      );
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker || undefined;
    }
    expect(seen.sort()).toEqual(['a', 'b', 'dir/', 'e']);
  });

  it('a version-id-marker null after a key lists what follows the key', async () => {
    const out = await srv.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: 'b', VersionIdMarker: 'null' }),
    );
    expect(out.Versions?.map((v) => v.Key)).toEqual(['dir/c', 'dir/d', 'e']);
  });

  it('a version-id-marker without a key-marker answers NotImplemented, as MinIO does', async () => {
    const res = await send(srv.port, {
      method: 'GET',
      path: `/${bucket}`,
      query: 'versions&version-id-marker=null',
    });
    expect([res.status, errorCode(res.body)]).toEqual([501, 'NotImplemented']);
  });

  it('NoSuchBucket for a bucket that does not exist', async () => {
    const res = await send(srv.port, { method: 'GET', path: '/no-such-bucket', query: 'versions' });
    expect([res.status, errorCode(res.body)]).toEqual([404, 'NoSuchBucket']);
  });

  it('the cleanup tools do — list versions, delete them by VersionId null — empties the bucket', async () => {
    const other = 'versions-cleanup';
    await srv.s3.send(new CreateBucketCommand({ Bucket: other }));
    for (const key of ['x', 'y/z'])
      await srv.s3.send(new PutObjectCommand({ Bucket: other, Key: key, Body: 'v' }));
    const out = await srv.s3.send(new ListObjectVersionsCommand({ Bucket: other }));
    await srv.s3.send(
      new DeleteObjectsCommand({
        Bucket: other,
        Delete: { Objects: (out.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId! })) },
      }),
    );
    const after = await srv.s3.send(new ListObjectVersionsCommand({ Bucket: other }));
    expect(after.Versions).toBeUndefined();
  });
});
