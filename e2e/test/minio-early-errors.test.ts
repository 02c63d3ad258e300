// The built `minio` bin over TLS refuses 64 MiB PutObject and UploadPart requests for five reasons each
// before reading their body, and boto3, the aws CLI and the AWS SDK v3 each get the S3 error code, never
// a reset (ECONNRESET, EPIPE, SSLEOFError). `100 Continue` is written only when a handler reads the body,
// as MinIO does, so clients that wait for it never send the body of a refused request; boto3 with a
// bytes body (no Expect header) shows a client that does not wait still reads the answer.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createDevPki } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, binDir, freePort, type Proc, s3Client, startProc, tempDir } from './chain-support.js';

const python = '/usr/bin/python3';
const hasBoto3 = spawnSync(python, ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;
const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasBoto3) process.stderr.write(`minio-early-errors: ${python} cannot import boto3; skipping its case\n`);
if (!hasAws)
  process.stderr.write('minio-early-errors: the aws command is not installed; skipping its case\n');

const script = join(import.meta.dirname, '..', 'testdata', 'minio-early-errors.py');
const SIZE = 64 << 20;

describe('over TLS, 64 MiB uploads refused before their body is read get their S3 error', () => {
  let dir: string;
  let minio: Proc;
  let endpoint: string;
  let caFile: string;
  let ca: string;
  let big: string;

  beforeAll(async () => {
    dir = await tempDir('minio-early-');
    const pki = await createDevPki(join(dir, 'pki'), { clients: [] });
    caFile = pki.ca.certPath;
    ca = pki.ca.certPem;
    await mkdir(join(dir, 'certs'));
    await copyFile(pki.server.certPath, join(dir, 'certs', 'public.crt'));
    await copyFile(pki.server.keyPath, join(dir, 'certs', 'private.key'));
    big = join(dir, 'big.bin');
    await writeFile(big, randomBytes(SIZE));
    const port = await freePort();
    endpoint = `https://127.0.0.1:${port}`;
    minio = startProc(
      join(binDir, 'minio'),
      ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--certs-dir', join(dir, 'certs')],
      {
        cwd: dir,
        env: {
          MINIO_ROOT_USER: 'minio',
          MINIO_ROOT_PASSWORD: 'minio123',
          MINIO_KMS_SECRET_KEY: `early-key:${randomBytes(32).toString('base64')}`,
        },
      },
    );
    await minio.waitFor(/API: https:/);
  }, 60_000);

  afterAll(async () => {
    await minio?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasBoto3)('boto3: five PutObject and five UploadPart refusals', { timeout: 120_000 }, () => {
    const run = spawnSync(python, [script, endpoint, caFile, big], {
      encoding: 'utf8',
      timeout: 110_000,
      env: awsEnv(dir),
    });
    if (run.status !== 0) throw new Error(`boto3 script failed (${run.status}): ${run.stderr}`);
    expect(JSON.parse(run.stdout)).toEqual({
      put_missing_bucket: { code: 'NoSuchBucket', status: 404 },
      put_storage_class: { code: 'InvalidStorageClass', status: 400 },
      put_ssec_short_key: { code: 'AccessDenied', status: 403 },
      put_kms_key_not_found: { code: 'kms:KeyNotFound', status: 404 },
      put_bad_signature: { code: 'SignatureDoesNotMatch', status: 403 },
      part_no_such_upload: { code: 'NoSuchUpload', status: 404 },
      part_part_number: { code: 'InvalidArgument', status: 400 },
      part_ssec_wrong_key: { code: 'AccessDenied', status: 403 },
      part_ssec_missing: { code: 'InvalidRequest', status: 400 },
      part_bad_signature: { code: 'SignatureDoesNotMatch', status: 403 },
      put_bytes_missing_bucket: { code: 'NoSuchBucket', status: 404 },
    });
  });

  it.skipIf(!hasAws)('aws CLI: five put-object and five upload-part refusals', { timeout: 180_000 }, () => {
    const aws = (args: string[], secret = 'minio123') => {
      const run = spawnSync('aws', ['--endpoint-url', endpoint, '--ca-bundle', caFile, 's3api', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        cwd: dir,
        env: { ...awsEnv(dir, secret), AWS_MAX_ATTEMPTS: '1' },
      });
      return { status: run.status, out: run.stdout, err: run.stderr };
    };
    /** The S3 error code of a failed call, or its whole stderr when it failed some other way. */
    const code = (args: string[], secret?: string) => {
      const run = aws(args, secret);
      if (run.status === 0) return 'no error';
      return /An error occurred \(([^)]+)\)/.exec(run.err)?.[1] ?? run.err.trim();
    };
    const ssec = (key: string) => ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', key];
    const ssecKey = randomBytes(16).toString('hex');
    expect(aws(['create-bucket', '--bucket', 'early-cli']).status).toBe(0);
    const created = aws([
      'create-multipart-upload',
      '--bucket',
      'early-cli',
      '--key',
      'ssec',
      ...ssec(ssecKey),
    ]);
    const uploadId = JSON.parse(created.out).UploadId as string;
    const put = (...args: string[]) => [
      'put-object',
      '--bucket',
      'early-cli',
      '--key',
      'big',
      '--body',
      big,
      ...args,
    ];
    const part = (...args: string[]) => [
      'upload-part',
      '--bucket',
      'early-cli',
      '--key',
      'ssec',
      '--body',
      big,
      ...args,
    ];
    expect({
      missingBucket: code(['put-object', '--bucket', 'no-such-bucket', '--key', 'big', '--body', big]),
      storageClass: code(put('--storage-class', 'GLACIER')),
      ssecShortKey: code(put(...ssec('0123456789abcdef'))),
      kmsKeyNotFound: code(put('--server-side-encryption', 'aws:kms', '--ssekms-key-id', 'no-such-key')),
      badSignature: code(put(), 'not-the-secret'),
    }).toEqual({
      missingBucket: 'NoSuchBucket',
      storageClass: 'InvalidStorageClass',
      ssecShortKey: 'AccessDenied',
      kmsKeyNotFound: 'kms:KeyNotFound',
      badSignature: 'SignatureDoesNotMatch',
    });
    expect({
      noSuchUpload: code(part('--upload-id', 'no-such-upload', '--part-number', '1')),
      partNumber: code(part('--upload-id', uploadId, '--part-number', '10001', ...ssec(ssecKey))),
      ssecWrongKey: code(
        part('--upload-id', uploadId, '--part-number', '1', ...ssec(randomBytes(16).toString('hex'))),
      ),
      ssecMissing: code(part('--upload-id', uploadId, '--part-number', '1')),
      badSignature: code(
        part('--upload-id', uploadId, '--part-number', '1', ...ssec(ssecKey)),
        'not-the-secret',
      ),
    }).toEqual({
      noSuchUpload: 'NoSuchUpload',
      partNumber: 'InvalidArgument',
      ssecWrongKey: 'AccessDenied',
      ssecMissing: 'InvalidRequest',
      badSignature: 'SignatureDoesNotMatch',
    });
  });

  it('AWS SDK v3: five PutObject and five UploadPart refusals', { timeout: 120_000 }, async () => {
    const body = randomBytes(SIZE);
    const sdk = (secret = 'minio123') => s3Client(endpoint, 'minio', secret, ca);
    const failure = async (input: object, command: 'put' | 'part', secret?: string) => {
      const s3: S3Client = sdk(secret);
      try {
        const bucketAndKey =
          command === 'put'
            ? { Bucket: 'early-sdk', Key: 'big' }
            : { Bucket: 'early-sdk', Key: 'ssec', PartNumber: 1 };
        const args = { ...bucketAndKey, Body: body, ...input } as never;
        await (command === 'put'
          ? s3.send(new PutObjectCommand(args))
          : s3.send(new UploadPartCommand(args)));
        return 'no error';
      } catch (err) {
        const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
        return e.$metadata?.httpStatusCode === undefined ? `transport: ${e.code ?? e.name}` : e.name;
      } finally {
        s3.destroy();
      }
    };
    const key = randomBytes(32);
    const sseC = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k });
    const s3 = sdk();
    await s3.send(new CreateBucketCommand({ Bucket: 'early-sdk' }));
    const uploadId = (
      await s3.send(
        new CreateMultipartUploadCommand({ Bucket: 'early-sdk', Key: 'ssec', ...sseC(key) } as never),
      )
    ).UploadId!;
    s3.destroy();
    expect({
      missingBucket: await failure({ Bucket: 'no-such-bucket' }, 'put'),
      storageClass: await failure({ StorageClass: 'GLACIER' }, 'put'),
      ssecShortKey: await failure(sseC(randomBytes(16)), 'put'),
      kmsKeyNotFound: await failure({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' }, 'put'),
      badSignature: await failure({}, 'put', 'not-the-secret'),
      noSuchUpload: await failure({ UploadId: 'no-such-upload' }, 'part'),
      partNumber: await failure({ UploadId: uploadId, PartNumber: 10001, ...sseC(key) }, 'part'),
      ssecWrongKey: await failure({ UploadId: uploadId, ...sseC(randomBytes(32)) }, 'part'),
      ssecMissing: await failure({ UploadId: uploadId }, 'part'),
      partBadSignature: await failure({ UploadId: uploadId, ...sseC(key) }, 'part', 'not-the-secret'),
    }).toEqual({
      missingBucket: 'NoSuchBucket',
      storageClass: 'InvalidStorageClass',
      ssecShortKey: 'AccessDenied',
      kmsKeyNotFound: 'kms:KeyNotFound',
      badSignature: 'SignatureDoesNotMatch',
      noSuchUpload: 'NoSuchUpload',
      partNumber: 'InvalidArgument',
      ssecWrongKey: 'AccessDenied',
      ssecMissing: 'InvalidRequest',
      partBadSignature: 'SignatureDoesNotMatch',
    });
  });
});
