import { describe, expect, it } from 'vitest';
import { MetaCache } from './meta-cache.js';

const MiB = 1024 * 1024;

describe('MetaCache', () => {
  it('stays within its byte bound, ids included, however many entries arrive', () => {
    const cache = new MetaCache(1 * MiB, 64 * 1024);
    // Keys reach 1024 characters: with small meta.json texts the ids are most of an entry's weight.
    const text = JSON.stringify({ size: 1, etag: 'e'.repeat(32), parts: [] });
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = `bucket/${String(i).padStart(1000, 'k')}`;
      ids.push(id);
      cache.set(id, text);
      expect(cache.bytes).toBeLessThanOrEqual(1 * MiB);
    }
    let held = 0;
    for (const id of ids) {
      const t = cache.get(id);
      if (t !== undefined) held += id.length + t.length;
    }
    expect(held).toBeLessThanOrEqual(1 * MiB);
    expect(cache.size).toBeGreaterThan(0);
    // The newest entries are the ones kept.
    expect(cache.get(ids.at(-1)!)).toBe(text);
  });

  it('skips texts over the entry limit and accounts deletes and overwrites', () => {
    const cache = new MetaCache(MiB, 100);
    cache.set('b/big', 'x'.repeat(101));
    expect(cache.size).toBe(0);
    cache.set('b/k', 'a'.repeat(50));
    const one = cache.bytes;
    cache.set('b/k', 'b'.repeat(50));
    expect(cache.bytes).toBe(one);
    cache.delete('b/k');
    expect(cache.bytes).toBe(0);
    cache.set('b/k', 'c');
    cache.clear();
    expect([cache.bytes, cache.size]).toEqual([0, 0]);
  });
});
