// Bad input gets the S3 error and status, the server keeps serving, and nothing stray is left on disk.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, sdkClient, stagingFiles, startServer, type TestServer } from './helpers.js';
import { errorCode, send, sha256, signedChunkedPut, signHeaders } from './raw-http.js';

const zlibCrc32 = (zlib as unknown as { crc32: (data: Buffer) => number }).crc32;

let srv: TestServer;
let parent: string;
const bucket = 'bad';

beforeAll(async () => {
  // The data directory sits alone in its own parent, so anything written beside it is an escape.
  parent = await mkdtemp(join(tmpdir(), 'minio-escape-'));
  srv = await startServer({ dataDir: join(parent, 'data') });
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await srv.close();
  await rm(parent, { recursive: true, force: true });
});

async function expectStillServing(): Promise<void> {
  const out = await srv.s3.send(new ListBucketsCommand({}));
  expect(out.Buckets?.map((b) => b.Name)).toContain(bucket);
  await vi.waitFor(async () => expect(await stagingFiles(srv.dir)).toEqual([]), { timeout: 10_000 });
}

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlibCrc32(data));
  return out.toString('base64');
}

async function readObject(key: string): Promise<Buffer> {
  const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return collect(out.Body as AsyncIterable<Uint8Array>);
}

async function objectExists(key: string): Promise<boolean> {
  try {
    const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await collect(out.Body as AsyncIterable<Uint8Array>);
    return true;
  } catch {
    return false;
  }
}

describe('authentication', () => {
  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const wrong = sdkClient(srv.endpoint, 'not-the-secret');
    await expect(
      wrong.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })),
    ).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    wrong.destroy();
    expect(await objectExists('k')).toBe(false);
    await expectStillServing();
  });

  it('rejects anonymous requests with AccessDenied', async () => {
    const res = await send(srv.port, { method: 'GET', path: '/', unsigned: true });
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('AccessDenied');
    expect(res.body).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });

  it('rejects a skewed clock with RequestTimeTooSkewed', async () => {
    const res = await send(srv.port, { method: 'GET', path: '/', date: new Date(Date.now() - 20 * 60_000) });
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('RequestTimeTooSkewed');
  });

  it('rejects a body that does not match the signed SHA-256', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/sha`,
      payloadHash: sha256('something else'),
      body: 'actual body',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('XAmzContentSHA256Mismatch');
    expect(await objectExists('sha')).toBe(false);
    await expectStillServing();
  });

  it.each([1000, 64 * 1024])(
    'accepts a chunk-signed upload with %i-byte chunks, with and without a signed trailer',
    async (size) => {
      const data = Buffer.alloc(150_000, 'q');
      const plain = await signedChunkedPut(srv.port, `/${bucket}/signed-chunks`, data, size);
      expect(plain.status).toBe(200);
      const trailer = { name: 'x-amz-checksum-crc32', value: crc32Base64(data) };
      const withTrailer = await signedChunkedPut(srv.port, `/${bucket}/signed-trailer`, data, size, {
        trailer,
      });
      expect(withTrailer.status).toBe(200);
      expect(withTrailer.headers['x-amz-checksum-crc32']).toBe(trailer.value);
      expect((await readObject('signed-trailer')).equals(data)).toBe(true);
    },
  );

  it.each(['chunk', 'trailer'] as const)('rejects a tampered %s signature', async (tamper) => {
    const data = Buffer.alloc(5000, 'r');
    const trailer = { name: 'x-amz-checksum-crc32', value: crc32Base64(data) };
    const res = await signedChunkedPut(srv.port, `/${bucket}/tampered`, data, 1024, { trailer, tamper });
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('SignatureDoesNotMatch');
    expect(await objectExists('tampered')).toBe(false);
    await expectStillServing();
  });

  it('rejects bad chunk signatures', async () => {
    const body = `5;chunk-signature=${'0'.repeat(64)}\r\nhello\r\n0;chunk-signature=${'0'.repeat(64)}\r\n\r\n`;
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/chunked`,
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' },
      body,
    });
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('SignatureDoesNotMatch');
    expect(await objectExists('chunked')).toBe(false);
    await expectStillServing();
  });
});

describe('digests and lengths', () => {
  it('rejects a wrong Content-MD5 with BadDigest and stores nothing', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/md5`,
      headers: { 'content-md5': createHash('md5').update('other').digest('base64') },
      body: 'payload',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('BadDigest');
    expect(await objectExists('md5')).toBe(false);
    await expectStillServing();
  });

  it('rejects a malformed Content-MD5 with InvalidDigest', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/md5`,
      headers: { 'content-md5': 'bm90IGFuIG1kNQ==' },
      body: 'payload',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('InvalidDigest');
  });

  it('rejects a wrong x-amz-checksum-crc32 with BadDigest', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/crc`,
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
      body: 'payload',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('BadDigest');
    expect(await objectExists('crc')).toBe(false);
  });

  it('rejects an aws-chunked body shorter than its decoded length with IncompleteBody', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/short`,
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10' },
      body: '5\r\nhello\r\n0\r\n\r\n',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('IncompleteBody');
    expect(await objectExists('short')).toBe(false);
    await expectStillServing();
  });

  it('cleans up after a client that hangs up mid-body', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const headers = signHeaders(host, { method: 'PUT', path: `/${bucket}/truncated` });
    headers['content-length'] = String(1024 * 1024);
    const socket = connect(srv.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', r));
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`PUT /${bucket}/truncated HTTP/1.1\r\n${head}\r\n`);
    socket.write(Buffer.alloc(300 * 1024, 1));
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await expectStillServing();
    expect(await objectExists('truncated')).toBe(false);
  });

  it('requires a Content-Length', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const headers = signHeaders(host, { method: 'PUT', path: `/${bucket}/nolength` });
    const socket = connect(srv.port, '127.0.0.1');
    const reply = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('</Error>')) resolve(text);
      });
    });
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`PUT /${bucket}/nolength HTTP/1.1\r\n${head}\r\n`);
    const text = await reply;
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 411/);
    expect(errorCode(text)).toBe('MissingContentLength');
  });
});

