// Adversarial tests of the built `minio` bin over loopback HTTP, with a static KMS key (SSE-S3/SSE-KMS
// without KES) and SSE-C allowed over plain HTTP. Requests are signed here by a small independent SigV4
// signer, so that they can carry what SDKs never send: headers outside the signature, skewed clocks,
// tampered chunk signatures, traversal paths.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  presignPath,
  type RawResponse,
  rawRequest,
  sha256Hex,
  signChunkedUpload,
  signHeaders,
} from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, tempDir } from './chain-support.js';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const ACCESS = 'minio';
const SECRET = 'minio123';
const bucket = 'sec';
const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32) } as const;

let work: string;
let dataDir: string;
let server: MinioBin;
let s3: S3Client;
let host: string;
let port: number;

beforeAll(async () => {
  work = await tempDir('security-minio-');
  dataDir = join(work, 'data');
  server = await startMinioBin(dataDir, [], {
    MINIO_KMS_SECRET_KEY: `e2e-key:${randomBytes(32).toString('base64')}`,
    MINIO_API_SSEC_ALLOW_INSECURE: 'on',
  });
  const url = new URL(server.endpoint);
  host = url.host;
  port = Number(url.port);
  s3 = s3Client(server.endpoint, ACCESS, SECRET);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'secret', Body: 'top secret' }));
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

// ---- raw requests signed by the SigV4 test signer of @kms-chain/tools ------------------------------------

const creds = { accessKey: ACCESS, secretKey: SECRET };

const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer | string) =>
  rawRequest({ port, method, path, headers, ...(body === undefined ? {} : { body }) });

interface Signed {
  /** Path as on the wire (already encoded); the signer signs it as is. */
  path: string;
  query?: string;
  /** Headers inside the signature. */
  headers?: Record<string, string>;
  /** Headers sent outside the signature. */
  unsigned?: Record<string, string>;
  body?: Buffer | string;
  date?: Date;
  secret?: string;
}

/** A request signed in the Authorization header (payload hash signed as the body's SHA-256). */
function signed(method: string, o: Signed): Promise<RawResponse> {
  const headers = signHeaders(
    host,
    { ...creds, secretKey: o.secret ?? SECRET },
    {
      method,
      path: o.path,
      query: o.query ?? '',
      headers: o.headers ?? {},
      payloadHash: sha256Hex(o.body ?? ''),
      ...(o.date ? { date: o.date } : {}),
    },
  );
  const target = o.query ? `${o.path}?${o.query}` : o.path;
  return send(method, target, { ...headers, ...o.unsigned }, o.body);
}

/** A presigned URL path+query for `method` on `path`, signing only the host header. */
const presign = (method: string, path: string, expires: number, date = new Date()) =>
  presignPath(host, creds, { method, path, expires, date });

/** STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload; `tamper` flips one chunk signature, `trailer` appends one unsigned. */
function chunkedPut(
  path: string,
  data: Buffer,
  opts: { tamper?: number; trailer?: string; declared?: number } = {},
): Promise<RawResponse> {
  const upload = signChunkedUpload(host, creds, {
    path,
    data,
    chunkSize: 64 * 1024,
    ...(opts.tamper === undefined ? {} : { tamperChunk: opts.tamper }),
    ...(opts.trailer === undefined ? {} : { unsignedTrailer: opts.trailer }),
    ...(opts.declared === undefined ? {} : { declaredLength: opts.declared }),
  });
  return send('PUT', path, upload.headers, upload.body);
}

const code = (r: RawResponse) => /<Code>([^<]*)<\/Code>/.exec(r.body)?.[1];
const exists = async (key: string) => (await signed('HEAD', { path: `/${bucket}/${key}` })).status === 200;

// ---- unsigned x-amz-* headers -------------------------------------------------------------------------

