import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyCache } from './cache.js';
import { encodeKey, newKey } from './key.js';
import {
  KeyExistsError,
  KeyNotFoundError,
  type Keystore,
  type KeystoreState,
  KeystoreUnavailableError,
} from './keystore/keystore.js';
import { MemKeystore } from './keystore/mem/index.js';

/** A MemKeystore that counts gets and can be switched off. */
class CountingStore extends MemKeystore implements Keystore {
  gets = 0;
  down = false;
  pending: Array<() => void> = [];
  hold = false;
  override async get(name: string): Promise<string> {
    this.gets++;
    if (this.hold) await new Promise<void>((r) => this.pending.push(r));
    if (this.down) throw new KeystoreUnavailableError('down');
    return super.get(name);
  }
  override async status(): Promise<KeystoreState> {
    return this.down ? { latencyMs: 0, reachable: false } : { latencyMs: 1, reachable: true };
  }
}

async function storeWith(...names: string[]): Promise<CountingStore> {
  const s = new CountingStore();
  for (const n of names) await s.create(n, encodeKey(newKey('me')));
  return s;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('KeyCache', () => {
  it('serves repeated gets from memory', async () => {
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    const a = await c.get('k');
    const b = await c.get('k');
    expect(b).toBe(a);
    expect(s.gets).toBe(1);
    expect(a.createdBy).toBe('me');
    await c.close();
  });

  it('a read in flight across a delete does not bring the deleted key back', async () => {
    // A store whose read takes the value at once and answers late (a slow Vault reply).
    class LateStore extends CountingStore {
      override async get(name: string): Promise<string> {
        this.gets++;
        const value = await MemKeystore.prototype.get.call(this, name);
        if (this.hold) await new Promise<void>((r) => this.pending.push(r));
        return value;
      }
    }
    const s = new LateStore();
    await s.create('k', encodeKey(newKey('me')));
    s.hold = true;
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    const before = c.get('k');
    await vi.waitFor(() => expect(s.pending.length).toBe(1));
    await c.delete('k'); // the store first, then this node's entry
    const fresh = newKey('again');
    await s.create('k', encodeKey(fresh));
    s.hold = false;
    for (const r of s.pending) r();
    const old = await before; // the caller that asked before the delete gets what it read
    expect(old.createdBy).toBe('me');
    const now = await c.get('k');
    expect(now.createdBy).toBe('again');
    expect(s.gets).toBe(2);
    await c.close();
  });

  it('coalesces concurrent misses into one keystore call', async () => {
    const s = await storeWith('k');
    s.hold = true;
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    const all = Promise.all(Array.from({ length: 10 }, () => c.get('k')));
    await vi.waitFor(() => expect(s.pending.length).toBe(1));
    for (const r of s.pending) r();
    const keys = await all;
    expect(s.gets).toBe(1);
    expect(new Set(keys).size).toBe(1);
    await c.close();
  });

  it('does not cache misses or failures', async () => {
    const s = await storeWith();
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    await expect(c.get('nope')).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(c.get('nope')).rejects.toBeInstanceOf(KeyNotFoundError);
    expect(s.gets).toBe(2);
    await c.close();
  });

  it('drops everything every `any` interval', async () => {
    vi.useFakeTimers();
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 60_000, unusedMs: 0, offlineMs: 0 });
    await c.get('k');
    vi.advanceTimersByTime(59_000);
    expect(c.size).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(c.size).toBe(0);
    await c.close();
  });

  it('drops entries unused between two sweeps (unused/2 apart)', async () => {
    vi.useFakeTimers();
    const s = await storeWith('hot', 'cold');
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 20_000, offlineMs: 0 });
    await c.get('hot');
    await c.get('cold');
    vi.advanceTimersByTime(10_000); // first sweep: both were used, flags reset
    expect(c.size).toBe(2);
    await c.get('hot');
    vi.advanceTimersByTime(10_000); // second sweep: cold unused since the first
    expect(c.size).toBe(1);
    await c.get('hot');
    expect(s.gets).toBe(2);
    await c.close();
  });

  it('keeps serving while the keystore is offline and wipes only on the offline interval', async () => {
    vi.useFakeTimers();
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 30_000, unusedMs: 20_000, offlineMs: 120_000, probeMs: 10_000 });
    await c.get('k');
    s.down = true;
    await vi.advanceTimersByTimeAsync(10_000); // probe sees the outage
    expect(c.isOffline).toBe(true);
    await vi.advanceTimersByTimeAsync(100_000); // any/unused sweeps are suspended
    expect((await c.get('k')).cipher).toBe('AES256');
    expect(s.gets).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000); // offline wipe at 120 s
    expect(c.size).toBe(0);
    await expect(c.get('k')).rejects.toBeInstanceOf(KeystoreUnavailableError);
    s.down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.isOffline).toBe(false);
    await c.get('k');
    await c.close();
  });

  it('without offline mode, keys expire normally during an outage', async () => {
    vi.useFakeTimers();
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 30_000, unusedMs: 0, offlineMs: 0 });
    await c.get('k');
    s.down = true;
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(c.get('k')).rejects.toBeInstanceOf(KeystoreUnavailableError);
    await c.close();
  });

  it('a failed status check does not suspend expiry when offline mode is off', async () => {
    vi.useFakeTimers();
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 30_000, unusedMs: 0, offlineMs: 0 });
    await c.get('k');
    s.down = true;
    expect((await c.status()).reachable).toBe(false);
    expect(c.isOffline).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.size).toBe(0);
    await c.close();
  });

  it('delete removes the key from the store and from this node', async () => {
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    await c.get('k');
    await c.delete('k');
    expect(c.size).toBe(0);
    await expect(s.get('k')).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(c.get('k')).rejects.toBeInstanceOf(KeyNotFoundError);
    await c.close();
  });

  it("is a keystore of keys: create stores the encoded key, list and status are the store's", async () => {
    const s = await storeWith('a');
    const c = new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 });
    const key = newKey('creator');
    await c.create('b', key);
    expect(await s.get('b')).toBe(encodeKey(key));
    expect(c.size).toBe(0); // cached on first use, not on create
    await expect(c.create('b', newKey('x'))).rejects.toBeInstanceOf(KeyExistsError);
    expect(await c.list('')).toEqual(['a', 'b']);
    expect((await c.get('b')).createdBy).toBe('creator');
    expect(await c.status()).toEqual({ latencyMs: 1, reachable: true });
  });

  it('status feeds the offline detector between probes', async () => {
    const s = await storeWith('k');
    const c = new KeyCache(s, { anyMs: 30_000, unusedMs: 0, offlineMs: 120_000, probeMs: 60_000 });
    s.down = true;
    await c.status();
    expect(c.isOffline).toBe(true);
    s.down = false;
    await c.status();
    expect(c.isOffline).toBe(false);
    await c.close();
  });

  it('close closes the store it wraps', async () => {
    const s = await storeWith();
    let closed = false;
    s.close = async () => {
      closed = true;
    };
    await new KeyCache(s, { anyMs: 0, unusedMs: 0, offlineMs: 0 }).close();
    expect(closed).toBe(true);
  });
});
