// The bucket-default store under concurrency: a cold read racing a change must not cache what it read
// before the change (else new objects would go unencrypted until a restart).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// readFile of a configuration waits for `gate` when one is set, so a test can order it after a change.
let gate: Promise<void> | undefined;
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  return {
    ...fs,
    readFile: async (...args: Parameters<typeof fs.readFile>) => {
      const pending = fs.readFile(...args);
      const result = await pending.then(
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

let dir: string | undefined;
const ok = async () => {};
afterEach(async () => {
  gate = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('BucketEncryptionStore', () => {
  it('a cold read that finishes after PutBucketEncryption does not cache the old state', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bucket-enc-'));
    const store = new BucketEncryptionStore(dir);
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    const cold = store.get('b');
    await store.put('b', { algorithm: 'AES256' }, ok);
    open();
    // The racing read may answer with what it saw when it began…
    expect(await cold).toBeUndefined();
    // …but every later request sees the new default.
    expect(await store.get('b')).toEqual({ algorithm: 'AES256' });
  });

  it('concurrent changes leave the cache as the file (the last change wins both)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bucket-enc-'));
    const store = new BucketEncryptionStore(dir);
    const changes = [];
    for (let i = 0; i < 20; i++) {
      changes.push(
        i % 3 === 2 ? store.delete('b', ok) : store.put('b', { algorithm: 'aws:kms', kmsKeyId: `k${i}` }, ok),
      );
    }
    await Promise.all(changes);
    expect(await store.get('b')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'k19' });
    expect(await new BucketEncryptionStore(dir).get('b')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'k19' });
  });

  it('a configuration put for a bucket made again is not lost to the DeleteBucket before it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bucket-enc-'));
    const store = new BucketEncryptionStore(dir);
    await store.put('b', { algorithm: 'AES256' }, ok);
    // DeleteBucket removes the bucket, then its configuration; meanwhile the bucket is made again and a
    // new configuration put for it.
    let bucketExists = true;
    let deleted!: () => void;
    const bucketGone = new Promise<void>((r) => {
      deleted = r;
    });
    const removal = store.delete('b', async () => {
      bucketExists = false;
      deleted();
      await new Promise((r) => setTimeout(r, 20));
    });
    await bucketGone;
    bucketExists = true;
    const put = store.put('b', { algorithm: 'aws:kms', kmsKeyId: 'new' }, async () => {
      if (!bucketExists) throw new Error('NoSuchBucket');
    });
    await Promise.all([removal, put]);
    expect(await new BucketEncryptionStore(dir).get('b')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'new' });
    expect(await store.get('b')).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'new' });
  });
});
