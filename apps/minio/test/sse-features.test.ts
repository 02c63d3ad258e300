// Multipart encryption and ranges, SSE-C over TLS, bucket default encryption, auto-encryption, the
// static key (and its import into KES), KES outages and failover, and the admin KMS API — against
// real `kes server` processes over mTLS.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KesClient } from '../src/kms/kes-client.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { ACCESS_KEY, collect, md5, objectDir, SECRET_KEY, startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';
import {
  CountingKms,
  type KesChain,
  type KesProcess,
  kesKms,
  type SsePki,
  startKes,
  startKesChain,
  stopKesChain,
} from './sse-helpers.js';

let pki: SsePki;
let kes: KesProcess;
let kms: CountingKms;

let chain: KesChain | undefined;

beforeAll(async () => {
  chain = await startKesChain();
  ({ pki, kes, kms } = chain);
}, 120_000);

afterAll(() => stopKesChain(chain));

const IV = 'X-Minio-Internal-Server-Side-Encryption-Iv';
const SEALED = 'X-Minio-Internal-Server-Side-Encryption-Sealed-Key';

/** The meta.json of an object. */
async function storedMeta(
  server: TestServer,
  bucket: string,
  key: string,
): Promise<{ parts: unknown[]; internal: Record<string, string> }> {
  return JSON.parse(await readFile(join(objectDir(server.dir, bucket, key), 'meta.json'), 'utf8'));
}

async function body(out: { Body?: unknown }): Promise<Buffer> {
  return collect(out.Body as AsyncIterable<Uint8Array>);
}

describe('multipart uploads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ kms });
    await server.s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
  });
  afterAll(() => server.close());

  it.each([
    ['AES256', undefined],
    ['aws:kms', 'minio-default-key'],
  ] as const)(
    '%s: per-part keys, plaintext sizes, ranges at package and part boundaries',
    async (sse, keyId) => {
      const part1 = randomBytes(5 * 1024 * 1024);
      const part2 = randomBytes(200_000);
      const source = randomBytes(70_000);
      await server.s3.send(new PutObjectCommand({ Bucket: 'mpu', Key: `src-${sse}`, Body: source }));
      const key = `big-${sse}`;
      kms.reset();
      const up = await server.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: 'mpu',
          Key: key,
          ServerSideEncryption: sse,
          ...(keyId ? { SSEKMSKeyId: keyId } : {}),
        }),
      );
      expect(up.ServerSideEncryption).toBe(sse);
      expect(kms.counts).toEqual({ generate: 1, decrypt: 0 });
      kms.reset();
      const p1 = await server.s3.send(
        new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: up.UploadId, PartNumber: 1, Body: part1 }),
      );
      expect(kms.counts).toEqual({ generate: 0, decrypt: 1 });
      const p2 = await server.s3.send(
        new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: up.UploadId, PartNumber: 2, Body: part2 }),
      );
      const p3 = await server.s3.send(
        new UploadPartCopyCommand({
          Bucket: 'mpu',
          Key: key,
          UploadId: up.UploadId,
          PartNumber: 3,
          CopySource: `mpu/src-${sse}`,
        }),
      );
      if (sse === 'AES256') {
        expect(p1.ETag).toBe(`"${md5(part1)}"`);
        expect(p3.CopyPartResult?.ETag).toBe(`"${md5(source)}"`);
      } else {
        expect(p1.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      }
      const listed = await server.s3.send(
        new ListPartsCommand({ Bucket: 'mpu', Key: key, UploadId: up.UploadId }),
      );
      expect(listed.Parts?.map((p) => p.ETag)).toEqual([p1.ETag, p2.ETag, p3.CopyPartResult?.ETag]);
      expect(listed.Parts?.map((p) => p.Size)).toEqual([part1.length, part2.length, source.length]);
      // Complete with parts 1 and 2; part 3 (the copy) is left out and dropped.
      const done = await server.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: key,
          UploadId: up.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.ETag },
            ],
          },
        }),
      );
      expect(done.ServerSideEncryption).toBe(sse);
      const whole = Buffer.concat([part1, part2]);
      const head = await server.s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: key }));
      expect(head.ContentLength).toBe(whole.length);
      expect(head.ServerSideEncryption).toBe(sse);
      expect(head.ETag).toMatch(/-2"$/);
      const p1Len = part1.length;
      const last = whole.length - 1;
      for (const [a, b] of [
        [0, 0],
        [65535, 65535],
        [65536, 65536],
        [65537, 65537],
        [p1Len - 1, p1Len],
        [p1Len - 65537, p1Len + 65537],
        [last, last],
        [0, last],
      ] as Array<[number, number]>) {
        kms.reset();
        const got = await server.s3.send(
          new GetObjectCommand({ Bucket: 'mpu', Key: key, Range: `bytes=${a}-${b}` }),
        );
        expect((await body(got)).equals(whole.subarray(a, b + 1))).toBe(true);
        expect(kms.counts.decrypt).toBe(1);
      }
    },
  );
});

