// GET/HEAD by partNumber, object tagging (header, copy directive, multipart, the ?tagging calls), the
// ACL answers of a store without ACLs, GetBucketPolicy and GetBucketVersioning, through
// @aws-sdk/client-s3 against a real server.
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectTaggingCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { OWNER_ID } from '../src/s3/context.js';
import { collect, startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'extras';
const MiB = 1024 * 1024;
const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
const whole = Buffer.concat(parts);

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { UploadId } = await srv.s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multi', Tagging: 'from=upload' }),
  );
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const r = await srv.s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: 'multi', UploadId, PartNumber: i + 1, Body }),
    );
    done.push({ PartNumber: i + 1, ETag: r.ETag! });
  }
  await srv.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'multi',
      UploadId,
      MultipartUpload: { Parts: done },
    }),
  );
  await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'single', Body: 'one part only' }));
});
afterAll(async () => {
  await srv.close();
});

async function tagsOf(Key: string): Promise<Array<[string, string]>> {
  const out = await srv.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));
  return (out.TagSet ?? []).map((t) => [t.Key!, t.Value!]);
}

describe('partNumber', () => {
  it.each([
    [1, 0, 5 * MiB - 1],
    [2, 5 * MiB, 10 * MiB - 1],
    [3, 10 * MiB, 10 * MiB + 999],
  ])('GET part %i of a multipart object returns bytes %i-%i', async (PartNumber, start, end) => {
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'multi', PartNumber }));
    expect(out.$metadata.httpStatusCode).toBe(206);
    expect(out.ContentRange).toBe(`bytes ${start}-${end}/${whole.length}`);
    expect(out.ContentLength).toBe(end - start + 1);
    expect(out.PartsCount).toBe(3);
    const body = await collect(out.Body as AsyncIterable<Uint8Array>);
    expect(body.equals(parts[PartNumber - 1]!)).toBe(true);
  });

  it('HEADs a part with its length and the parts count', async () => {
    const out = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'multi', PartNumber: 3 }));
    expect(out.$metadata.httpStatusCode).toBe(206);
    expect(out.ContentLength).toBe(1000);
    expect(out.PartsCount).toBe(3);
  });

  it('treats a single-part object as part 1', async () => {
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', PartNumber: 1 }));
    expect(out.ContentRange).toBe('bytes 0-12/13');
    expect(out.PartsCount).toBeUndefined();
    expect((await collect(out.Body as AsyncIterable<Uint8Array>)).toString()).toBe('one part only');
  });

  it.each([
    ['multi', 4],
    ['single', 2],
  ])('answers InvalidPartNumber (416) beyond the parts of %s', async (Key, PartNumber) => {
    await expect(
      srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key, PartNumber })),
    ).rejects.toMatchObject({ name: 'InvalidPartNumber', $metadata: { httpStatusCode: 416 } });
  });

  it.each(['0', '10001', 'x', '-1', '1.5'])('answers InvalidArgument for partNumber=%s', async (n) => {
    const res = await send(srv.port, { method: 'GET', path: `/${bucket}/multi`, query: `partNumber=${n}` });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('InvalidArgument');
  });

  it('reads a part of an SSE-S3 multipart object (plaintext offsets, decrypted)', async () => {
    const sse = await startServer({ kms: new StaticKeyKms('test-key', randomBytes(32)) });
    try {
      await sse.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const { UploadId } = await sse.s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'enc', ServerSideEncryption: 'AES256' }),
      );
      const done = [];
      for (const [i, Body] of parts.entries()) {
        const r = await sse.s3.send(
          new UploadPartCommand({ Bucket: bucket, Key: 'enc', UploadId, PartNumber: i + 1, Body }),
        );
        done.push({ PartNumber: i + 1, ETag: r.ETag! });
      }
      await sse.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'enc',
          UploadId,
          MultipartUpload: { Parts: done },
        }),
      );
      for (const PartNumber of [2, 3]) {
        const out = await sse.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'enc', PartNumber }));
        expect(out.ServerSideEncryption).toBe('AES256');
        expect(out.PartsCount).toBe(3);
        const body = await collect(out.Body as AsyncIterable<Uint8Array>);
        expect(body.equals(parts[PartNumber - 1]!)).toBe(true);
      }
      const head = await sse.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc', PartNumber: 1 }));
      expect(head.ContentRange).toBe(`bytes 0-${5 * MiB - 1}/${whole.length}`);
    } finally {
      await sse.close();
    }
  });

  it('counts parts by position when the client numbered them with gaps', async () => {
    const { UploadId } = await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'gaps' }));
    const first = await srv.s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: 'gaps', UploadId, PartNumber: 1, Body: parts[0] }),
    );
    const third = await srv.s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: 'gaps', UploadId, PartNumber: 3, Body: parts[2] }),
    );
    await srv.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'gaps',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: first.ETag! },
            { PartNumber: 3, ETag: third.ETag! },
          ],
        },
      }),
    );
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'gaps', PartNumber: 2 }));
    expect(out.PartsCount).toBe(2);
    expect((await collect(out.Body as AsyncIterable<Uint8Array>)).equals(parts[2]!)).toBe(true);
    await expect(
      srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'gaps', PartNumber: 3 })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });
  });

  it('refuses partNumber together with Range', async () => {
    await expect(
      srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'multi', PartNumber: 1, Range: 'bytes=0-1' })),
    ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
  });
});

