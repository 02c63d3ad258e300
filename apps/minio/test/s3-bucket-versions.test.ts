// GetBucketVersioning and ListObjectVersions on buckets that never keep versions, as MinIO answers them
// (docs/s3.md#versions): what rclone, terraform and the s3-tests cleanup probe before they delete.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
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

describe('versionId on object requests in an unversioned bucket', () => {
  const other = '3f0a0b8e-2d5c-4b8e-9c1a-6f7e8d9a0b1c';

  it('versionId null names the object: GET, HEAD and DELETE act on it', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'v-null', Body: 'n' }));
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'v-null', VersionId: 'null' }));
    expect(got.$metadata.httpStatusCode).toBe(200);
    await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'v-null', VersionId: 'null' }));
    await srv.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'v-null', VersionId: 'null' }));
    await expect(srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'v-null' }))).rejects.toMatchObject(
      {
        $metadata: { httpStatusCode: 404 },
      },
    );
  });

  it('another version id: GET answers NoSuchVersion and DELETE removes nothing, as MinIO does', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'v-kept', Body: 'kept' }));
    await expect(
      srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'v-kept', VersionId: other })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion', $metadata: { httpStatusCode: 404 } });
    const del = await srv.s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: 'v-kept', VersionId: other }),
    );
    expect(del.$metadata.httpStatusCode).toBe(204);
    const batch = await srv.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'v-kept', VersionId: other }] },
      }),
    );
    expect(batch.Deleted).toEqual([{ Key: 'v-kept', VersionId: other }]);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'v-kept' }));
    expect(head.ContentLength).toBe(4);
  });

  it('a version id that is no UUID answers InvalidArgument', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await send(srv.port, { method, path: `/${bucket}/a`, query: 'versionId=v1' });
      expect([method, res.status, errorCode(res.body)]).toEqual([method, 400, 'InvalidArgument']);
    }
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a' }));
    expect(head.ContentLength).toBe(1);
  });
});
