// What a crash can leave behind — staged bodies, data files of a commit that never reached its
// meta.json rename, an object directory without metadata — is invisible after a restart and swept by
// the startup sweep; committed objects survive. Readers racing an overwrite see one whole version.
// (test/crash-kill.test.ts kills a real process instead of staging the leftovers by hand.)
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, stagingFiles, startServer, objectDir as storeDir, type TestServer } from './helpers.js';

const parent = await mkdtemp(join(tmpdir(), 'minio-crash-'));
const dataDir = join(parent, 'data');
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

function objectDir(bucket: string, key: string): string {
  return storeDir(dataDir, bucket, key);
}

async function read(srv: TestServer, Key: string): Promise<Buffer> {
  const out = await srv.s3.send(new GetObjectCommand({ Bucket: 'crash', Key }));
  return collect(out.Body as AsyncIterable<Uint8Array>);
}

describe('after a crash', () => {
  it('keeps committed objects and hides and sweeps partial writes', async () => {
    const big = randomBytes(100 * 1024);
    let srv = await startServer({ dataDir });
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'kept', Body: big }));
    await srv.app.close();
    srv.s3.destroy();

    // Leftovers of a crashed overwrite of "kept", a crashed first write of "never", and a staged body.
    const keptDir = objectDir('crash', 'kept');
    await writeFile(join(keptDir, '00000000-0000-0000-0000-000000000000.1'), 'half a new version');
    const neverDir = objectDir('crash', 'never');
    await mkdir(neverDir, { recursive: true });
    await writeFile(join(neverDir, '11111111-1111-1111-1111-111111111111.1'), 'orphan');
    await writeFile(join(dataDir, '.minio.sys', 'tmp', 'staged-body'), 'partial upload');

    srv = await startServer({ dataDir });
    expect(await stagingFiles(dataDir)).toEqual([]);
    expect((await read(srv, 'kept')).equals(big)).toBe(true);
    const listed = await srv.s3.send(new ListObjectsV2Command({ Bucket: 'crash' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['kept']);
    await expect(read(srv, 'never')).rejects.toMatchObject({ name: 'NoSuchKey' });

    // Swept at start, before any new commit of the key.
    const files = await readdir(keptDir);
    expect(files).toHaveLength(2);
    expect(files).toContain('meta.json');
    expect(files).not.toContain('00000000-0000-0000-0000-000000000000.1');
    await expect(readdir(neverDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'kept', Body: big.subarray(0, 50_000) }));
    expect(await readdir(keptDir)).toHaveLength(2);
    await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'never', Body: 'now real' }));
    expect(await readdir(neverDir)).toEqual(['meta.json']);
    expect((await read(srv, 'never')).toString()).toBe('now real');
    await srv.close();
  });
});

describe('concurrent overwrite', () => {
  it('serves either the old or the new version whole, never a mix', async () => {
    const srv = await startServer();
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const versions = [randomBytes(300 * 1024), randomBytes(300 * 1024), randomBytes(300 * 1024)];
    const md5s = new Set(versions.map((v) => createHash('md5').update(v).digest('hex')));
    await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'hot', Body: versions[0] }));
    const writes = versions.map((Body) =>
      srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'hot', Body })),
    );
    const reads = Array.from({ length: 12 }, () => read(srv, 'hot'));
    await Promise.all(writes);
    for (const data of await Promise.all(reads)) {
      expect(md5s.has(createHash('md5').update(data).digest('hex'))).toBe(true);
    }
    await srv.close();
  });
});
