// The admin KMS API answers errors in JSON, as MinIO's admin API does, through the server's one error
// handler: S3 errors, a KMS that fails in a way no handler expected, and a refused signature alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kms } from '../src/kms/kms.js';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

// A KMS whose status call breaks with an error that is no KMS error kind (a bug, say).
const brokenKms = {
  defaultKeyId: 'k',
  status: async () => {
    throw new Error('secret detail of the failure');
  },
} as unknown as Kms;

describe('admin KMS API errors', () => {
  let withKms: TestServer;
  let withoutKms: TestServer;
  beforeAll(async () => {
    withKms = await startServer({ kms: brokenKms });
    withoutKms = await startServer({});
  });
  afterAll(async () => {
    await withKms?.close();
    await withoutKms?.close();
  });

  function json(r: { headers: Record<string, unknown>; body: string }): Record<string, string> {
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    return JSON.parse(r.body) as Record<string, string>;
  }

  it('a refused signature is JSON AccessDenied naming the path and the request id', async () => {
    const r = await send(withKms.port, {
      method: 'POST',
      path: '/minio/admin/v3/kms/status',
      unsigned: true,
    });
    expect(r.status).toBe(403);
    expect(json(r)).toEqual({
      Code: 'AccessDenied',
      Message: expect.any(String),
      Resource: '/minio/admin/v3/kms/status',
      RequestId: r.headers['x-amz-request-id'],
      HostId: '',
    });
  });

  it('without a KMS every route is JSON NotImplemented', async () => {
    for (const [method, path] of [
      ['POST', '/minio/admin/v3/kms/status'],
      ['GET', '/minio/kms/v1/key/status'],
      ['POST', '/minio/kms/v1/key/create'],
    ] as const) {
      const r = await send(withoutKms.port, { method, path, query: 'key-id=x' });
      expect(r.status).toBe(501);
      expect(json(r).Code).toBe('NotImplemented');
    }
  });

  it('an unexpected failure is JSON InternalError without its detail', async () => {
    const r = await send(withKms.port, { method: 'GET', path: '/minio/kms/v1/status' });
    expect(r.status).toBe(500);
    const body = json(r);
    expect(body.Code).toBe('InternalError');
    expect(r.body).not.toContain('secret detail');
  });

  it('S3 routes keep answering errors in XML', async () => {
    const r = await send(withKms.port, { method: 'GET', path: '/no-such-bucket' });
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/xml/);
    expect(errorCode(r.body)).toBe('NoSuchBucket');
  });
});
