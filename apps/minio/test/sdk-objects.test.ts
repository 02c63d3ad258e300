// CopyObject, conditional reads, ranges and presigned URLs through @aws-sdk/client-s3 and fetch.
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
const bucket = 'objs';
const body = Buffer.from('0123456789abcdefghij');
let etag = '';
let modified: Date;

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const put = await srv.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'src',
      Body: body,
      ContentType: 'text/x-src',
      Metadata: { a: '1' },
    }),
  );
  etag = put.ETag!;
  modified = (await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }))).LastModified!;
});
afterAll(async () => {
  await srv.close();
});

async function text(key: string): Promise<string> {
  const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await collect(out.Body as AsyncIterable<Uint8Array>)).toString();
}

describe('CopyObject', () => {
  it('copies data and metadata (COPY directive)', async () => {
    const out = await srv.s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/src` }),
    );
    expect(out.CopyObjectResult?.ETag).toBe(etag);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy' }));
    expect(head.ContentType).toBe('text/x-src');
    expect(head.Metadata).toEqual({ a: '1' });
    expect(await text('copy')).toBe(body.toString());
  });

  it('replaces metadata with REPLACE, also onto itself', async () => {
    await srv.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        CopySource: `${bucket}/copy`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/new',
        Metadata: { b: '2' },
      }),
    );
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy' }));
    expect(head.ContentType).toBe('text/new');
    expect(head.Metadata).toEqual({ b: '2' });
    expect(await text('copy')).toBe(body.toString());
  });

  it('refuses a copy onto itself without changes', async () => {
    await expect(
      srv.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src` })),
    ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
  });

  it('copies keys that need URL encoding', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sp ace/ü+?#', Body: 'odd' }));
    await srv.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'odd copy',
        CopySource: encodeURIComponent(`${bucket}/sp ace/ü+?#`),
      }),
    );
    expect(await text('odd copy')).toBe('odd');
  });

  it.each([
    [{ CopySourceIfMatch: '"0000"' }],
    [{ CopySourceIfNoneMatch: 'ETAG' }],
    [{ CopySourceIfUnmodifiedSince: new Date(Date.now() - 3_600_000) }],
    [{ CopySourceIfModifiedSince: new Date(Date.now() + 3_600_000) }],
  ])('fails a copy whose condition does not hold: %o', async (cond) => {
    const c = { ...cond } as Record<string, unknown>;
    if (c.CopySourceIfNoneMatch === 'ETAG') c.CopySourceIfNoneMatch = etag;
    await expect(
      srv.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'cond', CopySource: `${bucket}/src`, ...c })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });

  it('copies when the conditions hold', async () => {
    await srv.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'cond',
        CopySource: `${bucket}/src`,
        CopySourceIfMatch: etag,
        CopySourceIfModifiedSince: new Date(modified.getTime() - 60_000),
      }),
    );
    expect(await text('cond')).toBe(body.toString());
  });

  it('answers NoSuchKey for a missing source', async () => {
    await expect(
      srv.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/nope` })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});

describe('conditional GET and HEAD', () => {
  it.each([
    ['If-Match other', { IfMatch: '"ffff"' }, 412],
    ['If-None-Match same', { IfNoneMatch: 'ETAG' }, 304],
    ['If-Modified-Since later', { IfModifiedSince: new Date(Date.now() + 3_600_000) }, 304],
    ['If-Unmodified-Since earlier', { IfUnmodifiedSince: new Date(Date.now() - 3_600_000) }, 412],
  ])('%s', async (_name, cond, status) => {
    const c = { ...cond } as Record<string, unknown>;
    if (c.IfNoneMatch === 'ETAG') c.IfNoneMatch = etag;
    await expect(
      srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'src', ...c })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: status },
    });
    await expect(
      srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src', ...c })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: status },
    });
  });

  it('serves when If-Match holds even if If-Unmodified-Since does not', async () => {
    const out = await srv.s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'src',
        IfMatch: etag,
        IfUnmodifiedSince: new Date(Date.now() - 3_600_000),
      }),
    );
    expect(out.ETag).toBe(etag);
    await collect(out.Body as AsyncIterable<Uint8Array>);
  });
});

describe('response overrides', () => {
  it('applies response-* query parameters to the response headers', async () => {
    const out = await srv.s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'src',
        ResponseContentType: 'application/x-override',
        ResponseContentDisposition: 'attachment; filename="x.bin"',
        ResponseCacheControl: 'max-age=5',
      }),
    );
    expect(out.ContentType).toBe('application/x-override');
    expect(out.ContentDisposition).toBe('attachment; filename="x.bin"');
    expect(out.CacheControl).toBe('max-age=5');
    await collect(out.Body as AsyncIterable<Uint8Array>);
  });
});

describe('Range', () => {
  it.each([
    ['bytes=0-4', '01234', 'bytes 0-4/20'],
    ['bytes=5-', '56789abcdefghij', 'bytes 5-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
    ['bytes=15-100', 'fghij', 'bytes 15-19/20'],
    ['bytes=-100', body.toString(), 'bytes 0-19/20'],
  ])('%s', async (Range, expected, contentRange) => {
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'src', Range }));
    expect(out.$metadata.httpStatusCode).toBe(206);
    expect(out.ContentRange).toBe(contentRange);
    expect((await collect(out.Body as AsyncIterable<Uint8Array>)).toString()).toBe(expected);
  });

  it.each(['bytes=20-', 'bytes=25-30', 'bytes=-0'])('%s is unsatisfiable (416)', async (Range) => {
    await expect(
      srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'src', Range })),
    ).rejects.toMatchObject({
      name: 'InvalidRange',
      $metadata: { httpStatusCode: 416 },
    });
  });

  it.each(['bytes=5-2', 'bytes=0-1,3-4', 'items=0-1'])('%s is ignored (whole object)', async (Range) => {
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'src', Range }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect((await collect(out.Body as AsyncIterable<Uint8Array>)).toString()).toBe(body.toString());
  });
});

describe('presigned URLs', () => {
  it('GETs and PUTs through presigned URLs', async () => {
    const getUrl = await getSignedUrl(srv.s3, new GetObjectCommand({ Bucket: bucket, Key: 'src' }), {
      expiresIn: 60,
    });
    const res = await fetch(getUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body.toString());
    const putUrl = await getSignedUrl(
      srv.s3,
      new PutObjectCommand({ Bucket: bucket, Key: 'presigned put' }),
      {
        expiresIn: 60,
      },
    );
    const put = await fetch(putUrl, { method: 'PUT', body: 'via url' });
    expect(put.status).toBe(200);
    expect(await text('presigned put')).toBe('via url');
  });

  it('refuses an expired URL with AccessDenied', async () => {
    const url = await getSignedUrl(srv.s3, new GetObjectCommand({ Bucket: bucket, Key: 'src' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 10_000),
    });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toContain('Request has expired');
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
  });

  it('refuses a URL whose signature was altered', async () => {
    const url = await getSignedUrl(srv.s3, new GetObjectCommand({ Bucket: bucket, Key: 'src' }), {
      expiresIn: 60,
    });
    const res = await fetch(
      url.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=0').replace('src?', 'src?x=1&'),
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
