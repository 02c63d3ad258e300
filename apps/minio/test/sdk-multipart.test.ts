// Multipart uploads through @aws-sdk/client-s3: a 64 MiB upload, part copy, listing, the ordering and
// size rules of CompleteMultipartUpload, and abort.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, stagingFiles, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
const bucket = 'multi';
const MiB = 1024 * 1024;

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await srv.close();
});

async function create(Key: string): Promise<string> {
  const out = await srv.s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key, ContentType: 'app/x' }),
  );
  return out.UploadId!;
}

async function part(Key: string, UploadId: string, PartNumber: number, Body: Buffer): Promise<string> {
  const out = await srv.s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body }));
  return out.ETag!;
}

function md5OfMd5s(parts: Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex')}-${parts.length}"`;
}

describe('multipart upload', () => {
  it('uploads 64 MiB in 8 parts, out of order, and reads it back whole and by range', async () => {
    const key = 'big/object.bin';
    const parts = Array.from({ length: 8 }, () => randomBytes(8 * MiB));
    const id = await create(key);
    const etags: string[] = [];
    for (const n of [3, 1, 2, 8, 4, 5, 7, 6]) etags[n - 1] = await part(key, id, n, parts[n - 1]!);
    const done = await srv.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: id,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.ETag).toBe(md5OfMd5s(parts));
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(64 * MiB);
    expect(head.ContentType).toBe('app/x');
    const whole = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const data = await collect(whole.Body as AsyncIterable<Uint8Array>);
    expect(data.equals(Buffer.concat(parts))).toBe(true);
    // A range across the boundary of parts 2 and 3.
    const start = 16 * MiB - 5;
    const ranged = await srv.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${start + 9}` }),
    );
    const slice = await collect(ranged.Body as AsyncIterable<Uint8Array>);
    expect(slice.equals(data.subarray(start, start + 10))).toBe(true);
    const uploads = await srv.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(await stagingFiles(srv.dir)).toEqual([]);
    expect(await readdir(join(srv.dir, '.minio.sys', 'multipart', bucket))).toEqual([]);
  });

  it('lists parts with paging and uploads in progress; replaces a re-uploaded part', async () => {
    const id = await create('listed');
    for (const n of [1, 2, 3]) await part('listed', id, n, Buffer.from(`part ${n}`));
    const again = await part('listed', id, 2, Buffer.from('part two, again'));
    const page1 = await srv.s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'listed', UploadId: id, MaxParts: 2 }),
    );
    expect(page1.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(page1.Parts?.[1]?.ETag).toBe(again);
    expect(page1.Parts?.[1]?.Size).toBe(15);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await srv.s3.send(
      new ListPartsCommand({
        Bucket: bucket,
        Key: 'listed',
        UploadId: id,
        PartNumberMarker: page1.NextPartNumberMarker,
      }),
    );
    expect(page2.Parts?.map((p) => p.PartNumber)).toEqual([3]);
    const uploads = await srv.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['listed', id]]);
    await srv.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'listed', UploadId: id }));
    await expect(
      srv.s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'listed', UploadId: id })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    await expect(
      srv.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'listed', UploadId: id })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('copies parts from an existing object by range', async () => {
    const src = randomBytes(6 * MiB);
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body: src }));
    const id = await create('assembled');
    const a = await srv.s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'assembled',
        UploadId: id,
        PartNumber: 1,
        CopySource: `${bucket}/copy-src`,
        CopySourceRange: `bytes=0-${5 * MiB}`,
      }),
    );
    const b = await srv.s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'assembled',
        UploadId: id,
        PartNumber: 2,
        CopySource: `${bucket}/copy-src`,
      }),
    );
    await srv.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'assembled',
        UploadId: id,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: a.CopyPartResult!.ETag },
            { PartNumber: 2, ETag: b.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'assembled' }));
    const data = await collect(got.Body as AsyncIterable<Uint8Array>);
    expect(data.equals(Buffer.concat([src.subarray(0, 5 * MiB + 1), src]))).toBe(true);
    await expect(
      srv.s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: 'assembled',
          UploadId: await create('assembled'),
          PartNumber: 1,
          CopySource: `${bucket}/copy-src`,
          CopySourceRange: `bytes=0-${6 * MiB}`,
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });
  });

  it('enforces EntityTooSmall, InvalidPart and InvalidPartOrder', async () => {
    const id = await create('rules');
    const small1 = await part('rules', id, 1, Buffer.from('tiny'));
    const small2 = await part('rules', id, 2, Buffer.from('tiny too'));
    const complete = (Parts: Array<{ PartNumber: number; ETag: string }>) =>
      srv.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'rules',
          UploadId: id,
          MultipartUpload: { Parts },
        }),
      );
    await expect(
      complete([
        { PartNumber: 1, ETag: small1 },
        { PartNumber: 2, ETag: small2 },
      ]),
    ).rejects.toMatchObject({ name: 'EntityTooSmall', $metadata: { httpStatusCode: 400 } });
    await expect(
      complete([
        { PartNumber: 2, ETag: small2 },
        { PartNumber: 1, ETag: small1 },
      ]),
    ).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(complete([{ PartNumber: 1, ETag: small2 }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(complete([{ PartNumber: 9, ETag: small1 }])).rejects.toMatchObject({ name: 'InvalidPart' });
    // A single small part is a valid (last) part.
    const done = await complete([{ PartNumber: 2, ETag: small2 }]);
    expect(done.ETag).toBe(md5OfMd5s([Buffer.from('tiny too')]));
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'rules' }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('tiny too');
  });

  it('rejects part numbers out of range and unknown upload ids', async () => {
    const id = await create('bad');
    await expect(part('bad', id, 10001, Buffer.from('x'))).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(part('bad', 'not-an-upload-id-at-all', 1, Buffer.from('x'))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
    await expect(part('bad', '../../../etc', 1, Buffer.from('x'))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
    await expect(part('other-key', id, 1, Buffer.from('x'))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });
});
