import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsKeystore } from './fs/index.js';
import { KeyExistsError, KeyNotFoundError, type Keystore, KeystoreUnavailableError } from './keystore.js';
import { MemKeystore } from './mem/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kes-fs-'));
  dirs.push(d);
  return d;
}

describe.each<[string, () => Promise<Keystore>]>([
  ['mem', async () => new MemKeystore()],
  ['fs', async () => new FsKeystore(join(await tempDir(), 'keys'))],
])('%s keystore contract', (_name, make) => {
  it('creates, gets, lists, deletes', async () => {
    const ks = await make();
    await ks.create('minio-b', 'vb');
    await ks.create('minio-a', 'va');
    await ks.create('other', 'vo');
    expect(await ks.get('minio-a')).toBe('va');
    expect(await ks.list('minio-')).toEqual(['minio-a', 'minio-b']);
    expect(await ks.list('')).toEqual(['minio-a', 'minio-b', 'other']);
    await ks.delete('minio-a');
    await expect(ks.get('minio-a')).rejects.toBeInstanceOf(KeyNotFoundError);
    await ks.delete('never-existed');
    expect((await ks.status()).reachable).toBe(true);
  });

  it('refuses to create a name twice', async () => {
    const ks = await make();
    await ks.create('k', 'first');
    await expect(ks.create('k', 'second')).rejects.toBeInstanceOf(KeyExistsError);
    expect(await ks.get('k')).toBe('first');
  });

  it('lets exactly one of many concurrent creates of one name win', async () => {
    const ks = await make();
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => ks.create('race', `v${i}`)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(KeyExistsError);
  });
});

describe('fs keystore', () => {
  it('writes key files with mode 0600 and leaves no temporary files', async () => {
    const dir = join(await tempDir(), 'keys');
    const ks = new FsKeystore(dir);
    await ks.create('minio-key-1', '{"bytes":"x"}');
    expect((await stat(join(dir, 'minio-key-1'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['minio-key-1']);
  });

  it('shares keys between two instances on one directory', async () => {
    const dir = join(await tempDir(), 'keys');
    await new FsKeystore(dir).create('shared', 'v');
    expect(await new FsKeystore(dir).get('shared')).toBe('v');
  });

  it.each(['../escape', 'a/b', '..', '.'])('rejects the path-like name %j', async (name) => {
    const ks = new FsKeystore(join(await tempDir(), 'keys'));
    await expect(ks.get(name)).rejects.toBeInstanceOf(KeystoreUnavailableError);
    await expect(ks.create(name, 'v')).rejects.toBeInstanceOf(KeystoreUnavailableError);
  });

  it('reports an unusable directory as unreachable', async () => {
    const file = join(await tempDir(), 'file');
    await new FsKeystore(file).create('x', 'v').catch(() => undefined);
    const ks = new FsKeystore(join(file, 'x', 'sub'));
    expect((await ks.status()).reachable).toBe(false);
    await expect(ks.list('')).rejects.toBeInstanceOf(KeystoreUnavailableError);
  });
});
