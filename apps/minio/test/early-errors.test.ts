// A large upload refused before its body is read gets its S3 error over TLS, never a reset.
// A client that sends `Expect: 100-continue` and waits is answered before it sends the body: the server
// writes `100 Continue` only when a handler first reads the body, as MinIO (Go's net/http) does. Before
// that, Node answered 100 by itself and the client sent its 64 MiB into a connection the server was
// closing. A client that does not wait (the AWS SDK v3 with a caller's agent) gets the answer, then a
// half-closed connection that lingers before it closes, so it reads the answer before any reset.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { signChunkedUpload } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertsDir } from '../src/config/certs.js';
import { type DataKey, type Kms, KmsError, type KmsStatus } from '../src/kms/kms.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { ACCESS_KEY, devCertsDir, SECRET_KEY, startServer, type TestServer } from './helpers.js';
import { errorCode, signHeaders } from './raw-http.js';

const BODY = randomBytes(64 << 20);
const bucket = 'early';

/** A static-key KMS whose Decrypt can be made to fail, as a KES that went away would. */
class FlakyKms implements Kms {
  failDecrypt = false;
  readonly inner = new StaticKeyKms('early-key', randomBytes(32));
  get defaultKeyId(): string {
    return this.inner.defaultKeyId;
  }
  generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    return this.inner.generateKey(keyId, context);
  }
  decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    if (this.failDecrypt) return Promise.reject(new KmsError('unavailable', 'no KMS endpoint answered'));
    return this.inner.decrypt(keyId, ciphertext, context);
  }
  status(): Promise<KmsStatus> {
    return this.inner.status();
  }
  createKey(keyId: string): Promise<void> {
    return this.inner.createKey(keyId);
  }
  describeKey(keyId: string): Promise<void> {
    return this.inner.describeKey(keyId);
  }
  listKeys(prefix: string): Promise<string[]> {
    return this.inner.listKeys(prefix);
  }
  close(): void {
    this.inner.close();
  }
}

let work: string;
let srv: TestServer;
let ca: string;
const kms = new FlakyKms();
const sockets = new Set<Socket>();
/** Bytes the server has read on all its connections so far (TLS records included). */
const bytesIn = () => [...sockets].reduce((n, s) => n + s.bytesRead, 0);

// The SDK waits for 100 Continue only with an agent of its own making, which cannot trust a test CA;
// with the caller's agent it sends the body at once.
function client(secret = SECRET_KEY): S3Client {
  return new S3Client({
    endpoint: srv.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: secret },
    maxAttempts: 1,
    requestHandler: { httpsAgent: new Agent({ ca }) },
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'minio-early-'));
  const { certs, ca: caPem } = await devCertsDir(work);
  ca = caPem;
  srv = await startServer({ tls: loadCertsDir(certs), kms });
  srv.app.server.on('connection', (socket: Socket) => sockets.add(socket));
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
});
afterAll(async () => {
  await srv?.close();
  await rm(work, { recursive: true, force: true });
});

interface Waited {
  status: number;
  code: string | undefined;
  /** Whether the server asked for the body with 100 Continue. */
  continued: boolean;
  /** Bytes the server read while the request ran. */
  serverRead: number;
}

/**
 * A signed PUT with `Expect: 100-continue` over TLS that sends its body only once the server asks for
 * it with 100 Continue, as boto3 and the aws CLI do.
 */
