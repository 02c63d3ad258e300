// GetObjectAttributes with the AWS SDK v3, as MinIO answers it (docs/s3.md#getobjectattributes):
// plaintext, multipart with checksums, SSE-S3 and SSE-C objects.
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  type GetObjectAttributesCommandInput,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'attrs';
const ALL = ['ETag', 'Checksum', 'ObjectParts', 'ObjectSize', 'StorageClass'] as const;
const MiB = 1024 * 1024;
const ssecKey = 'k'.repeat(32);
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: ssecKey } as const;
const partBodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
let multipartEtag = '';

const attributes = (Key: string, extra: Partial<GetObjectAttributesCommandInput> = {}) =>
  srv.s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key, ObjectAttributes: [...ALL], ...extra }));

beforeAll(async () => {
  srv = await startServer({
    kms: new StaticKeyKms('minio-static', randomBytes(32)),
    allowInsecureSseC: true,
  });
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await srv.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'plain',
      Body: 'hello attributes',
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty', Body: '' }));
  const { UploadId } = await srv.s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multi', ChecksumAlgorithm: 'CRC32' }),
  );
  const Parts = [];
  for (const [i, Body] of partBodies.entries()) {
    const part = await srv.s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'multi',
        UploadId,
        PartNumber: i + 1,
        Body,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    Parts.push({ PartNumber: i + 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
  }
  const done = await srv.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'multi',
      UploadId,
      MultipartUpload: { Parts },
    }),
  );
  multipartEtag = done.ETag!.replace(/"/g, '');
  await srv.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'sse-s3',
      Body: 'sealed body',
      ServerSideEncryption: 'AES256',
    }),
  );
  await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sse-c', Body: 'customer sealed', ...ssec }));
});
afterAll(async () => {
  await srv.close();
});

describe('GetObjectAttributes', () => {
  it('a single PUT: unquoted ETag, full-object checksum, one part, size and storage class', async () => {
    const out = await attributes('plain');
    expect({
      etag: out.ETag,
      checksum: out.Checksum,
      size: out.ObjectSize,
      storageClass: out.StorageClass,
      parts: out.ObjectParts?.TotalPartsCount,
      partList: out.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]),
      lastModified: out.LastModified instanceof Date,
    }).toEqual({
      etag: createHash('md5').update('hello attributes').digest('hex'),
      checksum: {
        ChecksumSHA256: createHash('sha256').update('hello attributes').digest('base64'),
        ChecksumType: 'FULL_OBJECT',
      },
      size: 16,
      storageClass: 'STANDARD',
      parts: 1,
      partList: [[1, 16]],
      lastModified: true,
    });
  });

  it('only the attributes asked for', async () => {
    const out = await attributes('plain', { ObjectAttributes: ['ObjectSize'] });
    expect([out.ObjectSize, out.ETag, out.Checksum, out.ObjectParts, out.StorageClass]).toEqual([
      16,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a multipart object: its composite checksum without the count, its parts with their checksums', async () => {
    const out = await attributes('multi');
    expect(out.ETag).toBe(multipartEtag);
    expect(out.ObjectSize).toBe(10 * MiB + 1000);
    expect(out.Checksum?.ChecksumType).toBe('COMPOSITE');
    expect(out.Checksum?.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(out.ObjectParts).toMatchObject({
      TotalPartsCount: 3,
      IsTruncated: false,
      NextPartNumberMarker: '3',
    });
    expect(out.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, typeof p.ChecksumCRC32])).toEqual([
      [1, 5 * MiB, 'string'],
      [2, 5 * MiB, 'string'],
      [3, 1000, 'string'],
    ]);
  });

  it('pages the parts with max-parts and part-number-marker', async () => {
    const first = await attributes('multi', { ObjectAttributes: ['ObjectParts'], MaxParts: 2 });
    expect(first.ObjectParts).toMatchObject({ IsTruncated: true, MaxParts: 2, NextPartNumberMarker: '2' });
    expect(first.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    const rest = await attributes('multi', {
      ObjectAttributes: ['ObjectParts'],
      MaxParts: 2,
      PartNumberMarker: '2',
    });
    expect(rest.ObjectParts).toMatchObject({
      IsTruncated: false,
      PartNumberMarker: '2',
      NextPartNumberMarker: '3',
    });
    expect(rest.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([3]);
  });

  it('an SSE-S3 object: the plaintext size and the ETag HEAD shows', async () => {
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sse-s3' }));
    const out = await attributes('sse-s3');
    expect([out.ETag, out.ObjectSize, out.ObjectParts?.Parts?.[0]?.Size]).toEqual([
      head.ETag!.replace(/"/g, ''),
      11,
      11,
    ]);
    expect(out.ETag).toBe(createHash('md5').update('sealed body').digest('hex'));
  });

  it('an SSE-C object needs its key: without it 400, with a wrong one 403, with it the facts', async () => {
    const missing = await send(srv.port, {
      method: 'GET',
      path: `/${bucket}/sse-c`,
      query: 'attributes',
      headers: { 'x-amz-object-attributes': 'ObjectSize' },
    });
    expect([missing.status, errorCode(missing.body)]).toEqual([400, 'InvalidRequest']);
    await expect(
      attributes('sse-c', { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'w'.repeat(32) }),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const out = await attributes('sse-c', ssec);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sse-c', ...ssec }));
    expect([out.ObjectSize, out.ETag]).toEqual([15, head.ETag!.replace(/"/g, '')]);
  });

  it('an empty object has size 0', async () => {
    const out = await attributes('empty');
    expect(out.ObjectSize).toBe(0);
  });

  it.each([
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['an unknown name', 'ETag,Owner', 'Owner'],
    ['a name in the wrong case', 'etag', 'etag'],
  ])(
    '%s in x-amz-object-attributes answers InvalidArgument naming it, as MinIO does',
    async (_what, value, bad) => {
      const res = await send(srv.port, {
        method: 'GET',
        path: `/${bucket}/plain`,
        query: 'attributes',
        headers: value === undefined ? {} : { 'x-amz-object-attributes': value },
      });
      expect([res.status, errorCode(res.body)]).toEqual([400, 'InvalidArgument']);
      expect(res.body.toString()).toContain('<Message>Invalid attribute name specified.</Message>');
      expect(res.body.toString()).toContain('<ArgumentName>x-amz-object-attributes</ArgumentName>');
      if (bad !== undefined) expect(res.body.toString()).toContain(`<ArgumentValue>${bad}</ArgumentValue>`);
    },
  );

  it('a max-parts that is no integer answers InvalidArgument', async () => {
    const res = await send(srv.port, {
      method: 'GET',
      path: `/${bucket}/plain`,
      query: 'attributes',
      headers: { 'x-amz-object-attributes': 'ObjectParts', 'x-amz-max-parts': 'ten' },
    });
    expect([res.status, errorCode(res.body)]).toEqual([400, 'InvalidArgument']);
  });

  it('NoSuchKey for a missing object, and If-Match is checked', async () => {
    await expect(attributes('nope')).rejects.toMatchObject({ name: 'NoSuchKey' });
    const res = await send(srv.port, {
      method: 'GET',
      path: `/${bucket}/plain`,
      query: 'attributes',
      headers: { 'x-amz-object-attributes': 'ETag', 'if-match': '"0000"' },
    });
    expect([res.status, errorCode(res.body)]).toEqual([412, 'PreconditionFailed']);
  });
});
