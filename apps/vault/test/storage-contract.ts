// The contract every storage backend keeps (src/storage/storage.ts), as tests each backend's
// suite runs: `make` gives a fresh, empty storage.
import { expect, it } from 'vitest';
import { type Storage, StorageKeyError } from '../src/storage/storage.js';

export function storageContract(make: () => Storage | Promise<Storage>): void {
  it('get/put/delete/list with folders and leaves', async () => {
    const s = await make();
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
    const s = await make();
    await expect(s.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(StorageKeyError);
    await expect(s.get(key)).rejects.toBeInstanceOf(StorageKeyError);
  });
}
