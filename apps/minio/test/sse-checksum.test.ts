// Checksums (x-amz-checksum-*) of encrypted objects: stored sealed under HMAC(object key,
// "object-checksum") as MinIO does, shown on HEAD/GET with x-amz-checksum-mode: ENABLED, carried by
// copies, and read the old way (plain) for objects written before. CompleteMultipartUpload of an
// SSE-C upload needs the customer key only when the upload carries a checksum algorithm.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { openChecksum, SEALED_CHECKSUM, sealChecksum } from '../src/sse/checksum-seal.js';
import { ACCESS_KEY, collect, objectDir, SECRET_KEY, startServer, type TestServer } from './helpers.js';
import { CountingKms } from './sse-helpers.js';

let server: TestServer;
let kms: CountingKms;
const ssecKey = 'c'.repeat(32);
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: ssecKey } as const;

beforeAll(async () => {
  kms = new CountingKms(new StaticKeyKms('minio-static', randomBytes(32)));
  // SSE-C over plain HTTP through the documented opt-out: these tests are about checksums.
  server = await startServer({ kms, allowInsecureSseC: true });
  await server.s3.send(new CreateBucketCommand({ Bucket: 'sum' }));
});

afterAll(async () => {
  await server?.close();
});

/**
 * A second server on the same data directory, to see meta.json as edited on disk (the first one caches
 * metadata). Its `done()` leaves the directory to the first server.
 */
async function rereading<T>(use: (s3: S3Client) => Promise<T>): Promise<T> {
  const other = await startServer({ kms, allowInsecureSseC: true, dataDir: server.dir });
  // Current SDKs send x-amz-checksum-mode: ENABLED on every GetObject unless told otherwise.
  const s3 = new S3Client({ ...sdkConfig(other.endpoint), responseChecksumValidation: 'WHEN_REQUIRED' });
  try {
    return await use(s3);
  } finally {
    s3.destroy();
    other.s3.destroy();
    await other.app.close();
  }
}

function sdkConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
  };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

// biome-ignore lint/suspicious/noExplicitAny: meta.json as parsed, edited field by field
async function metaOf(key: string): Promise<{ path: string; meta: Record<string, any> }> {
  const path = join(objectDir(server.dir, 'sum', key), 'meta.json');
  return { path, meta: JSON.parse(await readFile(path, 'utf8')) };
}

