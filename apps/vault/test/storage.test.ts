// Storage backends against one contract, and the file backend's on-disk layout (Vault's).
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStorage } from '../src/storage/file.js';
import { InmemStorage } from '../src/storage/inmem.js';
import { type Storage, StorageKeyError } from '../src/storage/storage.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-storage-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
const backends: Array<[string, () => Storage]> = [
  ['file', () => new FileStorage(join(dir, `s${n++}`))],
  ['inmem', () => new InmemStorage()],
];

describe.each(backends)('%s storage contract', (_name, make) => {
  it('get/put/delete/list with folders and leaves', async () => {
    const s = make();
    expect(await s.get('a/b')).toBeUndefined();
    expect(await s.list('')).toEqual([]);
    await s.put('a/b', Buffer.from('1'));
    await s.put('a/c/d', Buffer.from('2'));
    await s.put('a/c', Buffer.from('3'));
    await s.put('z', new Uint8Array([0, 255]));
    expect((await s.get('a/b'))!.toString()).toBe('1');
    expect([...(await s.get('z'))!]).toEqual([0, 255]);
    expect(await s.list('')).toEqual(['a/', 'z']);
    expect(await s.list('a/')).toEqual(['b', 'c', 'c/']);
    await s.put('a/b', Buffer.from('overwritten'));
    expect((await s.get('a/b'))!.toString()).toBe('overwritten');
    await s.delete('a/c/d');
    await s.delete('a/c/d');
    expect(await s.list('a/')).toEqual(['b', 'c']);
    expect(await s.list('nothing/')).toEqual([]);
  });

  it.each(['../x', 'a/../b', 'a//b', './a', '', 'a/', 'a\\b'])('refuses key %j', async (key) => {
    const s = make();
    await expect(s.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(StorageKeyError);
    await expect(s.get(key)).rejects.toBeInstanceOf(StorageKeyError);
  });
});

describe('file layout', () => {
  it('leaf files are _name with {"Value": base64}, 0600 in 0700 dirs, no temp files left, empty dirs removed', async () => {
    const root = join(dir, 'layout');
    const s = new FileStorage(root);
    await s.put('core/seal-config', Buffer.from('{"type":"shamir"}'));
    await s.put('logical/u1/deep/key', Buffer.from('v'));
    const raw = JSON.parse(await readFile(join(root, 'core', '_seal-config'), 'utf8'));
    expect(raw).toEqual({ Value: Buffer.from('{"type":"shamir"}').toString('base64') });
    expect((await stat(join(root, 'core', '_seal-config'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'logical', 'u1', 'deep'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(root, 'core'))).toEqual(['_seal-config']);
    await s.delete('logical/u1/deep/key');
    expect(await readdir(root)).toEqual(['core']);
  });
});
