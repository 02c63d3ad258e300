// SSE-S3, SSE-KMS and auto-encryption through a real `kes server` process over mTLS (fs keystore),
// driven with @aws-sdk/client-s3 and the npm minio client.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_KEY,
  collect,
  md5,
  SECRET_KEY,
  startServer,
  objectDir as storeDir,
  type TestServer,
} from './helpers.js';
import { type CountingKms, type KesChain, startKesChain, stopKesChain } from './sse-helpers.js';

let kms: CountingKms;
let server: TestServer;

let chain: KesChain | undefined;

beforeAll(async () => {
  chain = await startKesChain();
  kms = chain.kms;
  server = await startServer({ kms });
  await server.s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: 'enc' }));
}, 120_000);

afterAll(async () => {
  await server?.close();
  await stopKesChain(chain);
});

/** Files of an object in the test server's store. */
function objectDir(bucket: string, key: string): string {
  return storeDir(server.dir, bucket, key);
}

async function storedBytes(bucket: string, key: string): Promise<Buffer> {
  const dir = objectDir(bucket, key);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  const parts: Buffer[] = [];
  for (const p of meta.parts) {
    parts.push(p.inline !== undefined ? Buffer.from(p.inline, 'base64') : await readFile(join(dir, p.file)));
  }
  return Buffer.concat(parts);
}

