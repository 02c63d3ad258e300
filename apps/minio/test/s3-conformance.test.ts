// Places where this object store once answered differently from MinIO, each pinned by a test. Where AWS
// and MinIO differ, MinIO is the reference and the test name says so (docs/s3.md).
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'conform';

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of ['a', 'b', 'dir/c'])
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
});
afterAll(async () => {
  await srv.close();
});

describe('max-keys=0', () => {
  it('ListObjects (v1) answers an empty page that is not truncated, as MinIO does', async () => {
    const out = await srv.s3.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 0 }));
    expect({
      truncated: out.IsTruncated,
      max: out.MaxKeys,
      contents: out.Contents,
      next: out.NextMarker,
    }).toEqual({
      truncated: false,
      max: 0,
      contents: undefined,
      next: undefined,
    });
  });

  it('ListObjectsV2 answers an empty page that is not truncated, as MinIO does', async () => {
    const out = await srv.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0, Delimiter: '/' }));
    expect({
      truncated: out.IsTruncated,
      max: out.MaxKeys,
      count: out.KeyCount,
      contents: out.Contents,
      prefixes: out.CommonPrefixes,
      token: out.NextContinuationToken,
    }).toEqual({
      truncated: false,
      max: 0,
      count: 0,
      contents: undefined,
      prefixes: undefined,
      token: undefined,
    });
  });
});

describe('Content-Encoding with aws-chunked', () => {
  it.each([
    ['deflate, gzip', 'deflate, gzip'],
    ['gzip , br', 'gzip , br'],
    ['aws-chunked,gzip', 'gzip'],
    ['gzip,aws-chunked', 'gzip'],
    ['aws-chunked', undefined],
    // Only the exact token is a transfer detail; MinIO keeps " aws-chunked" with its space.
    ['gzip, aws-chunked', 'gzip, aws-chunked'],
  ])(
    '%j is stored as %j: only an exact aws-chunked token is dropped, as MinIO does',
    async (sent, stored) => {
      const key = `enc-${Buffer.from(sent).toString('hex')}`;
      const put = await send(srv.port, {
        method: 'PUT',
        path: `/${bucket}/${key}`,
        headers: { 'content-encoding': sent },
        body: 'x',
      });
      expect(put.status).toBe(200);
      const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentEncoding).toBe(stored);
    },
  );
});

describe('presigned X-Amz-Expires', () => {
  async function fetchPresigned(
    expiresIn: number,
  ): Promise<{ status: number; code: string | undefined; message: string | undefined }> {
    const url = await getSignedUrl(srv.s3, new GetObjectCommand({ Bucket: bucket, Key: 'a' }), { expiresIn });
    const res = await fetch(url);
    const body = await res.text();
    return {
      status: res.status,
      code: errorCode(body),
      message: /<Message>([^<]*)<\/Message>/.exec(body)?.[1],
    };
  }

  it('0 is a valid value whose request has expired: 403 AccessDenied, as MinIO does', async () => {
    expect(await fetchPresigned(0)).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
    });
  });

  it('a negative value answers 400 AuthorizationQueryParametersError "must be non-negative", as MinIO does', async () => {
    expect(await fetchPresigned(-5)).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Expires must be non-negative',
    });
  });

  it('a value that is no number answers 400 "should be a number"', async () => {
    const url = new URL(
      await getSignedUrl(srv.s3, new GetObjectCommand({ Bucket: bucket, Key: 'a' }), { expiresIn: 60 }),
    );
    url.searchParams.set('X-Amz-Expires', 'soon');
    const res = await fetch(url);
    const body = await res.text();
    expect([res.status, errorCode(body), /<Message>([^<]*)<\/Message>/.exec(body)?.[1]]).toEqual([
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires should be a number',
    ]);
  });

  it('a signed URL within its lifetime still works', async () => {
    expect(await fetchPresigned(60)).toEqual({ status: 200, code: undefined, message: undefined });
  });
});