describe('malformed XML', () => {
  it.each([
    ['DeleteObjects', 'POST', `/${bucket}`, 'delete', '<Delete><Object><Key>a</Key></Object>'],
    ['DeleteObjects without objects', 'POST', `/${bucket}`, 'delete', '<Delete></Delete>'],
    ['CreateBucket', 'PUT', '/newbucket', '', '<CreateBucketConfiguration><LocationConstraint>'],
    [
      'a DOCTYPE',
      'POST',
      `/${bucket}`,
      'delete',
      '<!DOCTYPE x [<!ENTITY a "b">]><Delete><Object><Key>&a;</Key></Object></Delete>',
    ],
    ['another root', 'POST', `/${bucket}`, 'delete', '<Remove><Object><Key>a</Key></Object></Remove>'],
  ])('%s', async (_name, method, path, query, body) => {
    const res = await send(srv.port, { method, path, query, body });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('MalformedXML');
  });

  it('CompleteMultipartUpload', async () => {
    const created = await send(srv.port, { method: 'POST', path: `/${bucket}/mp`, query: 'uploads' });
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)![1]!;
    const res = await send(srv.port, {
      method: 'POST',
      path: `/${bucket}/mp`,
      query: `uploadId=${id}`,
      body: '<<>>',
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('MalformedXML');
  });
});

describe('keys and names', () => {
  it.each([
    ['/bad/../escape', 'InvalidObjectName'],
    ['/bad/a/../../escape', 'InvalidObjectName'],
    ['/bad/..%2F..%2Fescape', 'InvalidObjectName'],
    ['/bad/%2Fabsolute', 'InvalidObjectName'],
    ['/bad/nul%00byte', 'InvalidObjectName'],
    ['/bad/.', 'InvalidObjectName'],
    ['/bad%2F..%2F..%2Fescape/key', 'InvalidBucketName'],
    ['/..%2Fescape/key', 'InvalidBucketName'],
    ['/bad/%E0%A4%A', 'InvalidArgument'],
  ])('PUT %s → %s', async (path, code) => {
    const res = await send(srv.port, { method: 'PUT', path, body: 'escape attempt' });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe(code);
  });

  it.each(['/../bad/key', '..%2Fbad/key', '/./x', 'a%00b/key'])(
    'refuses the copy source %s',
    async (source) => {
      const res = await send(srv.port, {
        method: 'PUT',
        path: `/${bucket}/copied`,
        headers: { 'x-amz-copy-source': source },
      });
      expect(res.status).toBe(400);
      expect(['InvalidBucketName', 'InvalidArgument', 'InvalidObjectName']).toContain(errorCode(res.body));
    },
  );

  it('rejects keys over 1024 bytes', async () => {
    const res = await send(srv.port, { method: 'PUT', path: `/${bucket}/${'k'.repeat(1025)}`, body: 'x' });
    expect(errorCode(res.body)).toBe('KeyTooLongError');
  });

  it('left nothing outside the data directory', async () => {
    expect(await readdir(parent)).toEqual(['data']);
    await expectStillServing();
  });

  it('stores keys that look like paths as opaque names', async () => {
    for (const Key of ['a//b', 'dir/', ' spaces ', 'back\\slash', '%2F', 'ünïcødé/😀']) {
      await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
      const out = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      expect((await collect(out.Body as AsyncIterable<Uint8Array>)).toString()).toBe(Key);
    }
  });
});

describe('protocol details', () => {
  it('answers health checks without credentials', async () => {
    for (const path of ['/minio/health/live', '/minio/health/ready']) {
      const res = await send(srv.port, { method: 'GET', path, unsigned: true });
      expect(res.status).toBe(200);
      expect(res.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    }
  });

  it('serves virtual-host-style requests', async () => {
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'vhost', Body: 'virtual' }));
    const res = await send(srv.port, {
      method: 'GET',
      path: '/vhost',
      hostHeader: `${bucket}.localhost:${srv.port}`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe('virtual');
  });

  it('does not answer 417 to an unusual Expect header', async () => {
    const res = await send(srv.port, {
      method: 'PUT',
      path: `/${bucket}/expect`,
      headers: { expect: 'something-else' },
      body: 'expected',
    });
    expect(res.status).toBe(200);
  });

  it('answers NotImplemented for unsupported sub-resources and 405 for odd methods', async () => {
    const res = await send(srv.port, { method: 'GET', path: `/${bucket}`, query: 'inventory' });
    expect(res.status).toBe(501);
    expect(errorCode(res.body)).toBe('NotImplemented');
    const patch = await send(srv.port, { method: 'PATCH', path: `/${bucket}/x`, body: '' });
    expect(patch.status).toBe(405);
    expect(patch.headers['x-amz-request-id']).toBeDefined();
  });
});