describe('SSE-C', () => {
  let server: TestServer;
  let s3: S3Client;
  const key1 = 'a'.repeat(32);
  const key2 = 'b'.repeat(32);
  beforeAll(async () => {
    server = await startServer({
      kms,
      tls: { key: await readFile(pki.serverKey), cert: await readFile(pki.serverCert) },
    });
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestHandler: { httpsAgent: new Agent({ ca: pki.caPem }) },
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'ssec' }));
  });
  afterAll(async () => {
    s3.destroy();
    await server.close();
  });

  it('encrypts with the customer key, refuses missing and wrong keys, rotates by copy', async () => {
    const data = randomBytes(150_000);
    kms.reset();
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'ssec',
        Key: 'c',
        Body: data,
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: key1,
      }),
    );
    expect(put.SSECustomerAlgorithm).toBe('AES256');
    expect(put.SSECustomerKeyMD5).toBe(createHash('md5').update(key1).digest('base64'));
    expect(kms.counts).toEqual({ generate: 0, decrypt: 0 });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'ssec', Key: 'c' }))).rejects.toMatchObject({
      name: 'InvalidRequest',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      s3.send(
        new GetObjectCommand({
          Bucket: 'ssec',
          Key: 'c',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: key2,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: 'ssec',
        Key: 'c',
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: key1,
        Range: 'bytes=65535-65537',
      }),
    );
    expect((await body(got)).equals(data.subarray(65535, 65538))).toBe(true);
    // Rotation: same object, old key as copy source, new key as destination; metadata only.
    const before = await storedMeta(server, 'ssec', 'c');
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'ssec',
        Key: 'c',
        CopySource: 'ssec/c',
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: key1,
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: key2,
      }),
    );
    await expect(
      s3.send(
        new HeadObjectCommand({
          Bucket: 'ssec',
          Key: 'c',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: key1,
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const rotated = await s3.send(
      new GetObjectCommand({
        Bucket: 'ssec',
        Key: 'c',
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: key2,
      }),
    );
    expect((await body(rotated)).equals(data)).toBe(true);
    const after = await storedMeta(server, 'ssec', 'c');
    expect(after.parts).toEqual(before.parts);
    expect(after.internal[IV]).toBe(before.internal[IV]);
    expect(after.internal[SEALED]).not.toBe(before.internal[SEALED]);
    const rotate = (oldKey: string, newKey: string) =>
      s3.send(
        new CopyObjectCommand({
          Bucket: 'ssec',
          Key: 'c',
          CopySource: 'ssec/c',
          CopySourceSSECustomerAlgorithm: 'AES256',
          CopySourceSSECustomerKey: oldKey,
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: newKey,
        }),
      );
    await expect(rotate(key1, key1)).rejects.toMatchObject({
      name: 'InvalidArgument',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(rotate(key1, key2)).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    // SSE-C → SSE-S3 copy, and SSE-C headers on a plaintext object.
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'ssec',
        Key: 'c-s3',
        CopySource: 'ssec/c',
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: key2,
        ServerSideEncryption: 'AES256',
      }),
    );
    const s3copy = await s3.send(new GetObjectCommand({ Bucket: 'ssec', Key: 'c-s3' }));
    expect(s3copy.ServerSideEncryption).toBe('AES256');
    expect((await body(s3copy)).equals(data)).toBe(true);
    await s3.send(new PutObjectCommand({ Bucket: 'ssec', Key: 'plain', Body: 'x' }));
    await expect(
      s3.send(
        new GetObjectCommand({
          Bucket: 'ssec',
          Key: 'plain',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: key1,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
  });

  it('requires the SSE-C headers on every part of an SSE-C upload', async () => {
    const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key1 };
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'ssec', Key: 'mp', ...ssec }));
    await expect(
      s3.send(
        new UploadPartCommand({ Bucket: 'ssec', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequest' });
    const data = randomBytes(100_000);
    const p = await s3.send(
      new UploadPartCommand({
        Bucket: 'ssec',
        Key: 'mp',
        UploadId: up.UploadId,
        PartNumber: 1,
        Body: data,
        ...ssec,
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'ssec',
        Key: 'mp',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'ssec', Key: 'mp', ...ssec }));
    expect((await body(got)).equals(data)).toBe(true);
  });

  it('refuses SSE-C over plain HTTP unless the opt-out is set', async () => {
    const plain = await startServer({ kms });
    const opted = await startServer({ kms, allowInsecureSseC: true });
    try {
      for (const srv of [plain, opted]) await srv.s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
      const put = (srv: TestServer) =>
        srv.s3.send(
          new PutObjectCommand({
            Bucket: 'bkt',
            Key: 'k',
            Body: 'secret',
            SSECustomerAlgorithm: 'AES256',
            SSECustomerKey: key1,
          }),
        );
      await expect(put(plain)).rejects.toMatchObject({
        name: 'InvalidRequest',
        $metadata: { httpStatusCode: 400 },
      });
      await put(opted);
      const got = await opted.s3.send(
        new GetObjectCommand({
          Bucket: 'bkt',
          Key: 'k',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: key1,
        }),
      );
      expect((await body(got)).toString()).toBe('secret');
    } finally {
      await plain.close();
      await opted.close();
    }
  });
});

describe('bucket default encryption and auto-encryption', () => {
  it('applies headers > bucket default > env, and serves the configuration XML', async () => {
    const server = await startServer({ kms, autoEncryption: true });
    try {
      const s3 = server.s3;
      await s3.send(new CreateBucketCommand({ Bucket: 'def' }));
      await expect(s3.send(new GetBucketEncryptionCommand({ Bucket: 'def' }))).rejects.toMatchObject({
        name: 'ServerSideEncryptionConfigurationNotFoundError',
        $metadata: { httpStatusCode: 404 },
      });
      // Auto-encryption: SSE-KMS with the default key.
      const auto = await s3.send(new PutObjectCommand({ Bucket: 'def', Key: 'auto', Body: 'a' }));
      expect(auto.ServerSideEncryption).toBe('aws:kms');
      expect(auto.SSEKMSKeyId).toBe('arn:aws:kms:minio-default-key');
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: 'def',
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
        }),
      );
      const cfg = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'def' }));
      expect(cfg.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
        SSEAlgorithm: 'AES256',
      });
      const byDefault = await s3.send(new PutObjectCommand({ Bucket: 'def', Key: 'd', Body: 'd' }));
      expect(byDefault.ServerSideEncryption).toBe('AES256');
      const byHeader = await s3.send(
        new PutObjectCommand({ Bucket: 'def', Key: 'h', Body: 'h', ServerSideEncryption: 'aws:kms' }),
      );
      expect(byHeader.ServerSideEncryption).toBe('aws:kms');
      await expect(
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket: 'def',
            ServerSideEncryptionConfiguration: {
              Rules: [
                {
                  ApplyServerSideEncryptionByDefault: {
                    SSEAlgorithm: 'aws:kms',
                    KMSMasterKeyID: 'minio-nope',
                  },
                },
              ],
            },
          }),
        ),
      ).rejects.toMatchObject({ name: 'kms:KeyNotFound' });
      await s3.send(new DeleteBucketEncryptionCommand({ Bucket: 'def' }));
      const after = await s3.send(new PutObjectCommand({ Bucket: 'def', Key: 'e', Body: 'e' }));
      expect(after.ServerSideEncryption).toBe('aws:kms');
    } finally {
      await server.close();
    }
  });

  it('answers 501 NotImplemented for SSE-S3 without a KMS, and keeps plaintext working', async () => {
    const server = await startServer({});
    try {
      await server.s3.send(new CreateBucketCommand({ Bucket: 'nokms' }));
      await expect(
        server.s3.send(
          new PutObjectCommand({ Bucket: 'nokms', Key: 'k', Body: 'x', ServerSideEncryption: 'AES256' }),
        ),
      ).rejects.toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
      await server.s3.send(new PutObjectCommand({ Bucket: 'nokms', Key: 'k', Body: 'x' }));
    } finally {
      await server.close();
    }
  });
});

