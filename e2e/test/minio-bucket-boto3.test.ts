// boto3 (Debian python3-boto3) against the built `minio` bin: the bucket-level APIs MinIO users reach
// for (docs/s3.md#tagging, #getobjectattributes, #versions). The client script is e2e/testdata/minio-bucket-boto3.py.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv } from './chain-support.js';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const python = '/usr/bin/python3';
const script = join(import.meta.dirname, '..', 'testdata', 'minio-bucket-boto3.py');
const hasBoto3 = spawnSync(python, ['-c', 'import boto3']).status === 0;
if (!hasBoto3) process.stderr.write(`minio-bucket-boto3: ${python} cannot import boto3; skipping\n`);

describe.skipIf(!hasBoto3)('boto3: bucket-level APIs', () => {
  let work: string;
  let server: MinioBin;
  let out: Record<string, Record<string, unknown>>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-bucket-boto3-'));
    server = await startMinioBin(join(work, 'data'));
    const run = spawnSync(python, [script, server.endpoint], {
      encoding: 'utf8',
      timeout: 60_000,
      env: awsEnv(work),
    });
    if (run.status !== 0) throw new Error(`boto3 script failed (${run.status}): ${run.stderr}`);
    out = JSON.parse(run.stdout);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('puts, gets and deletes bucket tags; refuses bad sets as MalformedXML, as MinIO does', () => {
    const malformed = (message: string) => ({ code: 'MalformedXML', message, status: 400 });
    expect(out.bucket_tagging).toEqual({
      none: { code: 'NoSuchTagSet', message: 'The TagSet does not exist', status: 404 },
      set: [
        { Key: 'project', Value: 'kms chain' },
        { Key: 'Größe', Value: '値' },
      ],
      too_many: malformed('Tags cannot be more than 50'),
      bad_key: malformed('The TagKey you have provided is invalid'),
      aws_key: malformed('Your TagKey cannot be prefixed with aws:'),
      kept: [
        { Key: 'project', Value: 'kms chain' },
        { Key: 'Größe', Value: '値' },
      ],
      delete_status: 204,
      deleted: { code: 'NoSuchTagSet', message: 'The TagSet does not exist', status: 404 },
    });
  });

  it("refuses object tags outside S3's character set and beyond ten", () => {
    expect(out.object_tagging).toEqual({
      bad_value: { code: 'InvalidTag', message: 'The TagValue you have provided is invalid', status: 400 },
      bad_header: { code: 'InvalidTag', message: 'The TagKey you have provided is invalid', status: 400 },
      eleven: { code: 'BadRequest', message: 'Tags cannot be more than 10', status: 400 },
    });
  });

  it('GetObjectAttributes answers the plain facts and pages parts', () => {
    expect(out.attributes).toEqual({
      // MD5 of 'attribute body'.
      etag: 'dd7a5d25ce435c41eed56d83bac1f04e',
      // SHA-256 of 'attribute body'; the botocore of Debian predates ChecksumType and drops it.
      checksum: expect.objectContaining({ ChecksumSHA256: '7LX+9IUe7LlbOgfWriZHFiEB1dyzXGRPNCA+4LK7+Co=' }),
      size: 14,
      storage_class: 'STANDARD',
      parts_count: 1,
      mp_parts: [[1, 5 * 1024 * 1024]],
      mp_truncated: true,
      mp_count: 2,
      bad_name: { code: 'InvalidArgument', message: 'Invalid attribute name specified.', status: 400 },
      missing: { code: 'NoSuchKey', message: 'The specified key does not exist.', status: 404 },
    });
  });

  it('versioning is off and every object is its one null version', () => {
    expect(out.versions).toEqual({
      status: null,
      listed: [
        ['attrs', 'null', true],
        ['attrs-mp', 'null', true],
        ['obj', 'null', true],
      ],
      delete_markers: null,
    });
  });
});