describe('x-amz-* headers outside the signature', () => {
  it('a presigned PUT URL cannot be turned into a CopyObject by an unsigned x-amz-copy-source', async () => {
    const url = presign('PUT', `/${bucket}/stolen`, 300);
    const r = await send('PUT', url, { host, 'x-amz-copy-source': `/${bucket}/secret` }, '');
    expect(r.status).toBe(403);
    expect(code(r)).toBe('AccessDenied');
    expect(r.body).toContain(
      '<Message>There were headers present in the request which were not signed</Message>',
    );
    expect(r.body).toContain('<HeadersNotSigned>x-amz-copy-source</HeadersNotSigned>');
    expect(await exists('stolen')).toBe(false);
  });

  it('a presigned PUT URL still uploads its body', async () => {
    const r = await send('PUT', presign('PUT', `/${bucket}/via-url`, 300), { host }, 'hello');
    expect(r.status).toBe(200);
    const got = await send('GET', presign('GET', `/${bucket}/via-url`, 300), { host });
    expect(got.body).toBe('hello');
  });

  it.each([
    [{ 'x-amz-meta-owner': 'mallory' }, 'x-amz-meta-owner'],
    [{ 'x-amz-server-side-encryption': 'AES256' }, 'x-amz-server-side-encryption'],
    [{ 'x-amz-tagging': 'public=yes' }, 'x-amz-tagging'],
    [{ 'x-amz-meta-a': '1', 'x-amz-tagging': 'b=2' }, 'x-amz-meta-a, x-amz-tagging'],
  ])('a header-signed PUT with unsigned %o is refused and stores nothing', async (extra, listed) => {
    const key = `unsigned-${Object.keys(extra).join('-')}`;
    const r = await signed('PUT', { path: `/${bucket}/${key}`, body: 'data', unsigned: extra });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('AccessDenied');
    expect(r.body).toContain(`<HeadersNotSigned>${listed}</HeadersNotSigned>`);
    expect(await exists(key)).toBe(false);
  });

  it('the same headers signed are obeyed', async () => {
    const headers = {
      'x-amz-meta-owner': 'alice',
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-tagging': 'team=blue',
    };
    const r = await signed('PUT', { path: `/${bucket}/signed-headers`, body: 'data', headers });
    expect(r.status).toBe(200);
    expect(r.headers['x-amz-server-side-encryption']).toBe('AES256');
    const head = await signed('HEAD', { path: `/${bucket}/signed-headers` });
    expect(head.headers['x-amz-meta-owner']).toBe('alice');
    expect(head.headers['x-amz-tagging-count']).toBe('1');
  });

  it('a header-signed GET with an unsigned x-amz-* header is refused too', async () => {
    const r = await signed('GET', {
      path: `/${bucket}/secret`,
      unsigned: { 'x-amz-checksum-mode': 'ENABLED' },
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain('<HeadersNotSigned>x-amz-checksum-mode</HeadersNotSigned>');
  });
});

// ---- part checksums of encrypted uploads --------------------------------------------------------------

async function filesUnder(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(await readFile(path));
  }
  return out;
}

async function uploadOnePart(key: string, sse: object) {
  const data = randomBytes(100_000);
  const digest = createHash('sha256').update(data).digest();
  const up = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256', ...sse }),
  );
  await s3.send(
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
  return { uploadId: up.UploadId!, digest };
}

describe('part checksums of encrypted multipart uploads', () => {
  it.each([
    ['SSE-S3', { ServerSideEncryption: 'AES256' as const }],
    ['SSE-KMS', { ServerSideEncryption: 'aws:kms' as const }],
    ['SSE-C', ssec],
  ])('%s: the upload folder on disk holds no plaintext checksum', async (name, sse) => {
    const { uploadId, digest } = await uploadOnePart(`mp-${name}`, sse);
    const files = await filesUnder(join(dataDir, '.minio.sys', 'multipart', bucket, uploadId));
    expect(files.length).toBeGreaterThan(1);
    for (const bytes of files) {
      expect(bytes.toString('latin1')).not.toContain(digest.toString('base64'));
      expect(bytes.toString('latin1')).not.toContain(digest.toString('hex'));
      expect(bytes.includes(digest)).toBe(false);
    }
  });

  it('ListParts of an SSE-C upload shows no checksum without the customer key', async () => {
    const { uploadId, digest } = await uploadOnePart('mp-list-ssec', ssec);
    const bare = await s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'mp-list-ssec', UploadId: uploadId }),
    );
    expect(bare.Parts).toHaveLength(1);
    expect(bare.Parts![0]!.ChecksumSHA256).toBeUndefined();
    const keyed = await s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'mp-list-ssec', UploadId: uploadId, ...ssec }),
    );
    expect(keyed.Parts![0]!.ChecksumSHA256).toBe(digest.toString('base64'));
  });

  it('ListParts of an SSE-S3 upload shows the checksum as MinIO does', async () => {
    const { uploadId, digest } = await uploadOnePart('mp-list-s3', { ServerSideEncryption: 'AES256' });
    const listed = await s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'mp-list-s3', UploadId: uploadId }),
    );
    expect(listed.Parts![0]!.ChecksumSHA256).toBe(digest.toString('base64'));
  });
});

// ---- names, time, signatures --------------------------------------------------------------------------

