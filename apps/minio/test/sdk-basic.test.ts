// Buckets and objects through @aws-sdk/client-s3 over real HTTP.
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, stagingFiles, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});

describe('buckets', () => {
  it('creates, heads, lists, locates and deletes a bucket', async () => {
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await srv.s3.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    const list = await srv.s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('alpha');
    const loc = await srv.s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }));
    expect(loc.LocationConstraint ?? '').toBe('');
    await srv.s3.send(new DeleteBucketCommand({ Bucket: 'alpha' }));
    await expect(srv.s3.send(new HeadBucketCommand({ Bucket: 'alpha' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses a duplicate bucket and a non-empty delete', async () => {
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'beta' }));
    await expect(srv.s3.send(new CreateBucketCommand({ Bucket: 'beta' }))).rejects.toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
    });
    await srv.s3.send(new PutObjectCommand({ Bucket: 'beta', Key: 'k', Body: 'x' }));
    await expect(srv.s3.send(new DeleteBucketCommand({ Bucket: 'beta' }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it.each(['ab', 'UPPER', 'a..b', '192.168.1.1', '-abc', 'abc-', 'a_b', 'x'.repeat(64)])(
    'rejects the invalid bucket name %s',
    async (name) => {
      await expect(srv.s3.send(new CreateBucketCommand({ Bucket: name }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 400 },
      });
    },
  );
});

describe('objects', () => {
  beforeAll(async () => {
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
  });

  it('puts and gets a string body with metadata and content headers', async () => {
    const put = await srv.s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/hello.txt',
        Body: 'hello world',
        ContentType: 'text/plain',
        Metadata: { color: 'blue', 'Mixed-Case': 'v' },
        CacheControl: 'no-cache',
        ContentDisposition: 'attachment',
        ContentLanguage: 'en',
      }),
    );
    expect(put.ETag).toBe('"5eb63bbbe01eeed093cb22bb8f5acdc3"');
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello.txt' }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ color: 'blue', 'mixed-case': 'v' });
    expect(got.CacheControl).toBe('no-cache');
    expect(got.ContentDisposition).toBe('attachment');
    expect(got.ContentLanguage).toBe('en');
    expect(got.ContentLength).toBe(11);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/hello.txt' }));
    expect(head.ContentLength).toBe(11);
    expect(head.ETag).toBe(put.ETag);
  });

  it('streams a body of unknown length (aws-chunked with a CRC32 trailer)', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const put = await srv.s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'streamed',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await srv.s3.send(
      new GetObjectCommand({ Bucket: 'objects', Key: 'streamed', ChecksumMode: 'ENABLED' }),
    );
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(data)).toBe(true);
  });

  it.each(['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const)(
    'verifies a %s checksum',
    async (algo) => {
      const put = await srv.s3.send(
        new PutObjectCommand({
          Bucket: 'objects',
          Key: `sum-${algo}`,
          Body: 'checksummed',
          ChecksumAlgorithm: algo,
        }),
      );
      const got = await srv.s3.send(
        new GetObjectCommand({ Bucket: 'objects', Key: `sum-${algo}`, ChecksumMode: 'ENABLED' }),
      );
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('checksummed');
      const field = `Checksum${algo}` as const;
      expect(got[field]).toBe(put[field]);
    },
  );

  it('overwrites, deletes, and reports NoSuchKey', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'gone', Body: 'one' }));
    await srv.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'gone', Body: 'two' }));
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'gone' }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('two');
    await srv.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'gone' }));
    await expect(srv.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'gone' }))).rejects.toMatchObject(
      {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      },
    );
    await srv.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'gone' }));
    expect(await stagingFiles(srv.dir)).toEqual([]);
  });

  it('stores an empty object', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'empty', Body: '' }));
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'empty' }));
    expect(got.ContentLength).toBe(0);
    expect(got.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
  });

  it('answers NoSuchBucket for objects in a missing bucket', async () => {
    await expect(
      srv.s3.send(new PutObjectCommand({ Bucket: 'nobucket', Key: 'k', Body: 'x' })),
    ).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});
