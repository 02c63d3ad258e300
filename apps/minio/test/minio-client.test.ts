// The npm `minio` client (MinIO's own JavaScript SDK) against the server. It signs payload SHA-256s
// rather than streaming checksums and splits large streams into multipart uploads by itself, so it
// exercises other paths than the AWS SDK.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, collect, SECRET_KEY, stagingFiles, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
let client: Minio.Client;

/** A path-style client of the test server, with `options` on top. */
function minioClient(options: Partial<Minio.ClientOptions> = {}): Minio.Client {
  return new Minio.Client({
    endPoint: '127.0.0.1',
    port: srv.port,
    useSSL: false,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    pathStyle: true,
    ...options,
  });
}

beforeAll(async () => {
  srv = await startServer();
  client = minioClient();
});
afterAll(async () => {
  await srv.close();
});

describe('minio-js', () => {
  it('manages buckets', async () => {
    await client.makeBucket('mjs');
    expect(await client.bucketExists('mjs')).toBe(true);
    expect(await client.bucketExists('absent')).toBe(false);
    expect((await client.listBuckets()).map((b) => b.name)).toContain('mjs');
    await client.makeBucket('mjs-gone');
    await client.removeBucket('mjs-gone');
    expect(await client.bucketExists('mjs-gone')).toBe(false);
  });

  it('puts, stats, gets, ranges and removes an object', async () => {
    const info = await client.putObject('mjs', 'a/b.txt', Buffer.from('hello minio'), 11, {
      'Content-Type': 'text/plain',
      'X-Amz-Meta-Owner': 'tests',
    });
    expect(info.etag).toBe('1738ebfeeab21fef70b0622d63af59d3');
    const stat = await client.statObject('mjs', 'a/b.txt');
    expect(stat.size).toBe(11);
    expect(stat.metaData['content-type']).toBe('text/plain');
    expect(stat.metaData.owner).toBe('tests');
    expect((await collect(await client.getObject('mjs', 'a/b.txt'))).toString()).toBe('hello minio');
    expect((await collect(await client.getPartialObject('mjs', 'a/b.txt', 6, 5))).toString()).toBe('minio');
    await client.removeObject('mjs', 'a/b.txt');
    await expect(client.statObject('mjs', 'a/b.txt')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('uploads a 20 MiB stream as multipart and reads it back', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const small = minioClient({ partSize: 5 * 1024 * 1024 });
    const info = await small.putObject('mjs', 'big', Readable.from([data]), data.length, {});
    expect(info.etag).toMatch(/-\d+$/);
    expect((await collect(await client.getObject('mjs', 'big'))).equals(data)).toBe(true);
    expect(await stagingFiles(srv.dir)).toEqual([]);
  });

  it('lists objects recursively and by prefix', async () => {
    for (const k of ['l/1', 'l/2', 'l/d/3']) await client.putObject('mjs', k, Buffer.from(k));
    const names = async (prefix: string, recursive: boolean) => {
      const out: string[] = [];
      for await (const item of client.listObjectsV2('mjs', prefix, recursive))
        out.push(item.name ?? item.prefix);
      return out;
    };
    expect(await names('l/', true)).toEqual(['l/1', 'l/2', 'l/d/3']);
    expect(await names('l/', false)).toEqual(['l/1', 'l/2', 'l/d/']);
  });

  it('copies, removes many, and presigns', async () => {
    await client.putObject('mjs', 'orig', Buffer.from('copy me'));
    const conds = new Minio.CopyConditions();
    await client.copyObject('mjs', 'dup', '/mjs/orig', conds);
    expect((await collect(await client.getObject('mjs', 'dup'))).toString()).toBe('copy me');
    await client.removeObjects('mjs', ['orig', 'dup']);
    await expect(client.statObject('mjs', 'dup')).rejects.toMatchObject({ code: 'NotFound' });
    const putUrl = await client.presignedPutObject('mjs', 'signed', 60);
    expect((await fetch(putUrl, { method: 'PUT', body: 'presigned' })).status).toBe(200);
    const getUrl = await client.presignedGetObject('mjs', 'signed', 60);
    expect(await (await fetch(getUrl)).text()).toBe('presigned');
  });

  it('tags objects and reports no bucket policy', async () => {
    // minio-js sends any metadata key it does not know as x-amz-meta-*, so tags go through ?tagging.
    await client.putObject('mjs', 'tagged', Buffer.from('t'));
    expect(await client.getObjectTagging('mjs', 'tagged')).toEqual([]);
    await client.setObjectTagging('mjs', 'tagged', { env: 'test' });
    expect(await client.getObjectTagging('mjs', 'tagged')).toEqual([{ Key: 'env', Value: 'test' }]);
    await client.removeObjectTagging('mjs', 'tagged', { versionId: '' });
    expect(await client.getObjectTagging('mjs', 'tagged')).toEqual([]);
    await expect(client.getBucketPolicy('mjs')).rejects.toMatchObject({ code: 'NoSuchBucketPolicy' });
  });

  it('lists and aborts incomplete uploads', async () => {
    const id = await client.initiateNewMultipartUpload('mjs', 'partial', {});
    const found: string[] = [];
    for await (const u of client.listIncompleteUploads('mjs', '', true)) found.push(u.uploadId);
    expect(found).toEqual([id]);
    await client.abortMultipartUpload('mjs', 'partial', id);
    const after: string[] = [];
    for await (const u of client.listIncompleteUploads('mjs', '', true)) after.push(u.uploadId);
    expect(after).toEqual([]);
  });
});
