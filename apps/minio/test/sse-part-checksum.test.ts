// Part checksums of encrypted multipart uploads are sealed under the object key like object checksums:
// the upload's folder on disk never holds them in the clear; ListParts opens them (SSE-S3/SSE-KMS with
// one KMS call, SSE-C only with the customer key) and CompleteMultipartUpload builds the composite
// checksum from them.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { openPartChecksum, sealPartChecksum } from '../src/sse/checksum-seal.js';
import { startServer, type TestServer } from './helpers.js';
import { CountingKms } from './sse-helpers.js';

let server: TestServer;
let kms: CountingKms;
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'c'.repeat(32) } as const;
const bucket = 'parts';

beforeAll(async () => {
  kms = new CountingKms(new StaticKeyKms('minio-static', randomBytes(32)));
  // SSE-C over plain HTTP through the documented opt-out: these tests are about what is stored.
  server = await startServer({ kms, allowInsecureSseC: true });
  await server.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await server?.close();
});

/** Every file under `dir`, recursively, with its bytes. */
async function filesUnder(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

function uploadDir(uploadId: string): string {
  return join(server.dir, '.minio.sys', 'multipart', bucket, uploadId);
}

async function startUpload(key: string, sse: object) {
  const data = randomBytes(70_000);
  const digest = createHash('sha256').update(data).digest();
  const up = await server.s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256', ...sse }),
  );
  const part = await server.s3.send(
    new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: up.UploadId,
      PartNumber: 1,
      Body: data,
      ChecksumAlgorithm: 'SHA256',
      ...sse,
    }),
  );
  expect(part.ChecksumSHA256).toBe(digest.toString('base64'));
  return { uploadId: up.UploadId!, etag: part.ETag!, digest };
}

describe('part checksums of encrypted uploads', () => {
  it('seal round-trip bound to the part number', () => {
    const oek = randomBytes(32);
    const sealed = sealPartChecksum(oek, 3, { algorithm: 'SHA256', value: 'abc=' });
    expect(openPartChecksum(oek, 3, sealed)).toEqual({ algorithm: 'SHA256', value: 'abc=' });
    for (const open of [
      () => openPartChecksum(oek, 4, sealed),
      () => openPartChecksum(randomBytes(32), 3, sealed),
    ])
      expect(open).toThrow(expect.objectContaining({ code: 'XMinioObjectTampered' }));
  });

  it.each([
    ['SSE-S3', { ServerSideEncryption: 'AES256' as const }],
    ['SSE-KMS', { ServerSideEncryption: 'aws:kms' as const }],
    ['SSE-C', ssec],
  ])('%s: the upload folder holds no checksum in the clear', async (name, sse) => {
    const { uploadId, digest } = await startUpload(`disk-${name}`, sse);
    const files = await filesUnder(uploadDir(uploadId));
    const record = files.find((f) => f.path.endsWith('part.1.json'))!;
    const parsed = JSON.parse(record.bytes.toString('utf8'));
    expect(parsed.checksum).toBeUndefined();
    expect(parsed.sealedChecksum).toMatch(/^[A-Za-z0-9+/]+=*$/);
    for (const f of files) {
      const text = f.bytes.toString('latin1');
      expect(text).not.toContain(digest.toString('base64'));
      expect(text).not.toContain(digest.toString('hex'));
      expect(f.bytes.includes(digest)).toBe(false);
    }
  });

  it('a plaintext upload keeps its part checksum in the clear (nothing to hide it from)', async () => {
    const { uploadId, digest } = await startUpload('disk-plain', {});
    const record = await readFile(join(uploadDir(uploadId), 'part.1.json'), 'utf8');
    expect(JSON.parse(record).checksum.value).toBe(digest.toString('base64'));
  });

  it.each([
    ['SSE-S3', { ServerSideEncryption: 'AES256' as const }],
    ['SSE-KMS', { ServerSideEncryption: 'aws:kms' as const }],
  ])(
    '%s: ListParts shows the checksum (one KMS call) and Complete builds the composite',
    async (name, sse) => {
      const key = `list-${name}`;
      const { uploadId, etag, digest } = await startUpload(key, sse);
      kms.reset();
      const listed = await server.s3.send(
        new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      );
      expect(listed.Parts?.[0]?.ChecksumSHA256).toBe(digest.toString('base64'));
      expect(kms.counts.decrypt).toBe(1);
      const done = await server.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [{ PartNumber: 1, ETag: etag, ChecksumSHA256: digest.toString('base64') }],
          },
        }),
      );
      expect(done.ChecksumSHA256).toBe(`${createHash('sha256').update(digest).digest('base64')}-1`);
    },
  );

  it('SSE-C: ListParts shows the checksum only with the customer key; a wrong key is refused', async () => {
    const key = 'list-SSE-C';
    const { uploadId, etag, digest } = await startUpload(key, ssec);
    const list = (extra: object) =>
      server.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, ...extra }));
    const without = await list({});
    expect(without.Parts?.[0]?.ETag).toBe(etag);
    expect(without.Parts?.[0]?.ChecksumSHA256).toBeUndefined();
    expect((await list(ssec)).Parts?.[0]?.ChecksumSHA256).toBe(digest.toString('base64'));
    await expect(
      list({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'd'.repeat(32) }),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const done = await server.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] },
        ...ssec,
      }),
    );
    expect(done.ChecksumSHA256).toBe(`${createHash('sha256').update(digest).digest('base64')}-1`);
  });

  it('a sealed checksum moved to another part number is refused, not shown', async () => {
    const key = 'moved';
    const sse = { ServerSideEncryption: 'AES256' as const };
    const { uploadId } = await startUpload(key, sse);
    await server.s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: 2,
        Body: randomBytes(10),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const dir = uploadDir(uploadId);
    const one = JSON.parse(await readFile(join(dir, 'part.1.json'), 'utf8'));
    const two = JSON.parse(await readFile(join(dir, 'part.2.json'), 'utf8'));
    await writeFile(join(dir, 'part.2.json'), JSON.stringify({ ...two, sealedChecksum: one.sealedChecksum }));
    await expect(
      server.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    ).rejects.toMatchObject({ name: 'XMinioObjectTampered' });
  });
});
