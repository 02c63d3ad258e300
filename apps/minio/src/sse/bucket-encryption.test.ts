// Bucket default encryption kept in the bucket's metadata record: a cold read racing a change must not
// cache what it read before the change (else new objects would go unencrypted until a restart), the
// configuration goes with its bucket, and configurations of the earlier layout move into the records.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The next readFile waits for `hold` when one is set, so a test can order it after a change.
let hold: Promise<void> | undefined;
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  return {
    ...fs,
    readFile: async (...args: Parameters<typeof fs.readFile>) => {
      const gate = hold;
      hold = undefined;
      const result = await fs.readFile(...args).then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      if (gate) await gate;
      if (!result.ok) throw result.e;
      return result.v;
    },
  };
});

const { BucketEncryptionStore } = await import('./bucket-encryption.js');
const { FsStore } = await import('../storage/fs-store.js');

let dir: string | undefined;
afterEach(async () => {
  hold = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A store over a fresh directory holding bucket "bkt", and a second store over it with cold caches. */
async function freshStores(): Promise<{
  warm: InstanceType<typeof FsStore>;
  cold: InstanceType<typeof FsStore>;
}> {
  dir = await mkdtemp(join(tmpdir(), 'bucket-enc-'));
  const warm = new FsStore(dir);
  await warm.init();
  await warm.createBucket('bkt');
  const cold = new FsStore(dir);
  await cold.init();
  return { warm, cold };
}

async function record(bucket: string): Promise<unknown> {
  return JSON.parse(await readFile(join(dir!, '.minio.sys', 'buckets', `${bucket}.json`), 'utf8'));
}

describe('BucketEncryptionStore', () => {
  it('a cold read that finishes after PutBucketEncryption does not cache the old state', async () => {
    const { cold: store } = await freshStores();
    const enc = new BucketEncryptionStore(store);
    let open!: () => void;
    hold = new Promise((r) => {
      open = r;
    });
    const racing = enc.get('bkt');
    await enc.put('bkt', { algorithm: 'AES256' });
    open();
    // The racing read may answer with what it saw when it began…
    expect(await racing).toBeUndefined();
    // …but every later request sees the new default.
    expect(await enc.get('bkt')).toEqual({ algorithm: 'AES256' });
  });

  it('concurrent changes leave the cache as the record (the last change wins both)', async () => {
    const { warm: store } = await freshStores();
    const enc = new BucketEncryptionStore(store);
    const changes = [];
    for (let i = 0; i < 20; i++) {
      changes.push(
        i % 3 === 2 ? enc.delete('bkt') : enc.put('bkt', { algorithm: 'aws:kms', kmsKeyId: `k${i}` }),
      );
    }
    await Promise.all(changes);
    expect(await enc.get('bkt')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'k19' });
    const reread = new FsStore(dir!);
    await reread.init();
    expect(await new BucketEncryptionStore(reread).get('bkt')).toEqual({
      algorithm: 'aws:kms',
      kmsKeyId: 'k19',
    });
    expect(await record('bkt')).toMatchObject({
      format: 1,
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'k19' },
    });
  });

  it('goes with its bucket: a bucket made again has none, and a put for it is not lost to the delete', async () => {
    const { warm: store } = await freshStores();
    const enc = new BucketEncryptionStore(store);
    await enc.put('bkt', { algorithm: 'AES256' });
    await store.deleteBucket('bkt');
    await expect(enc.put('bkt', { algorithm: 'AES256' })).rejects.toMatchObject({ kind: 'NoSuchBucket' });
    await store.createBucket('bkt');
    expect(await enc.get('bkt')).toBeUndefined();
    await enc.put('bkt', { algorithm: 'AES256' });
    // A DeleteBucket, the bucket made again and a configuration put for it, all at once.
    await Promise.all([
      store.deleteBucket('bkt'),
      store.createBucket('bkt').then(() => enc.put('bkt', { algorithm: 'aws:kms', kmsKeyId: 'new' })),
    ]);
    const reread = new FsStore(dir!);
    await reread.init();
    expect(await new BucketEncryptionStore(reread).get('bkt')).toEqual({
      algorithm: 'aws:kms',
      kmsKeyId: 'new',
    });
    expect(await enc.get('bkt')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'new' });
  });

  it('moves configurations of the earlier layout into the records at startup', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bucket-enc-'));
    const sys = join(dir, '.minio.sys');
    await mkdir(join(sys, 'buckets'), { recursive: true });
    await mkdir(join(sys, 'bucket-encryption'), { recursive: true });
    for (const b of ['bkt', 'cfg', 'plain']) await mkdir(join(dir, b));
    const created = '2020-01-02T03:04:05.000Z';
    await writeFile(join(sys, 'buckets', 'bkt.json'), JSON.stringify({ created }));
    await writeFile(
      join(sys, 'bucket-encryption', 'bkt.json'),
      JSON.stringify({ algorithm: 'aws:kms', kmsKeyId: 'k' }),
    );
    // A migration that crashed after writing the record: the record's configuration stands.
    await writeFile(
      join(sys, 'buckets', 'cfg.json'),
      JSON.stringify({ format: 1, created, encryption: { algorithm: 'AES256' } }),
    );
    await writeFile(join(sys, 'bucket-encryption', 'cfg.json'), JSON.stringify({ algorithm: 'AES256' }));
    // A configuration of a deleted bucket, and the temp file of an interrupted write.
    await writeFile(join(sys, 'bucket-encryption', 'gone.json'), JSON.stringify({ algorithm: 'AES256' }));
    await writeFile(join(sys, 'bucket-encryption', '.0a1b.tmp'), '{');

    const store = new FsStore(dir);
    await store.init();
    const enc = new BucketEncryptionStore(store);
    expect(await enc.get('bkt')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'k' });
    expect(await enc.get('cfg')).toEqual({ algorithm: 'AES256' });
    expect(await enc.get('plain')).toBeUndefined();
    expect(await record('bkt')).toEqual({
      format: 1,
      created,
      encryption: { algorithm: 'aws:kms', kmsKeyId: 'k' },
    });
    expect((await store.listBuckets()).find((x) => x.name === 'bkt')?.created.toISOString()).toBe(created);
    expect(await readdir(sys)).not.toContain('bucket-encryption');
    expect((await store.sweepDone()).bucketRecords).toBe(2);
  });
});