describe('static key', () => {
  it('encrypts with the static key, and KES reads those objects after importing the same key', async () => {
    const master = randomBytes(32);
    const staticKms = new CountingKms(new StaticKeyKms('minio-static', master));
    const server = await startServer({ kms: staticKms });
    const data = randomBytes(100_000);
    try {
      await server.s3.send(new CreateBucketCommand({ Bucket: 'stk' }));
      await server.s3.send(
        new PutObjectCommand({ Bucket: 'stk', Key: 'o', Body: data, ServerSideEncryption: 'AES256' }),
      );
      const got = await server.s3.send(new GetObjectCommand({ Bucket: 'stk', Key: 'o' }));
      expect((await body(got)).equals(data)).toBe(true);
      await expect(
        server.s3.send(
          new PutObjectCommand({
            Bucket: 'stk',
            Key: 'p',
            Body: 'x',
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: 'other',
          }),
        ),
      ).rejects.toMatchObject({ name: 'kms:KeyNotFound' });
      // Same data directory, now served through KES with the imported key.
      await server.app.close();
      const kesClient = kms.inner as KesClient;
      await kesClient.request('POST', '/v1/key/import/minio-static', {
        key: master.toString('base64'),
        cipher: 'AES256',
      });
      const viaKes = await startServer({ kms, dataDir: server.dir });
      try {
        const again = await viaKes.s3.send(new GetObjectCommand({ Bucket: 'stk', Key: 'o' }));
        expect(again.ETag).toBe(`"${md5(data)}"`);
        expect((await body(again)).equals(data)).toBe(true);
      } finally {
        await viaKes.close();
      }
    } finally {
      server.s3.destroy();
      staticKms.close();
    }
  });
});

