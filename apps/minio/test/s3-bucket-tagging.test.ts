// Bucket tagging with the AWS SDK v3, and S3's tag rules on bucket and object tags (docs/s3.md#tagging).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  GetBucketTaggingCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type Tag,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'tagged-bucket';

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await srv.close();
});

const putTags = (TagSet: Tag[], Bucket = bucket) =>
  srv.s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }));
const getTags = async (Bucket = bucket) =>
  (await srv.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet;

describe('Put/Get/DeleteBucketTagging', () => {
  it('GetBucketTagging on a bucket without tags answers 404 NoSuchTagSet', async () => {
    await expect(getTags()).rejects.toMatchObject({
      name: 'NoSuchTagSet',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('stores the set in the bucket record, returns it, and replaces it whole', async () => {
    await putTags([
      { Key: 'team', Value: 'storage' },
      { Key: 'Kostenstelle', Value: 'Ä 42' },
      { Key: 'empty', Value: '' },
    ]);
    expect(await getTags()).toEqual([
      { Key: 'team', Value: 'storage' },
      { Key: 'Kostenstelle', Value: 'Ä 42' },
      { Key: 'empty', Value: '' },
    ]);
    const record = JSON.parse(
      await readFile(join(srv.dir, '.minio.sys', 'buckets', `${bucket}.json`), 'utf8'),
    );
    expect(record.tags).toEqual([
      { key: 'team', value: 'storage' },
      { key: 'Kostenstelle', value: 'Ä 42' },
      { key: 'empty', value: '' },
    ]);
    await putTags([{ Key: 'only', Value: 'one' }]);
    expect(await getTags()).toEqual([{ Key: 'only', Value: 'one' }]);
  });

  it('DeleteBucketTagging answers 204 and leaves no set; again on a bucket without tags', async () => {
    await putTags([{ Key: 'k', Value: 'v' }]);
    const first = await srv.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
    expect(first.$metadata.httpStatusCode).toBe(204);
    await expect(getTags()).rejects.toMatchObject({ name: 'NoSuchTagSet' });
    const again = await srv.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('accepts 50 tags with keys of 128 and values of 256 characters', async () => {
    const TagSet = Array.from({ length: 50 }, (_, i) => ({
      Key: `${i}`.padEnd(128, 'k'),
      Value: 'v'.repeat(256),
    }));
    await putTags(TagSet);
    expect(await getTags()).toHaveLength(50);
  });

  const fifty = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  it.each([
    ['51 tags', fifty, 'Tags cannot be more than 50'],
    [
      'a key of 129 characters',
      [{ Key: 'k'.repeat(129), Value: 'v' }],
      'The TagKey you have provided is invalid',
    ],
    [
      'a value of 257 characters',
      [{ Key: 'k', Value: 'v'.repeat(257) }],
      'The TagValue you have provided is invalid',
    ],
    ['an empty key', [{ Key: '', Value: 'v' }], 'The TagKey you have provided is invalid'],
    ['a key with !', [{ Key: 'k!', Value: 'v' }], 'The TagKey you have provided is invalid'],
    ['a value with an emoji', [{ Key: 'k', Value: '😀' }], 'The TagValue you have provided is invalid'],
    ['an aws: key', [{ Key: 'aws:createdBy', Value: 'v' }], 'Your TagKey cannot be prefixed with aws:'],
    [
      'a key twice',
      [
        { Key: 'd', Value: '1' },
        { Key: 'd', Value: '2' },
      ],
      'Cannot provide multiple Tags with the same key',
    ],
  ])('refuses %s as MalformedXML with the rule as message, as MinIO does', async (_what, TagSet, message) => {
    await putTags([{ Key: 'kept', Value: 'yes' }]);
    await expect(putTags(TagSet)).rejects.toMatchObject({
      name: 'MalformedXML',
      message,
      $metadata: { httpStatusCode: 400 },
    });
    expect(await getTags()).toEqual([{ Key: 'kept', Value: 'yes' }]);
  });

  it('NoSuchBucket for each of the three on a missing bucket', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await send(srv.port, { method, path: '/no-such-bucket', query: 'tagging' });
      expect([method, res.status, errorCode(res.body)]).toEqual([method, 404, 'NoSuchBucket']);
    }
    await expect(putTags([{ Key: 'k', Value: 'v' }], 'no-such-bucket')).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it('the tags go with the bucket: a bucket made again under the name has none', async () => {
    const b = 'tags-recreated';
    await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
    await putTags([{ Key: 'k', Value: 'v' }], b);
    await srv.s3.send(new DeleteBucketCommand({ Bucket: b }));
    await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
    await expect(getTags(b)).rejects.toMatchObject({ name: 'NoSuchTagSet' });
  });

  it('a set survives a restart of the server on the same directory', async () => {
    const again = await startServer();
    try {
      const b = 'tags-durable';
      await again.s3.send(new CreateBucketCommand({ Bucket: b }));
      await again.s3.send(
        new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }),
      );
      await again.app.close();
      const restarted = await startServer({ dataDir: again.dir });
      try {
        const out = await restarted.s3.send(new GetBucketTaggingCommand({ Bucket: b }));
        expect(out.TagSet).toEqual([{ Key: 'k', Value: 'v' }]);
      } finally {
        await restarted.close();
      }
    } finally {
      again.s3.destroy();
    }
  });
});

describe("object tags follow S3's character set too", () => {
  it.each([
    ['a key with !', [{ Key: 'k!', Value: 'v' }]],
    ['a value with an emoji', [{ Key: 'k', Value: '😀' }]],
    ['an aws: key', [{ Key: 'aws:k', Value: 'v' }]],
  ])('PutObjectTagging refuses %s with InvalidTag', async (_what, TagSet) => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: 'x' }));
    await expect(
      srv.s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'obj', Tagging: { TagSet } })),
    ).rejects.toMatchObject({ name: 'InvalidTag', $metadata: { httpStatusCode: 400 } });
  });

  it.each([
    ['a key with !', 'k%21=v'],
    ['a value with <', 'k=%3Cb%3E'],
    ['an aws: key', 'aws%3Ak=v'],
  ])('PutObject refuses an x-amz-tagging with %s with InvalidTag', async (_what, Tagging) => {
    await expect(
      srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'refused', Body: 'x', Tagging })),
    ).rejects.toMatchObject({ name: 'InvalidTag', $metadata: { httpStatusCode: 400 } });
  });

  it('accepts letters, digits and spaces of any script', async () => {
    const TagSet = [{ Key: 'Größe', Value: '値 ٣ _.:/=+-@' }];
    await srv.s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'obj', Tagging: { TagSet } }));
  });
});