describe('SSE-S3 through KES', () => {
  it.each([0, 1, 100, 16 * 1024, 65536, 65537, 300_000])('round-trips %i bytes', async (size) => {
    const body = randomBytes(size);
    kms.reset();
    const put = await server.s3.send(
      new PutObjectCommand({ Bucket: 'enc', Key: `s3/${size}`, Body: body, ServerSideEncryption: 'AES256' }),
    );
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(kms.counts).toEqual({ generate: 1, decrypt: 0 });
    kms.reset();
    const got = await server.s3.send(new GetObjectCommand({ Bucket: 'enc', Key: `s3/${size}` }));
    expect(got.ServerSideEncryption).toBe('AES256');
    expect(got.ContentLength).toBe(size);
    expect(got.ETag).toBe(`"${md5(body)}"`);
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(body)).toBe(true);
    expect(kms.counts).toEqual({ generate: 0, decrypt: 1 });
    const head = await server.s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: `s3/${size}` }));
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(head.ContentLength).toBe(size);
  });

  it('stores no run of the plaintext and the MinIO metadata fields', async () => {
    const pattern = Buffer.alloc(200_000, 'kms-chain-plaintext-pattern;');
    await server.s3.send(
      new PutObjectCommand({ Bucket: 'enc', Key: 'pattern', Body: pattern, ServerSideEncryption: 'AES256' }),
    );
    const stored = await storedBytes('enc', 'pattern');
    expect(stored.length).toBe(200_000 + 4 * 32);
    expect(stored.includes(Buffer.from('plaintext-pattern'))).toBe(false);
    const meta = JSON.parse(await readFile(join(objectDir('enc', 'pattern'), 'meta.json'), 'utf8'));
    // The SDK sends a CRC32 with every PUT: it is stored sealed, never in the clear.
    expect(Object.keys(meta.internal).sort()).toEqual([
      'X-Minio-Internal-Encrypted-Checksum',
      'X-Minio-Internal-Server-Side-Encryption-Iv',
      'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Key-Id',
      'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key',
      'X-Minio-Internal-Server-Side-Encryption-S3-Sealed-Key',
      'X-Minio-Internal-Server-Side-Encryption-Seal-Algorithm',
    ]);
    expect(meta.internal['X-Minio-Internal-Server-Side-Encryption-S3-Kms-Key-Id']).toBe('minio-default-key');
    expect(meta.etag).toMatch(/^20000f00[0-9a-f]{88}$/);
    expect(meta.checksum).toBeUndefined();
    expect(meta.parts[0].checksum).toBeUndefined();
    // Nothing of it anywhere else in the data directory either (staging is empty).
    expect(await readdir(join(server.dir, '.minio.sys', 'tmp'))).toEqual([]);
  });

  it('binds objects to their name: a moved object does not decrypt', async () => {
    const body = randomBytes(5000);
    await server.s3.send(
      new PutObjectCommand({ Bucket: 'enc', Key: 'original', Body: body, ServerSideEncryption: 'AES256' }),
    );
    const from = objectDir('enc', 'original');
    const to = objectDir('enc', 'renamed');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(to, '..'), { recursive: true }));
    await rename(from, to);
    const metaFile = join(to, 'meta.json');
    const meta = JSON.parse(await readFile(metaFile, 'utf8'));
    meta.key = 'renamed';
    await writeFile(metaFile, JSON.stringify(meta));
    await expect(
      server.s3.send(new GetObjectCommand({ Bucket: 'enc', Key: 'renamed' })),
    ).rejects.toMatchObject({
      name: 'kms:InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('lists decrypted ETags of SSE-S3 objects', async () => {
    const bodies = Array.from({ length: 5 }, () => randomBytes(1000));
    await Promise.all(
      bodies.map((b, i) =>
        server.s3.send(
          new PutObjectCommand({ Bucket: 'enc', Key: `list/${i}`, Body: b, ServerSideEncryption: 'AES256' }),
        ),
      ),
    );
    const list = await server.s3.send(new ListObjectsV2Command({ Bucket: 'enc', Prefix: 'list/' }));
    expect(list.Contents?.map((c) => c.ETag)).toEqual(bodies.map((b) => `"${md5(b)}"`));
    expect(list.Contents?.map((c) => c.Size)).toEqual(bodies.map(() => 1000));
  });

  it('ranged GETs read across package boundaries', async () => {
    const body = randomBytes(3 * 65536 + 123);
    await server.s3.send(
      new PutObjectCommand({ Bucket: 'enc', Key: 'ranges', Body: body, ServerSideEncryption: 'AES256' }),
    );
    const last = body.length - 1;
    for (const [a, b] of [
      [0, 0],
      [65535, 65535],
      [65536, 65536],
      [65537, 65537],
      [65535, 65537],
      [70000, 140000],
      [last, last],
      [0, last],
      [65536, last],
    ] as Array<[number, number]>) {
      const got = await server.s3.send(
        new GetObjectCommand({ Bucket: 'enc', Key: 'ranges', Range: `bytes=${a}-${b}` }),
      );
      expect(got.ContentRange).toBe(`bytes ${a}-${b}/${body.length}`);
      const data = await collect(got.Body as AsyncIterable<Uint8Array>);
      expect(data.equals(body.subarray(a, b + 1))).toBe(true);
    }
  });
});

