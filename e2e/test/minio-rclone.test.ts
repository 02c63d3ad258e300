// rclone (the Debian package, `rclone` on PATH) against the built `minio` bin, with an S3 remote
// configured only through the environment (RCLONE_CONFIG_<NAME>_TYPE=s3, provider Minio): mkdir,
// copy (a multipart upload through a small cutoff), ls, lsjson, sync, check, server-side copyto and
// moveto (CopyObject and UploadPartCopy), md5sum, size, cat, delete, rmdir, purge.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MinioBin, startMinioBin } from './minio-bin.js';

const probe = spawnSync('rclone', ['version'], { encoding: 'utf8' });
const hasRclone = probe.status === 0;
if (!hasRclone)
  process.stderr.write(
    `minio-rclone: the rclone command is not available; skipping (CI installs rclone): ${probe.error?.message ?? probe.stderr}\n`,
  );

interface LsJsonEntry {
  Path: string;
  Size: number;
  IsDir: boolean;
  Hashes?: { md5?: string };
}

describe.skipIf(!hasRclone)('rclone against minio', () => {
  let work: string;
  let local: string;
  let server: MinioBin;
  let s3: S3Client;

  const rclone = (...args: string[]) => {
    const run = spawnSync(
      'rclone',
      ['--config', join(work, 'rclone.conf'), '--low-level-retries', '1', '--retries', '1', ...args],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          RCLONE_CONFIG_STORE_TYPE: 's3',
          RCLONE_CONFIG_STORE_PROVIDER: 'Minio',
          RCLONE_CONFIG_STORE_ENV_AUTH: 'false',
          RCLONE_CONFIG_STORE_ACCESS_KEY_ID: 'minio',
          RCLONE_CONFIG_STORE_SECRET_ACCESS_KEY: 'minio123',
          RCLONE_CONFIG_STORE_REGION: 'us-east-1',
          RCLONE_CONFIG_STORE_ENDPOINT: server.endpoint,
          // Files above 5 MiB go up as multipart uploads of 5 MiB parts.
          RCLONE_S3_UPLOAD_CUTOFF: '5M',
          RCLONE_S3_CHUNK_SIZE: '5M',
        },
      },
    );
    return run;
  };
  const ok = (...args: string[]) => {
    const run = rclone(...args);
    if (run.status !== 0) throw new Error(`rclone ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
    return run.stdout;
  };
  const lsjson = (path: string) =>
    (JSON.parse(ok('lsjson', '-R', '--hash', path)) as LsJsonEntry[])
      .filter((e) => !e.IsDir)
      .map((e) => [e.Path, e.Size, e.Hashes?.md5])
      .sort();
  const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-rclone-'));
    await writeFile(join(work, 'rclone.conf'), '');
    server = await startMinioBin(join(work, 'data'));
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'minio', secretAccessKey: 'minio123' },
    });
    local = join(work, 'local');
    await mkdir(join(local, 'sub'), { recursive: true });
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('copies, lists, syncs, checks and removes', { timeout: 240_000 }, async () => {
    const big = randomBytes(12 * 1024 * 1024);
    await writeFile(join(local, 'a.txt'), 'alpha\n');
    await writeFile(join(local, 'sub', 'b.txt'), 'bravo\n');
    await writeFile(join(local, 'big.bin'), big);

    ok('mkdir', 'store:rcl');
    expect(ok('lsd', 'store:')).toMatch(/ rcl\n/);
    ok('copy', local, 'store:rcl/tree');
    expect(
      ok('ls', 'store:rcl')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim())
        .sort(),
    ).toEqual(['12582912 tree/big.bin', '6 tree/a.txt', '6 tree/sub/b.txt']);
    // A multipart object has no MD5 ETag; rclone stores the source MD5 in its own metadata.
    expect(lsjson('store:rcl/tree')).toEqual([
      ['a.txt', 6, md5('alpha\n')],
      ['big.bin', big.length, md5(big)],
      ['sub/b.txt', 6, md5('bravo\n')],
    ]);
    ok('check', local, 'store:rcl/tree');
    // The ETags show which objects were written as multipart uploads.
    const etagOf = async (Key: string) => (await s3.send(new HeadObjectCommand({ Bucket: 'rcl', Key }))).ETag;
    expect(await etagOf('tree/big.bin')).toMatch(/^"[0-9a-f]{32}-3"$/);

    // sync makes the remote equal to the source: a changed file, a new one, a removed one.
    await writeFile(join(local, 'a.txt'), 'alpha, changed\n');
    await writeFile(join(local, 'c.txt'), 'charlie\n');
    await rm(join(local, 'sub', 'b.txt'));
    ok('sync', local, 'store:rcl/tree');
    ok('check', local, 'store:rcl/tree');
    expect(lsjson('store:rcl/tree').map((e) => e[0])).toEqual(['a.txt', 'big.bin', 'c.txt']);
    await writeFile(join(local, 'c.txt'), 'charlie, only here\n');
    const differs = rclone('check', local, 'store:rcl/tree');
    expect(differs.status).not.toBe(0);
    expect(differs.stderr).toContain('c.txt');

    // Server-side copies: CopyObject, and UploadPartCopy above the copy cutoff; moves copy then delete.
    ok('copyto', 'store:rcl/tree/a.txt', 'store:rcl/copies/a.txt');
    ok('copyto', '--s3-copy-cutoff', '5M', 'store:rcl/tree/big.bin', 'store:rcl/copies/big.bin');
    ok('moveto', 'store:rcl/copies/a.txt', 'store:rcl/moved/a.txt');
    expect(lsjson('store:rcl/copies')).toEqual([['big.bin', big.length, md5(big)]]);
    expect(await etagOf('copies/big.bin')).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(ok('cat', 'store:rcl/moved/a.txt')).toBe('alpha, changed\n');
    expect(ok('md5sum', 'store:rcl/copies')).toBe(`${md5(big)}  big.bin\n`);
    // tree/a.txt, tree/big.bin, tree/c.txt as last synced, copies/big.bin, moved/a.txt.
    expect(JSON.parse(ok('size', '--json', 'store:rcl'))).toMatchObject({
      count: 5,
      bytes: 2 * big.length + 2 * 'alpha, changed\n'.length + 'charlie\n'.length,
    });
    ok('purge', 'store:rcl/copies');
    ok('purge', 'store:rcl/moved');

    ok('copyto', 'store:rcl/tree/big.bin', join(work, 'big.out'));
    expect(md5(await readFile(join(work, 'big.out')))).toBe(md5(big));
    expect(ok('cat', 'store:rcl/tree/a.txt')).toBe('alpha, changed\n');

    ok('delete', 'store:rcl/tree', '--include', '*.txt');
    expect(lsjson('store:rcl/tree').map((e) => e[0])).toEqual(['big.bin']);
    ok('deletefile', 'store:rcl/tree/big.bin');
    expect(lsjson('store:rcl')).toEqual([]);
    ok('rmdir', 'store:rcl');
    expect(ok('lsd', 'store:')).not.toMatch(/ rcl\n/);

    ok('mkdir', 'store:gone');
    ok('copy', local, 'store:gone');
    ok('purge', 'store:gone');
    expect(ok('lsd', 'store:')).not.toMatch(/ gone\n/);
  });
});