describe('any Content-Type value', () => {
  it.each([
    ['empty', ''],
    ['a lone semicolon', ';'],
    ['a parameter without a value', 'text/plain; charset'],
    ['no subtype', 'text'],
    ['an unknown type', 'x-odd/x-odder; q=1; q=2'],
    ['latin-1 letters', 'tëxt/plàin'],
  ])('%s (%j) is stored and echoed by GET and HEAD, never a 5xx', async (_what, type) => {
    const key = `ct-${Buffer.from(type).toString('hex')}`;
    const put = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/${key}`,
      headers: { 'content-type': type },
      body: 'typed',
    });
    expect([put.status, errorCode(put.body)]).toEqual([200, undefined]);
    const head = await send(srv.port, { method: 'HEAD', path: `/${bucket}/${key}` });
    const get = await send(srv.port, { method: 'GET', path: `/${bucket}/${key}` });
    expect([
      head.status,
      head.headers['content-type'],
      get.status,
      get.headers['content-type'],
      get.body,
    ]).toEqual([200, type, 200, type, 'typed']);
  });

  it('an object PUT without Content-Type reads back binary/octet-stream, as MinIO does', async () => {
    const put = await send(srv.port, { method: 'PUT', path: `/${bucket}/untyped`, body: 'untyped' });
    expect(put.status).toBe(200);
    const head = await send(srv.port, { method: 'HEAD', path: `/${bucket}/untyped` });
    expect(head.headers['content-type']).toBe('binary/octet-stream');
  });

  it.each([
    ['CreateBucket', 'PUT', '/ct-bucket', '', ''],
    [
      'PutObjectTagging',
      'PUT',
      `/${bucket}/a`,
      'tagging',
      '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>',
    ],
    ['PutBucketAcl', 'PUT', `/${bucket}`, 'acl', ''],
    [
      'DeleteObjects',
      'POST',
      `/${bucket}`,
      'delete',
      '<Delete><Object><Key>never-was</Key></Object></Delete>',
    ],
    ['CreateMultipartUpload', 'POST', `/${bucket}/mp`, 'uploads', ''],
    ['DeleteObject', 'DELETE', `/${bucket}/never-was`, '', ''],
  ])(
    '%s with a malformed Content-Type answers as without one, never a 5xx',
    async (_op, method, path, query, body) => {
      for (const type of ['', ';', 'text/plain; charset', '/']) {
        const headers: Record<string, string> = { 'content-type': type };
        if (query === 'acl') headers['x-amz-acl'] = 'private';
        if (query === 'delete') headers['content-md5'] = createHash('md5').update(body).digest('base64');
        const res = await send(srv.port, { method, path, query, headers, body });
        expect({ type, status: res.status, code: errorCode(res.body) }).toEqual({
          type,
          status: method === 'DELETE' ? 204 : 200,
          code: undefined,
        });
        if (path === '/ct-bucket') await send(srv.port, { method: 'DELETE', path });
      }
    },
  );
});

describe('header values from the query string', () => {
  it('a response-content-type no answer can carry is refused with 400 InvalidArgument, not left hanging', async () => {
    const res = await send(srv.port, {
      method: 'GET',
      path: `/${bucket}/a`,
      query: 'response-content-type=%00',
    });
    expect([res.status, errorCode(res.body)]).toEqual([400, 'InvalidArgument']);
  });
});

describe('CompleteMultipartUpload part order', () => {
  let uploadId: string;
  const etags: string[] = [];

  beforeAll(async () => {
    uploadId = (await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp-order' })))
      .UploadId!;
    for (const [n, body] of [
      [1, Buffer.alloc(5 << 20, 1)],
      [2, Buffer.from('second')],
    ] as const) {
      const out = await srv.s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: 'mp-order',
          UploadId: uploadId,
          PartNumber: n,
          Body: body,
        }),
      );
      etags[n] = out.ETag!;
    }
  });

  async function complete(parts: Array<[number, string]>): Promise<string> {
    try {
      await srv.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'mp-order',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map(([PartNumber, ETag]) => ({ PartNumber, ETag })) },
        }),
      );
      return 'completed';
    } catch (err) {
      return (err as Error).name;
    }
  }

  it('a part number listed twice is InvalidPart, not InvalidPartOrder, as MinIO does', async () => {
    expect(
      await complete([
        [1, etags[1]!],
        [1, '"0123456789abcdef0123456789abcdef"'],
      ]),
    ).toBe('InvalidPart');
    expect(
      await complete([
        [1, etags[1]!],
        [1, etags[1]!],
        [2, etags[2]!],
      ]),
    ).toBe('InvalidPart');
  });

  it('a decreasing part number is InvalidPartOrder', async () => {
    expect(
      await complete([
        [2, etags[2]!],
        [1, etags[1]!],
      ]),
    ).toBe('InvalidPartOrder');
  });

  it('ascending part numbers complete the upload', async () => {
    expect(
      await complete([
        [1, etags[1]!],
        [2, etags[2]!],
      ]),
    ).toBe('completed');
  });
});
