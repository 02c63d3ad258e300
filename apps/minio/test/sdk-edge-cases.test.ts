// Edge cases of listing parameters, multipart listings and multipart checksums through the AWS SDK.
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, stagingFiles, startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'edges';

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await srv.close();
});

describe('bucket queries', () => {
  it('reports versioning as never enabled', async () => {
    const out = await srv.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect(out.Status).toBeUndefined();
  });

  it('answers 404 for HEAD of a missing bucket', async () => {
    await expect(srv.s3.send(new HeadBucketCommand({ Bucket: 'not-there' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('names a HEAD error in x-minio-error-code and x-minio-error-desc, as MinIO does', async () => {
    const key = await send(srv.port, { method: 'HEAD', path: `/${bucket}/no-such-key` });
    expect(key.status).toBe(404);
    expect(key.body).toBe('');
    expect(key.headers['x-minio-error-code']).toBe('NoSuchKey');
    expect(key.headers['x-minio-error-desc']).toBe('"The specified key does not exist."');
    const nb = await send(srv.port, { method: 'HEAD', path: '/not-there' });
    expect([nb.status, nb.headers['x-minio-error-code']]).toEqual([404, 'NoSuchBucket']);
  });

  it('answers NoSuchBucket for listing a missing bucket', async () => {
    await expect(srv.s3.send(new ListObjectsV2Command({ Bucket: 'not-there' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it.each([
    ['max-keys=-1', 'list-type=2&max-keys=-1'],
    ['max-keys=abc', 'list-type=2&max-keys=abc'],
    ['encoding-type=base64', 'list-type=2&encoding-type=base64'],
    ['a bad continuation token', 'list-type=2&continuation-token=%25%25%25'],
  ])('refuses %s with InvalidArgument', async (_name, query) => {
    const res = await send(srv.port, { method: 'GET', path: `/${bucket}`, query });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('InvalidArgument');
  });
});

describe('ListMultipartUploads', () => {
  it('filters by prefix, groups by delimiter and pages with markers', async () => {
    const ids = new Map<string, string>();
    for (const key of ['up/a', 'up/b', 'up/dir/c', 'other']) {
      const out = await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      ids.set(key, out.UploadId!);
    }
    const prefixed = await srv.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/' }));
    expect(prefixed.Uploads?.map((u) => u.Key)).toEqual(['up/a', 'up/b', 'up/dir/c']);
    const grouped = await srv.s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/', Delimiter: '/' }),
    );
    expect(grouped.Uploads?.map((u) => u.Key)).toEqual(['up/a', 'up/b']);
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['up/dir/']);
    const first = await srv.s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'up/', MaxUploads: 2 }),
    );
    expect(first.IsTruncated).toBe(true);
    expect(first.Uploads?.map((u) => u.Key)).toEqual(['up/a', 'up/b']);
    const rest = await srv.s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: 'up/',
        KeyMarker: first.NextKeyMarker,
        UploadIdMarker: first.NextUploadIdMarker,
      }),
    );
    expect(rest.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['up/dir/c', ids.get('up/dir/c')]]);
  });
});

describe('multipart checksums', () => {
  it('verifies part CRC32s and reports the composite checksum', async () => {
    const key = 'checked';
    const created = await srv.s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC32' }),
    );
    const parts = [Buffer.alloc(5 * 1024 * 1024, 1), Buffer.from('tail')];
    const uploaded = [];
    for (const [i, Body] of parts.entries()) {
      const out = await srv.s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: i + 1,
          Body,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      expect(out.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      uploaded.push({ PartNumber: i + 1, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
    }
    const done = await srv.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: created.UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    expect(done.ChecksumCRC32).toMatch(/-2$/);
    const got = await srv.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
    );
    const data = await collect(got.Body as AsyncIterable<Uint8Array>);
    expect(createHash('md5').update(data).digest('hex')).toBe(
      createHash('md5').update(Buffer.concat(parts)).digest('hex'),
    );
  });

  it('refuses a part whose Content-MD5 is wrong and keeps no staged file', async () => {
    const created = await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'bad-part' }));
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/bad-part`,
      query: `partNumber=1&uploadId=${created.UploadId}`,
      headers: { 'content-md5': createHash('md5').update('other').digest('base64') },
      body: 'part body',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('BadDigest');
    expect(await stagingFiles(srv.dir)).toEqual([]);
  });
});
