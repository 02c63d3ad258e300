// The AWS CLI (the Debian `awscli` package in CI) against the built `minio` bin, started as in the
// KMS guide with MINIO_ACCESS_KEY=minio / MINIO_SECRET_KEY=minio123: `aws s3` cp/ls/rm (including a
// multipart upload) and `aws s3api` put/get/head.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv } from './chain-support.js';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasAws)
  process.stderr.write('minio-awscli: the aws command is not installed; skipping (CI installs awscli)\n');

describe.skipIf(!hasAws)('aws cli against minio', () => {
  let work: string;
  let minio: MinioBin | undefined;
  let endpoint: string;

  const aws = (...args: string[]) => {
    const run = spawnSync('aws', ['--endpoint-url', endpoint, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      cwd: work,
      env: awsEnv(work, 'minio123'),
    });
    if (run.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
    return run.stdout;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-awscli-'));
    await writeFile(join(work, 'aws-config'), '[default]\nregion = us-east-1\n');
    // An empty certs dir: plain HTTP whatever ~/.minio/certs holds.
    minio = await startMinioBin(join(work, 'export'), ['--certs-dir', join(work, 'certs')]);
    endpoint = minio.endpoint;
  });

  afterAll(async () => {
    await minio?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('makes a bucket, copies files up and down, lists and removes them', { timeout: 180_000 }, async () => {
    const small = join(work, 'small.txt');
    const large = join(work, 'large.bin');
    await writeFile(small, 'hello from the aws cli\n');
    const largeData = randomBytes(20 * 1024 * 1024);
    await writeFile(large, largeData);

    aws('s3', 'mb', 's3://guide');
    aws('s3', 'cp', small, 's3://guide/docs/small.txt');
    aws('s3', 'cp', large, 's3://guide/large.bin');
    const listing = aws('s3', 'ls', 's3://guide/', '--recursive');
    expect(listing).toContain('docs/small.txt');
    expect(listing).toMatch(/20971520 large\.bin/);

    aws('s3', 'cp', 's3://guide/large.bin', join(work, 'large.out'));
    expect((await readFile(join(work, 'large.out'))).equals(largeData)).toBe(true);
    aws('s3', 'cp', 's3://guide/docs/small.txt', join(work, 'small.out'));
    expect(await readFile(join(work, 'small.out'), 'utf8')).toBe('hello from the aws cli\n');

    aws('s3', 'rm', 's3://guide/docs/small.txt');
    expect(aws('s3', 'ls', 's3://guide/', '--recursive')).not.toContain('small.txt');
    aws('s3', 'rm', 's3://guide/large.bin');
    aws('s3', 'rb', 's3://guide');
    expect(aws('s3', 'ls')).not.toContain('guide');
  });

  it('puts, heads and gets with s3api', { timeout: 120_000 }, async () => {
    const file = join(work, 'api.txt');
    await writeFile(file, 'via s3api');
    aws('s3api', 'create-bucket', '--bucket', 'api');
    const put = JSON.parse(
      aws(
        's3api',
        'put-object',
        '--bucket',
        'api',
        '--key',
        'dir/api.txt',
        '--body',
        file,
        '--metadata',
        'owner=e2e',
        '--content-type',
        'text/plain',
      ),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = JSON.parse(aws('s3api', 'head-object', '--bucket', 'api', '--key', 'dir/api.txt'));
    expect(head.ContentLength).toBe(9);
    expect(head.ContentType).toBe('text/plain');
    expect(head.Metadata).toEqual({ owner: 'e2e' });
    expect(head.ETag).toBe(put.ETag);
    const got = JSON.parse(
      aws('s3api', 'get-object', '--bucket', 'api', '--key', 'dir/api.txt', join(work, 'api.out')),
    );
    expect(got.ContentLength).toBe(9);
    expect(await readFile(join(work, 'api.out'), 'utf8')).toBe('via s3api');
    const listed = JSON.parse(aws('s3api', 'list-objects-v2', '--bucket', 'api'));
    expect(listed.Contents.map((c: { Key: string }) => c.Key)).toEqual(['dir/api.txt']);
  });
});