describe('sealed checksums', () => {
  it('round-trip under the object key and fail under another', () => {
    const oek = randomBytes(32);
    const sealed = sealChecksum(oek, { algorithm: 'SHA256', value: 'abc=' });
    expect(openChecksum(oek, sealed)).toEqual({ algorithm: 'SHA256', value: 'abc=' });
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('abc=');
    expect(() => openChecksum(randomBytes(32), sealed)).toThrow(
      expect.objectContaining({ code: 'XMinioObjectTampered' }),
    );
  });

  it.each([
    ['SSE-S3', { ServerSideEncryption: 'AES256' as const }, {}],
    ['SSE-KMS', { ServerSideEncryption: 'aws:kms' as const }, {}],
    ['SSE-C', ssec, ssec],
  ])('%s: stored sealed, never in the clear; HEAD/GET with checksum mode show it', async (_n, put, read) => {
    const key = `obj-${_n}`;
    const data = randomBytes(70_000);
    const digest = sha256(data);
    const res = await server.s3.send(
      new PutObjectCommand({ Bucket: 'sum', Key: key, Body: data, ChecksumAlgorithm: 'SHA256', ...put }),
    );
    expect(res.ChecksumSHA256).toBe(digest);
    const { meta } = await metaOf(key);
    expect(meta.checksum).toBeUndefined();
    expect(meta.parts[0].checksum).toBeUndefined();
    expect(meta.internal[SEALED_CHECKSUM]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.stringify(meta)).not.toContain(digest);

    kms.reset();
    const head = await server.s3.send(
      new HeadObjectCommand({ Bucket: 'sum', Key: key, ChecksumMode: 'ENABLED', ...read }),
    );
    expect(head.ChecksumSHA256).toBe(digest);
    // The key that opens the checksum costs one KMS call for SSE-S3/SSE-KMS, none for SSE-C.
    expect(kms.counts.decrypt).toBe(_n === 'SSE-C' ? 0 : 1);

    const got = await server.s3.send(
      new GetObjectCommand({ Bucket: 'sum', Key: key, ChecksumMode: 'ENABLED', ...read }),
    );
    expect(got.ChecksumSHA256).toBe(digest);
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(data)).toBe(true);

    const plainHead = await server.s3.send(new HeadObjectCommand({ Bucket: 'sum', Key: key, ...read }));
    expect(plainHead.ChecksumSHA256).toBeUndefined();
    const ranged = await server.s3.send(
      new GetObjectCommand({ Bucket: 'sum', Key: key, Range: 'bytes=0-9', ChecksumMode: 'ENABLED', ...read }),
    );
    expect(ranged.ChecksumSHA256).toBeUndefined();
    await collect(ranged.Body as AsyncIterable<Uint8Array>);
  });

  it('an SSE-KMS HEAD without checksum mode needs no KMS call', async () => {
    await server.s3.send(
      new PutObjectCommand({ Bucket: 'sum', Key: 'kms-head', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );
    kms.reset();
    await server.s3.send(new HeadObjectCommand({ Bucket: 'sum', Key: 'kms-head' }));
    expect(kms.counts.decrypt).toBe(0);
  });

  it('objects stored with a plain checksum (before sealing) still show it', async () => {
    const data = Buffer.from('written by an older server');
    await server.s3.send(
      new PutObjectCommand({
        Bucket: 'sum',
        Key: 'old',
        Body: data,
        ChecksumAlgorithm: 'SHA256',
        ServerSideEncryption: 'AES256',
      }),
    );
    const { path, meta } = await metaOf('old');
    delete meta.internal[SEALED_CHECKSUM];
    meta.checksum = { algorithm: 'SHA256', value: sha256(data) };
    meta.parts[0].checksum = meta.checksum;
    await writeFile(path, JSON.stringify(meta));
    const head = await rereading((s3) =>
      s3.send(new HeadObjectCommand({ Bucket: 'sum', Key: 'old', ChecksumMode: 'ENABLED' })),
    );
    expect(head.ChecksumSHA256).toBe(sha256(data));
  });

  it('a sealed checksum moved from another object is refused, not shown', async () => {
    await server.s3.send(
      new PutObjectCommand({
        Bucket: 'sum',
        Key: 'a',
        Body: 'aaa',
        ChecksumAlgorithm: 'SHA256',
        ServerSideEncryption: 'AES256',
      }),
    );
    await server.s3.send(
      new PutObjectCommand({
        Bucket: 'sum',
        Key: 'b',
        Body: 'bbb',
        ChecksumAlgorithm: 'SHA256',
        ServerSideEncryption: 'AES256',
      }),
    );
    const a = await metaOf('a');
    const b = await metaOf('b');
    b.meta.internal[SEALED_CHECKSUM] = a.meta.internal[SEALED_CHECKSUM];
    await writeFile(b.path, JSON.stringify(b.meta));
    await rereading(async (s3) => {
      // XMinioObjectTampered is MinIO's 206 (sic), which the SDK takes for a success without a checksum.
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'sum', Key: 'b', ChecksumMode: 'ENABLED' }));
      expect(head.$metadata.httpStatusCode).toBe(206);
      expect(head.ChecksumSHA256).toBeUndefined();
      // Without checksum mode the sealed checksum is not opened; the object itself is intact.
      const got = await s3.send(new GetObjectCommand({ Bucket: 'sum', Key: 'b' }));
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('bbb');
    });
  });

  it('copies carry the checksum from an encrypted source to an encrypted destination, sealed again', async () => {
    const data = randomBytes(5000);
    await server.s3.send(
      new PutObjectCommand({ Bucket: 'sum', Key: 'src', Body: data, ChecksumAlgorithm: 'SHA256', ...ssec }),
    );
    await server.s3.send(
      new CopyObjectCommand({
        Bucket: 'sum',
        Key: 'dst',
        CopySource: 'sum/src',
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: ssecKey,
        ServerSideEncryption: 'AES256',
      }),
    );
    const { meta } = await metaOf('dst');
    expect(meta.checksum).toBeUndefined();
    const head = await server.s3.send(
      new HeadObjectCommand({ Bucket: 'sum', Key: 'dst', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumSHA256).toBe(sha256(data));
    await server.s3.send(new CopyObjectCommand({ Bucket: 'sum', Key: 'plain-dst', CopySource: 'sum/dst' }));
    const plain = await metaOf('plain-dst');
    expect(plain.meta.checksum).toEqual({ algorithm: 'SHA256', value: sha256(data) });
  });
});

describe('CompleteMultipartUpload of SSE-C uploads', () => {
  async function upload(key: string, checksum: boolean) {
    const part = randomBytes(1000);
    const up = await server.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'sum',
        Key: key,
        ...ssec,
        ...(checksum ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    );
    const p = await server.s3.send(
      new UploadPartCommand({
        Bucket: 'sum',
        Key: key,
        UploadId: up.UploadId,
        PartNumber: 1,
        Body: part,
        ...ssec,
        ...(checksum ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    );
    const parts = [
      { PartNumber: 1, ETag: p.ETag, ...(checksum ? { ChecksumSHA256: p.ChecksumSHA256 } : {}) },
    ];
    return { uploadId: up.UploadId!, parts, part };
  }

  it('without a checksum algorithm: completes without the SSE-C headers', async () => {
    const { uploadId, parts, part } = await upload('mp-plain', false);
    await server.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sum',
        Key: 'mp-plain',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const got = await server.s3.send(new GetObjectCommand({ Bucket: 'sum', Key: 'mp-plain', ...ssec }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(part)).toBe(true);
  });

  it('with a checksum algorithm: needs the key (400 without, 403 wrong), then seals the checksum', async () => {
    const { uploadId, parts } = await upload('mp-sum', true);
    const complete = (extra: object) =>
      server.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'sum',
          Key: 'mp-sum',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...extra,
        }),
      );
    await expect(complete({})).rejects.toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('must provide an appropriate secret key'),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      complete({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'd'.repeat(32) }),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const done = await complete(ssec);
    expect(done.ChecksumSHA256).toMatch(/-1$/);
    const { meta } = await metaOf('mp-sum');
    expect(meta.checksum).toBeUndefined();
    expect(meta.parts.every((p: { checksum?: unknown }) => p.checksum === undefined)).toBe(true);
    const head = await server.s3.send(
      new HeadObjectCommand({ Bucket: 'sum', Key: 'mp-sum', ChecksumMode: 'ENABLED', ...ssec }),
    );
    expect(head.ChecksumSHA256).toBe(done.ChecksumSHA256);
  });
});