describe('KES outages', () => {
  it('fails encrypted requests with kms:* codes while plaintext works, then recovers', async () => {
    const own = await startKes(pki, join(pki.dir, 'keys-outage'));
    const ownKms = await kesKms(pki, [own.url]);
    const server = await startServer({ kms: ownKms });
    try {
      const s3 = server.s3;
      await s3.send(new CreateBucketCommand({ Bucket: 'out' }));
      const data = randomBytes(10_000);
      await s3.send(
        new PutObjectCommand({ Bucket: 'out', Key: 'enc', Body: data, ServerSideEncryption: 'AES256' }),
      );
      await own.stop();
      await expect(
        s3.send(
          new PutObjectCommand({ Bucket: 'out', Key: 'enc2', Body: 'x', ServerSideEncryption: 'AES256' }),
        ),
      ).rejects.toMatchObject({ name: 'kms:KeyGenerationFailed', $metadata: { httpStatusCode: 500 } });
      await expect(s3.send(new GetObjectCommand({ Bucket: 'out', Key: 'enc' }))).rejects.toMatchObject({
        name: 'kms:DecryptionFailed',
        $metadata: { httpStatusCode: 500 },
      });
      await s3.send(new PutObjectCommand({ Bucket: 'out', Key: 'plain', Body: 'plain' }));
      expect(
        (await body(await s3.send(new GetObjectCommand({ Bucket: 'out', Key: 'plain' })))).toString(),
      ).toBe('plain');
      const back = await startKes(pki, own.keystore, own.port);
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'out', Key: 'enc' }));
        expect((await body(got)).equals(data)).toBe(true);
        await s3.send(
          new PutObjectCommand({ Bucket: 'out', Key: 'enc2', Body: 'x', ServerSideEncryption: 'AES256' }),
        );
      } finally {
        await back.stop();
      }
    } finally {
      await server.close();
      ownKms.close();
      await own.stop();
    }
  });

  it('with two endpoints and one stopped, no request fails', async () => {
    const keys = join(pki.dir, 'keys-pair');
    const a = await startKes(pki, keys);
    const b = await startKes(pki, keys);
    const pair = await kesKms(pki, [a.url, b.url]);
    const server = await startServer({ kms: pair });
    try {
      await server.s3.send(new CreateBucketCommand({ Bucket: 'hav' }));
      await a.stop();
      for (let i = 0; i < 6; i++) {
        const data = randomBytes(1000 + i);
        await server.s3.send(
          new PutObjectCommand({ Bucket: 'hav', Key: `k${i}`, Body: data, ServerSideEncryption: 'AES256' }),
        );
        const got = await server.s3.send(new GetObjectCommand({ Bucket: 'hav', Key: `k${i}` }));
        expect((await body(got)).equals(data)).toBe(true);
      }
      const status = await pair.status();
      expect(status.endpoints).toEqual({ [a.url]: 'offline', [b.url]: 'online' });
    } finally {
      await server.close();
      pair.close();
      await a.stop();
      await b.stop();
    }
  });
});