async function putWaiting(
  path: string,
  query: string,
  headers: Record<string, string>,
  secret?: string,
): Promise<Waited> {
  const before = bytesIn();
  const host = `127.0.0.1:${srv.port}`;
  const signed = signHeaders(host, {
    method: 'PUT',
    path,
    query,
    headers: { ...headers, 'content-length': String(BODY.length) },
    ...(secret ? { secret } : {}),
  });
  const out = await new Promise<Omit<Waited, 'serverRead'>>((resolve, reject) => {
    let continued = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: srv.port,
        method: 'PUT',
        path: query ? `${path}?${query}` : path,
        headers: { ...signed, expect: '100-continue' },
        ca,
        servername: 'localhost',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: errorCode(Buffer.concat(chunks).toString()),
            continued,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('continue', () => {
      continued = true;
      req.end(BODY);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  return { ...out, serverRead: bytesIn() - before };
}

function sseCHeaders(key: Buffer): Record<string, string> {
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': key.toString('base64'),
    'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(key).digest('base64'),
  };
}

describe('over TLS, a client that waits for 100 Continue never sends the body of a refused 64 MiB upload', () => {
  const ssecKey = randomBytes(32);
  let ssecUpload: string;
  let kmsUpload: string;

  beforeAll(async () => {
    const s3 = client();
    ssecUpload = (
      await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'ssec', ...sseC(ssecKey) }))
    ).UploadId!;
    kmsUpload = (
      await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'kms', ServerSideEncryption: 'aws:kms' }),
      )
    ).UploadId!;
    s3.destroy();
  });

  const refused = (status: number, code: string) => ({
    status,
    code,
    continued: false,
    serverRead: expect.toSatisfy((n: number) => n < 1 << 20),
  });

  it.each([
    ['a missing bucket', 404, 'NoSuchBucket', '/no-such-bucket/big', {}],
    [
      'a storage class S3 does not offer',
      400,
      'InvalidStorageClass',
      `/${bucket}/big`,
      { 'x-amz-storage-class': 'GLACIER' },
    ],
    ['an SSE-C key of 16 bytes', 403, 'AccessDenied', `/${bucket}/big`, sseCHeaders(randomBytes(16))],
    [
      'an SSE-KMS key the KMS does not have',
      404,
      'kms:KeyNotFound',
      `/${bucket}/big`,
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'no-such-key',
      },
    ],
  ] as const)('PutObject with %s: %i %s', async (_why, status, code, path, headers) => {
    expect(await putWaiting(path, '', headers)).toEqual(refused(status, code));
  });

  it('PutObject with a bad signature: 403 SignatureDoesNotMatch', async () => {
    expect(await putWaiting(`/${bucket}/big`, '', {}, 'not-the-secret')).toEqual(
      refused(403, 'SignatureDoesNotMatch'),
    );
  });

  it('UploadPart with an unknown upload id: 404 NoSuchUpload', async () => {
    expect(await putWaiting(`/${bucket}/big`, 'partNumber=1&uploadId=nope', {})).toEqual(
      refused(404, 'NoSuchUpload'),
    );
  });

  it('UploadPart with part number 10001: 400 InvalidArgument', async () => {
    const query = `partNumber=10001&uploadId=${ssecUpload}`;
    expect(await putWaiting(`/${bucket}/ssec`, query, sseCHeaders(ssecKey))).toEqual(
      refused(400, 'InvalidArgument'),
    );
  });

  it('UploadPart with another SSE-C key than its upload: 403 AccessDenied', async () => {
    const query = `partNumber=1&uploadId=${ssecUpload}`;
    expect(await putWaiting(`/${bucket}/ssec`, query, sseCHeaders(randomBytes(32)))).toEqual(
      refused(403, 'AccessDenied'),
    );
  });

  it('UploadPart with a bad signature: 403 SignatureDoesNotMatch', async () => {
    const query = `partNumber=1&uploadId=${kmsUpload}`;
    expect(await putWaiting(`/${bucket}/kms`, query, {}, 'not-the-secret')).toEqual(
      refused(403, 'SignatureDoesNotMatch'),
    );
  });

  it('UploadPart when the KMS cannot decrypt the upload key: 500 kms:DecryptionFailed', async () => {
    kms.failDecrypt = true;
    try {
      const query = `partNumber=1&uploadId=${kmsUpload}`;
      expect(await putWaiting(`/${bucket}/kms`, query, {})).toEqual(refused(500, 'kms:DecryptionFailed'));
    } finally {
      kms.failDecrypt = false;
    }
  });

  it('an accepted PutObject gets its 100 Continue when the handler reads the body', async () => {
    const got = await putWaiting(`/${bucket}/accepted`, '', {});
    expect(got).toEqual({ status: 200, code: undefined, continued: true, serverRead: expect.any(Number) });
    expect(got.serverRead).toBeGreaterThan(BODY.length);
  });
});

/** The S3 error code and status a call fails with; a transport error (reset) is reported as such. */
async function failure(call: (s3: S3Client) => Promise<unknown>, s3 = client()): Promise<[string, number]> {
  try {
    await call(s3);
    return ['no error', 200];
  } catch (err) {
    const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return status === undefined ? [`transport: ${e.code ?? e.name}`, 0] : [e.name ?? '?', status];
  } finally {
    s3.destroy();
  }
}

const sseC = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key as unknown as string });

describe('over TLS, the AWS SDK v3 sending a 64 MiB body at once reads the refusal, never a reset', () => {
  it.each([
    ['a missing bucket', 'NoSuchBucket', 404, { Bucket: 'no-such-bucket' }],
    ['a storage class S3 does not offer', 'InvalidStorageClass', 400, { StorageClass: 'GLACIER' }],
    ['an SSE-C key of 16 bytes', 'AccessDenied', 403, sseC(randomBytes(16))],
    [
      'an SSE-KMS key the KMS does not have',
      'kms:KeyNotFound',
      404,
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' },
    ],
  ] as const)('PutObject with %s: %s (%i)', async (_why, code, status, input) => {
    const got = await failure((s3) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: BODY, ...input } as never)),
    );
    expect(got).toEqual([code, status]);
  });

  it('PutObject with a bad signature: SignatureDoesNotMatch (403)', async () => {
    const got = await failure(
      (s3) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: BODY })),
      client('not-the-secret'),
    );
    expect(got).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('UploadPart with an unknown upload id: NoSuchUpload (404)', async () => {
    const part = new UploadPartCommand({
      Bucket: bucket,
      Key: 'big',
      UploadId: 'nope',
      PartNumber: 1,
      Body: BODY,
    });
    expect(await failure((s3) => s3.send(part))).toEqual(['NoSuchUpload', 404]);
  });
});

describe('over TLS, a kept-alive connection whose refused request left part of its body unread', () => {
  /** Sends on `agent` (one socket, kept alive) and collects the status within 5 s. */
  function onAgent(
    agent: Agent,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ) {
    return new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: srv.port, method, path, headers, agent, servername: 'localhost' },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  it('answers the next request on it: the small rest is drained, not left paused', async () => {
    const agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      agent.on('free', (socket) => sockets.add(socket));
      const host = `127.0.0.1:${srv.port}`;
      // The handler reads the first chunk, finds its signature wrong and answers 403 with 130 KB unread.
      const upload = signChunkedUpload(
        host,
        { accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
        { path: `/${bucket}/tampered`, data: randomBytes(200_000), chunkSize: 64 * 1024, tamperChunk: 0 },
      );
      expect(await onAgent(agent, 'PUT', `/${bucket}/tampered`, upload.headers, upload.body)).toBe(403);
      const list = signHeaders(host, { method: 'GET', path: `/${bucket}` });
      expect(await onAgent(agent, 'GET', `/${bucket}`, list)).toBe(200);
      // Both went over the one connection the server kept.
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
