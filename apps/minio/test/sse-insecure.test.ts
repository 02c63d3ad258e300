// SSE-C over plain HTTP is refused in MinIO's request-validity middleware (sseTLSHandler), before
// authentication and on every route: 400 InvalidRequest "...must be made over a secure connection.",
// HEAD with the status only. The documented opt-out (MINIO_API_SSEC_ALLOW_INSECURE) lets the request
// through to authentication as usual.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { sdkClient, startServer, type TestServer } from './helpers.js';

const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32) } as const;
const MESSAGE =
  'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.';

let plain: TestServer;
let opted: TestServer;

beforeAll(async () => {
  const kms = new StaticKeyKms('minio-static', randomBytes(32));
  plain = await startServer({ kms });
  opted = await startServer({ kms, allowInsecureSseC: true });
  for (const s of [plain, opted]) await s.s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
});

afterAll(async () => {
  await plain?.close();
  await opted?.close();
});

/** A raw unsigned request (no Authorization at all). */
function raw(port: number, method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SSE-C over plain HTTP', () => {
  it('is refused before the signature is checked (wrong secret → still 400 InvalidRequest)', async () => {
    const wrong = sdkClient(plain.endpoint, 'not-the-secret');
    try {
      await expect(
        wrong.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x', ...ssec })),
      ).rejects.toMatchObject({
        name: 'InvalidRequest',
        message: MESSAGE,
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        wrong.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'k', ...ssec })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 400 },
      });
      // Without SSE-C headers the same client meets the signature check.
      await expect(
        wrong.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x' })),
      ).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      wrong.destroy();
    }
  });

  it.each([
    [
      'an unsigned object GET with only the key-MD5 header',
      'GET',
      '/bkt/k',
      { 'x-amz-server-side-encryption-customer-key-md5': 'x' },
    ],
    [
      'an unsigned bucket listing with a copy-source algorithm header',
      'GET',
      '/b',
      { 'x-amz-copy-source-server-side-encryption-customer-algorithm': 'AES256' },
    ],
    [
      'an unsigned service request',
      'GET',
      '/',
      { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' },
    ],
  ])('is refused for %s', async (_name, method, path, headers) => {
    const res = await raw(plain.port, method, path, headers);
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>InvalidRequest</Code>');
    expect(res.body).toContain(MESSAGE);
  });

  it('HEAD answers with the status only', async () => {
    const res = await raw(plain.port, 'HEAD', '/bkt/k', {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    });
    expect(res).toEqual({ status: 400, body: '' });
  });

  it('with the opt-out the request reaches authentication and the handlers', async () => {
    const wrong = sdkClient(opted.endpoint, 'not-the-secret');
    try {
      await expect(
        wrong.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x', ...ssec })),
      ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    } finally {
      wrong.destroy();
    }
    await opted.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x', ...ssec }));
    const got = await opted.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', ...ssec }));
    expect(await got.Body!.transformToString()).toBe('x');
    const list = await opted.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(list.KeyCount).toBe(1);
  });
});
