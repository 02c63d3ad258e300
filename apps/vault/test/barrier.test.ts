// The barrier over storage: ciphertext only, path-bound, rotation, sealed errors, and a cache that
// stays coherent with storage under concurrent reads and writes of one path.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../src/barrier.js';
import { InmemStorage } from '../src/storage/inmem.js';
import type { Storage } from '../src/storage/storage.js';

/** In-memory storage whose operations finish in random order. */
class JitteryStorage extends InmemStorage {
  async #jitter() {
    await new Promise((r) => setTimeout(r, Math.random() * 4));
  }
  override async get(key: string) {
    const v = await super.get(key);
    await this.#jitter();
    return v;
  }
  override async put(key: string, value: Uint8Array) {
    await this.#jitter();
    await super.put(key, value);
  }
}

async function ready(storage: Storage = new InmemStorage()) {
  const barrier = new Barrier(storage);
  const root = randomBytes(32);
  await barrier.initialize(root);
  return { barrier, root, storage };
}

describe('Barrier', () => {
  it('stores ciphertext bound to its path; reopens with the root key only', async () => {
    const { barrier, root, storage } = await ready();
    await barrier.put('logical/x/secret', Buffer.from('top secret value'));
    const blob = (await storage.get('logical/x/secret'))!;
    expect(blob.includes(Buffer.from('top secret'))).toBe(false);
    expect(blob.readUInt32BE(0)).toBe(1);
    expect(blob[4]).toBe(2);
    await storage.put('logical/y/moved', blob);
    await expect(barrier.get('logical/y/moved')).rejects.toThrow(/message authentication failed/);
    barrier.seal();
    await expect(barrier.get('logical/x/secret')).rejects.toMatchObject({ status: 503 });
    await expect(new Barrier(storage).unseal(randomBytes(32))).rejects.toThrow();
    const reopened = new Barrier(storage);
    await reopened.unseal(root);
    expect((await reopened.get('logical/x/secret'))!.toString()).toBe('top secret value');
  });

  it('rotation: new writes use the new term, old ones stay readable', async () => {
    const { barrier, root, storage } = await ready();
    await barrier.put('a', Buffer.from('one'));
    await barrier.rotate();
    await barrier.put('b', Buffer.from('two'));
    expect((await storage.get('a'))!.readUInt32BE(0)).toBe(1);
    expect((await storage.get('b'))!.readUInt32BE(0)).toBe(2);
    const reopened = new Barrier(storage);
    await reopened.unseal(root);
    expect(reopened.keyStatus().term).toBe(2);
    expect((await reopened.get('a'))!.toString()).toBe('one');
    expect((await reopened.get('b'))!.toString()).toBe('two');
  });

  it('keeps the cache equal to storage under concurrent writes and reads of one path', async () => {
    const storage = new JitteryStorage();
    const { barrier, root } = await ready(storage);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      ops.push(barrier.put('hot', Buffer.from(String(i))));
      ops.push(barrier.get('hot'));
    }
    await Promise.all(ops);
    const cached = (await barrier.get('hot'))!.toString();
    const fresh = new Barrier(storage);
    await fresh.unseal(root);
    expect(cached).toBe('199');
    expect((await fresh.get('hot'))!.toString()).toBe('199');
  });
});
