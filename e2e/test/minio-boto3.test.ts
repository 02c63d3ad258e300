// boto3 (Debian python3-boto3, run with /usr/bin/python3 as CI installs it) against the built `minio`
// bin: put/get/head, ranged get, paged and delimited list_objects_v2, copy_object, upload_file and
// download_file through multipart with a small threshold, get by PartNumber, a managed copy, object
// tagging, ACLs, bucket policy and versioning, presigned GET and PUT URLs, delete_objects, and the
// error codes boto3 raises. The client script is e2e/testdata/minio-boto3.py.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv } from './chain-support.js';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const python = '/usr/bin/python3';
const MiB = 1024 * 1024;

/** MD5 of part n (5 MiB parts) of the script's big.bin: 1 MiB block i is SHA-256("i") repeated. */
function bigPartMd5(n: number): string {
  const hash = createHash('md5');
  for (let i = (n - 1) * 5; i < Math.min(n * 5, 12); i++) {
    const block = createHash('sha256').update(String(i)).digest();
    hash.update(Buffer.concat(Array.from({ length: MiB / 32 }, () => block)));
  }
  return hash.digest('hex');
}
const script = join(import.meta.dirname, '..', 'testdata', 'minio-boto3.py');
const probe = spawnSync(python, ['-c', 'import boto3'], { encoding: 'utf8' });
const hasBoto3 = probe.status === 0;
if (!hasBoto3)
  process.stderr.write(
    `minio-boto3: ${python} cannot import boto3; skipping (CI installs python3-boto3): ${probe.error?.message ?? probe.stderr}\n`,
  );

describe.skipIf(!hasBoto3)('boto3 against minio', () => {
  let work: string;
  let server: MinioBin;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-boto3-'));
    server = await startMinioBin(join(work, 'data'));
  });

  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('runs the client operations and gets S3 answers', { timeout: 180_000 }, () => {
    const run = spawnSync(python, [script, server.endpoint, work], {
      encoding: 'utf8',
      timeout: 170_000,
      env: awsEnv(work),
    });
    if (run.status !== 0) throw new Error(`boto3 script failed (${run.status}): ${run.stderr}`);
    const out = JSON.parse(run.stdout);
    expect(out.buckets).toContain('boto');
    // MD5 of 'hello from boto3'.
    expect(out.put_etag).toBe('"230d1936c9f9149dcc95fff6be6b89ef"');
    expect(out.get).toEqual({
      body: 'hello from boto3',
      type: 'text/plain',
      meta: { color: 'blue' },
      etag: out.put_etag,
      length: 16,
    });
    expect(out.head).toEqual({ length: 16, etag: out.put_etag, meta: { color: 'blue' } });
    expect(out.range).toEqual({ body: 'from', content_range: 'bytes 6-9/16' });
    expect(out.paged).toEqual([['many/0', 'many/1'], ['many/2', 'many/3'], ['many/4']]);
    expect(out.delimited).toEqual({ keys: [], prefixes: ['dir/', 'many/'] });
    expect(out.copy).toEqual({ etag: out.put_etag, meta: { color: 'red' }, type: 'text/x-copy' });
    expect(out.multipart).toEqual({
      etag: expect.stringMatching(/^"[0-9a-f]{32}-3"$/),
      length: 12 * 1024 * 1024,
      same: true,
    });
    expect(out.managed_copy_length).toBe(12 * 1024 * 1024);
    expect(out.part2).toEqual({
      status: 206,
      length: 5 * 1024 * 1024,
      range: `bytes 5242880-10485759/${12 * 1024 * 1024}`,
      parts: 3,
      md5: bigPartMd5(2),
    });
    expect(out.part9).toEqual({ code: '416', status: 416 });
    expect(out.tagging).toEqual({
      before: [
        { Key: 'team', Value: 'storage' },
        { Key: 'tier', Value: 'hot' },
      ],
      after: [{ Key: 'team', Value: 'kms' }],
      count: 1,
      deleted: [],
    });
    expect(out.acl).toEqual({
      owner: expect.stringMatching(/^[0-9a-f]{64}$/),
      grants: [['CanonicalUser', out.acl.owner, 'FULL_CONTROL']],
      object_grants: ['FULL_CONTROL'],
      put_private: 200,
      put_public: { code: 'NotImplemented', status: 501 },
    });
    expect(out.policy).toEqual({ code: 'NoSuchBucketPolicy', status: 404 });
    expect(out.versioning).toBeNull();
    expect(out.presigned_get).toBe('hello from boto3');
    expect(out.presigned_put_status).toBe(200);
    expect(out.presigned_put_body).toBe('put via a presigned URL');
    expect(out.deleted).toEqual(['many/0', 'many/1', 'many/2', 'many/3', 'many/4', 'never-was']);
    expect(out.after_delete).toEqual([
      'big-copy.bin',
      'big.bin',
      'copy.txt',
      'dir/hello.txt',
      'presigned.txt',
    ]);
    expect(out.missing_get).toEqual({ code: 'NoSuchKey', status: 404 });
    expect(out.missing_head).toEqual({ code: '404', status: 404 });
    expect(out.missing_bucket).toEqual({ code: 'NoSuchBucket', status: 404 });
    expect(out.not_empty).toEqual({ code: 'BucketNotEmpty', status: 409 });
    expect(out.buckets_after).not.toContain('boto');
  });
});
