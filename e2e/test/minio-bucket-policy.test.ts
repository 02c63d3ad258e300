// Bucket policies written with the AWS CLI (`aws s3api put-bucket-policy`) against the built `minio`
// bin, judged on anonymous requests sent with plain fetch and with `aws --no-sign-request`: the
// policies `mc anonymous set download|upload|public` writes (e2e/testdata/mc-anonymous-*.json), deny
// beating allow, a malformed policy refused, and a policy that outlives a restart (docs/s3.md#bucket-policies).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv } from './chain-support.js';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasAws) process.stderr.write('minio-bucket-policy: the aws command is not installed; skipping\n');
const testdata = join(import.meta.dirname, '..', 'testdata');

describe.skipIf(!hasAws)('bucket policies put with the aws cli', () => {
  let work: string;
  let minio: MinioBin | undefined;
  let endpoint: string;

  const run = (args: string[], anonymous = false) =>
    spawnSync('aws', ['--endpoint-url', endpoint, ...(anonymous ? ['--no-sign-request'] : []), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: work,
      env: awsEnv(work, 'minio123'),
    });
  const aws = (...args: string[]) => {
    const r = run(args);
    if (r.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const putPolicy = (file: string) =>
    aws('s3api', 'put-bucket-policy', '--bucket', 'anon', '--policy', `file://${file}`);
  const anonStatus = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${endpoint}${path}`, init);
    await res.arrayBuffer();
    return res.status;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-bucket-policy-'));
    await writeFile(join(work, 'aws-config'), '[default]\nregion = us-east-1\n');
    minio = await startMinioBin(join(work, 'data'), ['--certs-dir', join(work, 'certs')]);
    endpoint = minio.endpoint;
    aws('s3', 'mb', 's3://anon');
    await writeFile(join(work, 'hello.txt'), 'hello anonymous\n');
    aws('s3', 'cp', join(work, 'hello.txt'), 's3://anon/hello.txt');
  }, 60_000);

  afterAll(async () => {
    await minio?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('without a policy, anonymous requests are refused', async () => {
    expect(await anonStatus('/anon/hello.txt')).toBe(403);
    const cli = run(['s3', 'cp', 's3://anon/hello.txt', '-'], true);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toMatch(/403|Forbidden|AccessDenied/);
  });

  it('download: the cli without credentials reads and lists, cannot write', { timeout: 60_000 }, async () => {
    putPolicy(join(testdata, 'mc-anonymous-download.json'));
    const got = JSON.parse(aws('s3api', 'get-bucket-policy', '--bucket', 'anon'));
    expect(JSON.parse(got.Policy).Statement[1].Action).toEqual(['s3:GetObject']);
    expect(run(['s3', 'cp', 's3://anon/hello.txt', '-'], true).stdout).toBe('hello anonymous\n');
    expect(run(['s3', 'ls', 's3://anon/'], true).stdout).toContain('hello.txt');
    const up = run(['s3', 'cp', join(work, 'hello.txt'), 's3://anon/up.txt'], true);
    expect(up.status).not.toBe(0);
    expect(await anonStatus('/anon/hello.txt')).toBe(200);
    expect(await anonStatus('/anon/x.txt', { method: 'PUT', body: 'x' })).toBe(403);
    const status = JSON.parse(aws('s3api', 'get-bucket-policy-status', '--bucket', 'anon'));
    expect(status.PolicyStatus.IsPublic).toBe(false);
  });

  it('upload: anonymous writes land, reads are refused', { timeout: 60_000 }, async () => {
    putPolicy(join(testdata, 'mc-anonymous-upload.json'));
    expect(await anonStatus('/anon/up.txt', { method: 'PUT', body: 'up' })).toBe(200);
    expect(aws('s3', 'cp', 's3://anon/up.txt', '-')).toBe('up');
    expect(await anonStatus('/anon/up.txt')).toBe(403);
    expect(await anonStatus('/anon?list-type=2')).toBe(403);
  });

  it('public: read, write, list; the policy status reads public', { timeout: 60_000 }, async () => {
    putPolicy(join(testdata, 'mc-anonymous-public.json'));
    expect(await anonStatus('/anon/pub.txt', { method: 'PUT', body: 'pub' })).toBe(200);
    expect(await anonStatus('/anon/pub.txt')).toBe(200);
    expect(run(['s3', 'ls', 's3://anon/'], true).stdout).toContain('pub.txt');
    const status = JSON.parse(aws('s3api', 'get-bucket-policy-status', '--bucket', 'anon'));
    expect(status.PolicyStatus.IsPublic).toBe(true);
  });

  it('deny beats allow, and a malformed policy is refused, leaving the last one', {
    timeout: 60_000,
  }, async () => {
    const denied = join(work, 'deny.json');
    await writeFile(
      denied,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::anon/*' },
          { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::anon/hello.txt' },
        ],
      }),
    );
    putPolicy(denied);
    expect(await anonStatus('/anon/hello.txt')).toBe(403);
    expect(await anonStatus('/anon/pub.txt')).toBe(200);
    const bad = join(work, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' },
        ],
      }),
    );
    const refused = run(['s3api', 'put-bucket-policy', '--bucket', 'anon', '--policy', `file://${bad}`]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('MalformedPolicy');
    expect(await anonStatus('/anon/hello.txt')).toBe(403);
  });

  it('the policy outlives a restart; delete-bucket-policy ends anonymous access', {
    timeout: 60_000,
  }, async () => {
    await minio?.stop();
    minio = await startMinioBin(join(work, 'data'), ['--certs-dir', join(work, 'certs')]);
    endpoint = minio.endpoint;
    expect(await anonStatus('/anon/pub.txt')).toBe(200);
    expect(await anonStatus('/anon/hello.txt')).toBe(403);
    aws('s3api', 'delete-bucket-policy', '--bucket', 'anon');
    expect(await anonStatus('/anon/pub.txt')).toBe(403);
    const none = run(['s3api', 'get-bucket-policy', '--bucket', 'anon']);
    expect(none.stderr).toContain('NoSuchBucketPolicy');
  });
});
