// Virtual-host-style addressing with the AWS SDK: requests go to <bucket>.localhost and are signed with
// that Host, as clients do when path style is off.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'node:http';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, collect, SECRET_KEY, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
let vhost: S3Client;
const hostnames = new Set<string>();

// Every *.localhost name resolves to the loopback server.
function lookup(
  _host: string,
  options: LookupOptions,
  callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

beforeAll(async () => {
  srv = await startServer({ domains: ['localhost'] });
  vhost = new S3Client({
    endpoint: `http://localhost:${srv.port}`,
    region: 'us-east-1',
    forcePathStyle: false,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestHandler: { httpAgent: new Agent({ lookup } as ConstructorParameters<typeof Agent>[0]) },
  });
  vhost.middlewareStack.add(
    (next) => async (args) => {
      hostnames.add((args.request as { hostname: string }).hostname);
      return next(args);
    },
    { step: 'finalizeRequest' },
  );
});
afterAll(async () => {
  vhost.destroy();
  await srv.close();
});

describe('virtual-host style', () => {
  it('creates, writes, lists and reads through <bucket>.localhost', async () => {
    await vhost.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
    await vhost.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'a/b c.txt', Body: 'virtual' }));
    const listed = await vhost.send(new ListObjectsV2Command({ Bucket: 'vhost-bucket' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['a/b c.txt']);
    const got = await vhost.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'a/b c.txt' }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('virtual');
    expect([...hostnames]).toEqual(['vhost-bucket.localhost']);
    // The same object through path style.
    const viaPath = await srv.s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'a/b c.txt' }));
    expect((await collect(viaPath.Body as AsyncIterable<Uint8Array>)).toString()).toBe('virtual');
  });
});