describe('SSE-KMS through KES', () => {
  it('accepts key ids with and without the ARN prefix and a context', async () => {
    await kms.createKey('minio-other').catch(() => {});
    const context = Buffer.from(JSON.stringify({ project: 'x<y>&z' })).toString('base64');
    const etags: Array<string | undefined> = [];
    for (const id of ['minio-other', 'arn:aws:kms:minio-other']) {
      const body = randomBytes(70_000);
      kms.reset();
      const put = await server.s3.send(
        new PutObjectCommand({
          Bucket: 'enc',
          Key: `kms/${id}`,
          Body: body,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: id,
          SSEKMSEncryptionContext: context,
        }),
      );
      expect(kms.counts).toEqual({ generate: 1, decrypt: 0 });
      expect(put.ServerSideEncryption).toBe('aws:kms');
      expect(put.SSEKMSKeyId).toBe('arn:aws:kms:minio-other');
      kms.reset();
      const head = await server.s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: `kms/${id}` }));
      expect(kms.counts).toEqual({ generate: 0, decrypt: 0 });
      expect(head.SSEKMSKeyId).toBe('arn:aws:kms:minio-other');
      expect(head.ETag).toBe(put.ETag);
      expect(put.SSEKMSEncryptionContext).toBe(
        Buffer.from('{"project":"x\\u003cy\\u003e\\u0026z"}').toString('base64'),
      );
      etags.push(put.ETag);
      const got = await server.s3.send(new GetObjectCommand({ Bucket: 'enc', Key: `kms/${id}` }));
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(body)).toBe(true);
      expect(kms.counts).toEqual({ generate: 0, decrypt: 1 });
    }
    // Listing SSE-KMS objects needs no KMS call: their ETags are the sealed value's last 32 hex digits.
    kms.reset();
    const list = await server.s3.send(new ListObjectsV2Command({ Bucket: 'enc', Prefix: 'kms/' }));
    expect(list.Contents?.map((c) => c.ETag).sort()).toEqual(etags.sort());
    expect(kms.counts).toEqual({ generate: 0, decrypt: 0 });
  });

  it('answers kms:KeyNotFound for an unknown key and InvalidArgument for a bad SSE value', async () => {
    await expect(
      server.s3.send(
        new PutObjectCommand({
          Bucket: 'enc',
          Key: 'nokey',
          Body: 'x',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: 'minio-missing',
        }),
      ),
    ).rejects.toMatchObject({ name: 'kms:KeyNotFound', $metadata: { httpStatusCode: 404 } });
    await expect(
      server.s3.send(
        new PutObjectCommand({
          Bucket: 'enc',
          Key: 'bad',
          Body: 'x',
          // biome-ignore lint/suspicious/noExplicitAny: an invalid value on purpose
          ServerSideEncryption: 'AWS:KMS' as any,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
  });

  it('copies between encryption types', async () => {
    const body = randomBytes(100_000);
    await server.s3.send(new PutObjectCommand({ Bucket: 'enc', Key: 'copy/plain', Body: body }));
    const toS3 = await server.s3.send(
      new CopyObjectCommand({
        Bucket: 'enc',
        Key: 'copy/s3',
        CopySource: 'enc/copy/plain',
        ServerSideEncryption: 'AES256',
      }),
    );
    expect(toS3.ServerSideEncryption).toBe('AES256');
    expect(toS3.CopyObjectResult?.ETag).toBe(`"${md5(body)}"`);
    const toKms = await server.s3.send(
      new CopyObjectCommand({
        Bucket: 'enc',
        Key: 'copy/kms',
        CopySource: 'enc/copy/s3',
        ServerSideEncryption: 'aws:kms',
      }),
    );
    expect(toKms.ServerSideEncryption).toBe('aws:kms');
    await server.s3.send(
      new CopyObjectCommand({ Bucket: 'enc', Key: 'copy/back', CopySource: 'enc/copy/kms' }),
    );
    for (const key of ['copy/s3', 'copy/kms', 'copy/back']) {
      const got = await server.s3.send(new GetObjectCommand({ Bucket: 'enc', Key: key }));
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(body)).toBe(true);
    }
    const back = await server.s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'copy/back' }));
    expect(back.ServerSideEncryption).toBeUndefined();
  });

  it('works with the npm minio client (SSE-S3 and SSE-KMS)', async () => {
    const url = new URL(server.endpoint);
    const mc = new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
    });
    const body = randomBytes(200_000);
    await mc.putObject('enc', 'mc/s3', body, body.length, { 'X-Amz-Server-Side-Encryption': 'AES256' });
    const stat = await mc.statObject('enc', 'mc/s3');
    expect(stat.etag).toBe(md5(body));
    expect(stat.metaData['x-amz-server-side-encryption']).toBe('AES256');
    const chunks: Buffer[] = [];
    for await (const c of await mc.getPartialObject('enc', 'mc/s3', 65535, 3)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(body.subarray(65535, 65538))).toBe(true);
  });
});