describe('admin KMS API', () => {
  it('reports status, creates keys and tests them', async () => {
    const server = await startServer({ kms });
    try {
      const status = await send(server.port, { method: 'POST', path: '/minio/admin/v3/kms/status' });
      expect(status.status).toBe(200);
      expect(JSON.parse(status.body)).toEqual({
        name: 'MinIO KES',
        'default-key-id': 'minio-default-key',
        endpoints: { [kes.url]: 'online' },
      });
      const created = await send(server.port, {
        method: 'POST',
        path: '/minio/admin/v3/kms/key/create',
        query: 'key-id=minio-admin-made',
      });
      expect(created.status).toBe(200);
      const again = await send(server.port, {
        method: 'POST',
        path: '/minio/admin/v3/kms/key/create',
        query: 'key-id=minio-admin-made',
      });
      expect(again.status).toBe(500);
      expect(JSON.parse(again.body).Code).toBe('InternalError');
      const ok = await send(server.port, {
        method: 'GET',
        path: '/minio/admin/v3/kms/key/status',
        query: 'key-id=minio-admin-made',
      });
      expect(JSON.parse(ok.body)).toEqual({ 'key-id': 'minio-admin-made' });
      const missing = await send(server.port, {
        method: 'GET',
        path: '/minio/admin/v3/kms/key/status',
        query: 'key-id=minio-absent',
      });
      expect(missing.status).toBe(200);
      expect(JSON.parse(missing.body)['encryption-error']).toBe('key does not exist');
      const v1 = await send(server.port, { method: 'GET', path: '/minio/kms/v1/status' });
      expect(JSON.parse(v1.body)).toEqual(JSON.parse(status.body));
      const v1Key = await send(server.port, { method: 'GET', path: '/minio/kms/v1/key/status' });
      expect(JSON.parse(v1Key.body)).toEqual({ 'key-id': 'minio-default-key' });
      const unsigned = await send(server.port, {
        method: 'POST',
        path: '/minio/admin/v3/kms/status',
        unsigned: true,
      });
      expect(unsigned.status).toBe(403);
    } finally {
      await server.close();
    }
    const none = await startServer({});
    try {
      const r = await send(none.port, { method: 'POST', path: '/minio/admin/v3/kms/status' });
      expect(r.status).toBe(501);
      expect(errorCode(r.body) ?? JSON.parse(r.body).Code).toBe('NotImplemented');
    } finally {
      await none.close();
    }
  });
});