describe('object tagging', () => {
  it('stores x-amz-tagging on PUT and counts the tags on GET', async () => {
    await srv.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'tagged', Body: 'x', Tagging: 'a=1&b=two%20words&c=' }),
    );
    expect(await tagsOf('tagged')).toEqual([
      ['a', '1'],
      ['b', 'two words'],
      ['c', ''],
    ]);
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'tagged' }));
    expect(got.TagCount).toBe(3);
    await collect(got.Body as AsyncIterable<Uint8Array>);
    const raw = await send(srv.port, { method: 'HEAD', path: `/${bucket}/tagged` });
    expect(raw.headers['x-amz-tagging-count']).toBe('3');
  });

  it('replaces and deletes the tag set without touching the object', async () => {
    const before = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tagged' }));
    await srv.s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: 'tagged',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v =+:' }] },
      }),
    );
    expect(await tagsOf('tagged')).toEqual([['k', 'v =+:']]);
    const after = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tagged' }));
    expect(after.ETag).toBe(before.ETag);
    expect(after.LastModified).toEqual(before.LastModified);
    const deleted = await srv.s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tagged' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(await tagsOf('tagged')).toEqual([]);
    const raw = await send(srv.port, { method: 'HEAD', path: `/${bucket}/tagged` });
    expect(raw.headers['x-amz-tagging-count']).toBeUndefined();
  });

  it('carries the tags of CreateMultipartUpload to the completed object', async () => {
    expect(await tagsOf('multi')).toEqual([['from', 'upload']]);
  });

  it('copies tags by default and replaces them with x-amz-tagging-directive REPLACE', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: 'copy me', Tagging: 's=1' }));
    const CopySource = `${bucket}/src`;
    await srv.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'c1', CopySource, Tagging: 'ignored=1' }));
    expect(await tagsOf('c1')).toEqual([['s', '1']]);
    await srv.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'c2',
        CopySource,
        TaggingDirective: 'REPLACE',
        Tagging: 'r=2',
      }),
    );
    expect(await tagsOf('c2')).toEqual([['r', '2']]);
    await srv.s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'c3', CopySource, TaggingDirective: 'REPLACE' }),
    );
    expect(await tagsOf('c3')).toEqual([]);
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/c4`,
      headers: { 'x-amz-copy-source': `/${CopySource}`, 'x-amz-tagging-directive': 'MERGE' },
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('InvalidArgument');
  });

  it('replaces tags in a copy onto itself that replaces the metadata', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'self', Body: 'me', Tagging: 'old=1' }));
    await srv.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'self',
        CopySource: `${bucket}/self`,
        MetadataDirective: 'REPLACE',
        TaggingDirective: 'REPLACE',
        Tagging: 'new=2',
        Metadata: { changed: 'yes' },
      }),
    );
    expect(await tagsOf('self')).toEqual([['new', '2']]);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'self' }));
    expect(head.Metadata).toEqual({ changed: 'yes' });
  });

  it('empties the tag set with an empty PutObjectTagging', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'emptied', Body: 'e', Tagging: 'x=1' }));
    await srv.s3.send(
      new PutObjectTaggingCommand({ Bucket: bucket, Key: 'emptied', Tagging: { TagSet: [] } }),
    );
    expect(await tagsOf('emptied')).toEqual([]);
    const raw = await send(srv.port, { method: 'HEAD', path: `/${bucket}/emptied` });
    expect(raw.headers['x-amz-tagging-count']).toBeUndefined();
  });

  it('refuses bad tags at CreateMultipartUpload, before any part is sent', async () => {
    await expect(
      srv.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp-bad', Tagging: 'k=1&k=2' })),
    ).rejects.toMatchObject({ name: 'InvalidTag', $metadata: { httpStatusCode: 400 } });
  });

  const tooMany = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
  it.each([
    ['eleven tags', tooMany, 'BadRequest'],
    ['a key of 129 characters', `${'k'.repeat(129)}=v`, 'InvalidTag'],
    ['a value of 257 characters', `k=${'v'.repeat(257)}`, 'InvalidTag'],
    ['an empty key', '=v', 'InvalidTag'],
    ['a key twice', 'k=1&k=2', 'InvalidTag'],
    ['a bad percent escape', 'k=%zz', 'InvalidArgument'],
  ])('refuses a PUT whose x-amz-tagging has %s', async (_what, Tagging, code) => {
    await expect(
      srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'refused', Body: 'x', Tagging })),
    ).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
  });

  it('accepts ten tags, keys of 128 and values of 256 characters', async () => {
    const TagSet = Array.from({ length: 10 }, (_, i) => ({
      Key: `${i}`.padEnd(128, 'k'),
      Value: 'v'.repeat(256),
    }));
    await srv.s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'tagged', Tagging: { TagSet } }));
    expect(await tagsOf('tagged')).toHaveLength(10);
  });

  it('refuses a duplicate key in PutObjectTagging and answers NoSuchKey for a missing object', async () => {
    await expect(
      srv.s3.send(
        new PutObjectTaggingCommand({
          Bucket: bucket,
          Key: 'tagged',
          Tagging: {
            TagSet: [
              { Key: 'd', Value: '1' },
              { Key: 'd', Value: '2' },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTag' });
    await expect(
      srv.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'nope' })),
    ).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    await expect(
      srv.s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'nope', Tagging: { TagSet: [] } })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/tagged`,
      query: 'tagging',
      body: '<Tagging>',
    });
    expect(errorCode(res.body)).toBe('MalformedXML');
  });

  it('applies the x-amz-meta-* and x-amz-tagging a presigner hoists into the query of a PUT URL', async () => {
    const url = await getSignedUrl(
      srv.s3,
      new PutObjectCommand({ Bucket: bucket, Key: 'presigned', Metadata: { m: 'v' }, Tagging: 'p=1&q=2' }),
      { expiresIn: 60 },
    );
    expect(new URL(url).searchParams.get('x-amz-tagging')).toBe('p=1&q=2');
    const res = await fetch(url, { method: 'PUT', body: 'presigned body' });
    expect(res.status).toBe(200);
    expect(await tagsOf('presigned')).toEqual([
      ['p', '1'],
      ['q', '2'],
    ]);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'presigned' }));
    expect(head.Metadata).toEqual({ m: 'v' });
    // In a header-signed request the same query parameters are only unknown parameters.
    const plain = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/plain`,
      query: 'x-amz-meta-m=v&x-amz-tagging=a%3D1',
      body: 'x',
    });
    expect(plain.status).toBe(200);
    expect(await tagsOf('plain')).toEqual([]);
  });

  it('tags an SSE-C object and reads its tags and ACL without the customer key', async () => {
    const ssec = await startServer({ allowInsecureSseC: true });
    try {
      const customer = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32) };
      await ssec.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await ssec.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'secret', Body: 'sealed', Tagging: 'a=1', ...customer }),
      );
      await expect(
        ssec.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'secret' })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 400 },
      });
      const tagging = (Key: string) => ssec.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));
      expect((await tagging('secret')).TagSet).toEqual([{ Key: 'a', Value: '1' }]);
      await ssec.s3.send(
        new PutObjectTaggingCommand({
          Bucket: bucket,
          Key: 'secret',
          Tagging: { TagSet: [{ Key: 'b', Value: '2' }] },
        }),
      );
      expect((await tagging('secret')).TagSet).toEqual([{ Key: 'b', Value: '2' }]);
      const acl = await ssec.s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'secret' }));
      expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
      const got = await ssec.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'secret', ...customer }));
      expect(got.TagCount).toBe(1);
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('sealed');
    } finally {
      await ssec.close();
    }
  });

  it('keeps tags across a restart', async () => {
    await srv.s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: 'single',
        Tagging: { TagSet: [{ Key: 'p', Value: 'q' }] },
      }),
    );
    const again = await startServer({ dataDir: srv.dir });
    try {
      const out = await again.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'single' }));
      expect(out.TagSet).toEqual([{ Key: 'p', Value: 'q' }]);
    } finally {
      again.s3.destroy();
      await again.app.close();
    }
  });
});

describe('ACLs, policy and versioning', () => {
  it('reports the owner with FULL_CONTROL on the bucket and on objects', async () => {
    for (const acl of [
      await srv.s3.send(new GetBucketAclCommand({ Bucket: bucket })),
      await srv.s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'single' })),
    ]) {
      expect(acl.Owner).toEqual({ ID: OWNER_ID, DisplayName: 'minio' });
      expect(acl.Grants).toEqual([
        {
          Grantee: { ID: OWNER_ID, DisplayName: 'minio', Type: 'CanonicalUser' },
          Permission: 'FULL_CONTROL',
        },
      ]);
    }
    await expect(srv.s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'nope' }))).rejects.toMatchObject(
      {
        name: 'NoSuchKey',
      },
    );
    await expect(srv.s3.send(new GetBucketAclCommand({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  const fullControl = {
    Owner: { ID: OWNER_ID },
    Grants: [
      { Grantee: { ID: OWNER_ID, Type: 'CanonicalUser' as const }, Permission: 'FULL_CONTROL' as const },
    ],
  };
  const readOnly = {
    Owner: { ID: OWNER_ID },
    Grants: [{ Grantee: { ID: OWNER_ID, Type: 'CanonicalUser' as const }, Permission: 'READ' as const }],
  };

  it('accepts only the ACLs that change nothing', async () => {
    await srv.s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
    await srv.s3.send(new PutBucketAclCommand({ Bucket: bucket, AccessControlPolicy: fullControl }));
    await srv.s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'single', ACL: 'private' }));
    await srv.s3.send(
      new PutObjectAclCommand({ Bucket: bucket, Key: 'single', AccessControlPolicy: fullControl }),
    );
    for (const refused of [
      new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }),
      new PutBucketAclCommand({ Bucket: bucket, AccessControlPolicy: readOnly }),
      new PutObjectAclCommand({ Bucket: bucket, Key: 'single', ACL: 'public-read-write' }),
      new PutObjectAclCommand({ Bucket: bucket, Key: 'single', AccessControlPolicy: readOnly }),
    ]) {
      await expect(srv.s3.send(refused as PutBucketAclCommand)).rejects.toMatchObject({
        name: 'NotImplemented',
        $metadata: { httpStatusCode: 501 },
      });
    }
    await expect(
      srv.s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'nope', ACL: 'private' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('answers NoSuchBucketPolicy, and versioning off', async () => {
    await expect(srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'NoSuchBucketPolicy',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(srv.s3.send(new GetBucketPolicyCommand({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject(
      {
        name: 'NoSuchBucket',
      },
    );
    const versioning = await srv.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect(versioning.Status).toBeUndefined();
  });

  it('refuses a policy without a Version as MalformedPolicy (s3-bucket-policy.test.ts covers policies)', async () => {
    const res = await send(srv.port, { method: 'PUT', path: `/${bucket}`, query: 'policy', body: '{}' });
    expect([res.status, errorCode(res.body)]).toEqual([400, 'MalformedPolicy']);
  });
});