describe('names that try to leave the data directory', () => {
  it.each([
    ['/sec/..%2F..%2Fescape', 'InvalidObjectName'],
    ['/sec/a/../../../escape', 'InvalidObjectName'],
    ['/sec/%2e%2e/%2e%2e/escape', 'InvalidObjectName'],
    ['/sec//escape', 'InvalidObjectName'],
    ['/sec/nul%00byte', 'InvalidObjectName'],
    ['/%2e%2e/escape', 'InvalidBucketName'],
    ['/..%5C..%5Cwin/escape', 'InvalidBucketName'],
  ])('PUT %s → %s', async (path, expected) => {
    const r = await signed('PUT', { path, body: 'x' });
    expect(r.status).toBe(400);
    expect(code(r)).toBe(expected);
  });

  it.each(['/..', '/%2e%2e', '/.minio.sys', '/a%2Fb'])('CreateBucket %s is refused', async (path) => {
    const r = await signed('PUT', { path });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('InvalidBucketName');
  });

  it('upload ids that are paths find no upload', async () => {
    for (const id of ['..%2F..%2F.minio.sys', '..', `..%2F${bucket}`]) {
      const r = await signed('PUT', {
        path: `/${bucket}/x`,
        query: `partNumber=1&uploadId=${id}`,
        body: 'x',
      });
      expect(r.status).toBe(404);
      expect(code(r)).toBe('NoSuchUpload');
    }
  });

  it('a backslash key is just a name: stored inside the bucket, nothing beside the data directory', async () => {
    const r = await signed('PUT', { path: '/sec/..%5C..%5Cwin', body: 'x' });
    expect(r.status).toBe(200);
    expect(await readdir(work)).toEqual(['data']);
  });
});

describe('time and signatures', () => {
  it('an expired presigned URL is refused', async () => {
    const url = presign('GET', `/${bucket}/secret`, 60, new Date(Date.now() - 120_000));
    const r = await send('GET', url, { host });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('AccessDenied');
    expect(r.body).toContain('Request has expired');
  });

  it('a request dated 20 minutes off is RequestTimeTooSkewed', async () => {
    for (const off of [-20, 20]) {
      const r = await signed('GET', { path: `/${bucket}/secret`, date: new Date(Date.now() + off * 60_000) });
      expect(r.status).toBe(403);
      expect(code(r)).toBe('RequestTimeTooSkewed');
    }
  });

  it('a wrong secret is SignatureDoesNotMatch', async () => {
    const r = await signed('GET', { path: `/${bucket}/secret`, secret: 'not-the-secret' });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('SignatureDoesNotMatch');
  });

  it('aws-chunked uploads: a tampered chunk signature is refused and nothing is stored', async () => {
    const data = randomBytes(200_000);
    for (const tamper of [0, 2, 3]) {
      const r = await chunkedPut(`/${bucket}/chunked-${tamper}`, data, { tamper });
      expect(r.status).toBe(403);
      expect(code(r)).toBe('SignatureDoesNotMatch');
      expect(await exists(`chunked-${tamper}`)).toBe(false);
    }
    const ok = await chunkedPut(`/${bucket}/chunked-ok`, data);
    expect(ok.status).toBe(200);
    expect(await exists('chunked-ok')).toBe(true);
  });

  it('aws-chunked uploads: a body longer or shorter than its signed decoded length stores nothing', async () => {
    for (const declared of [999, 1001]) {
      const r = await chunkedPut(`/${bucket}/chunked-len-${declared}`, randomBytes(1000), { declared });
      expect(r.status).toBe(400);
      expect(code(r)).toBe('IncompleteBody');
      expect(await exists(`chunked-len-${declared}`)).toBe(false);
    }
  });

  it('every query parameter of a presigned URL is signed: one added is SignatureDoesNotMatch', async () => {
    const url = presign('PUT', `/${bucket}/tagged-by-url`, 300);
    for (const extra of ['x-amz-tagging=public%3Dyes', 'x-amz-meta-owner=mallory', 'acl=']) {
      const r = await send('PUT', `${url}&${extra}`, { host }, 'x');
      expect(r.status).toBe(403);
      expect(code(r)).toBe('SignatureDoesNotMatch');
    }
    expect(await exists('tagged-by-url')).toBe(false);
  });

  it('aws-chunked uploads: an unsigned trailer after a signed body is refused, nothing stored', async () => {
    const r = await chunkedPut(`/${bucket}/chunked-trailer`, randomBytes(1000), {
      trailer: 'x-amz-checksum-crc32:AAAAAA==',
    });
    expect(r.status).toBe(400);
    expect(await exists('chunked-trailer')).toBe(false);
  });
});
