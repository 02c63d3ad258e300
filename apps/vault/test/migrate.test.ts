// Storage migration (vault operator migrate): every entry copied as stored, in lexicographic
// order from `start`, the locks left behind, the source locked meanwhile and released after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStorage } from '../src/storage/file.js';
import { InmemStorage } from '../src/storage/inmem.js';
import { leafKeys, MIGRATION_LOCK, migrateStorage, migrationStatus } from '../src/storage/migrate.js';
import type { Storage } from '../src/storage/storage.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-migrate-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function filled(): Promise<FileStorage> {
  const s = new FileStorage(join(dir, `src-${Math.random().toString(36).slice(2)}`));
  for (const [k, v] of [
    ['core/keyring', 'kr'],
    ['core/seal-config', 'sc'],
    ['core/lock', 'node-local'],
    ['logical/u1/a', '1'],
    ['logical/u1/b/c', '2'],
    ['sys/token/id/h1', 't'],
  ])
    await s.put(k!, Buffer.from(v!));
  return s;
}

async function dump(s: Storage): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const k of leafKeys(s)) out[k] = (await s.get(k))!.toString();
  return out;
}

describe('migrateStorage', () => {
  it('walks keys in lexicographic depth-first order', async () => {
    const keys: string[] = [];
    for await (const k of leafKeys(await filled())) keys.push(k);
    expect(keys).toEqual([
      'core/keyring',
      'core/lock',
      'core/seal-config',
      'logical/u1/a',
      'logical/u1/b/c',
      'sys/token/id/h1',
    ]);
  });

  it('copies every entry byte for byte but the HA lock, and releases the source', async () => {
    const from = await filled();
    const to = new InmemStorage();
    const copied: string[] = [];
    expect(await migrateStorage(from, to, { onCopied: (k) => copied.push(k) })).toBe(5);
    expect(copied).not.toContain('core/lock');
    const want = await dump(from);
    delete want['core/lock'];
    expect(await dump(to)).toEqual(want);
    expect(await migrationStatus(from)).toBeUndefined();
  });

  it('starts at -start, lexicographically', async () => {
    const to = new InmemStorage();
    await migrateStorage(await filled(), to, { start: 'logical/u1/b' });
    expect(Object.keys(await dump(to))).toEqual(['logical/u1/b/c', 'sys/token/id/h1']);
  });

  it('refuses a source that another migration holds, and releases its own lock after a failure', async () => {
    const from = await filled();
    await from.put(MIGRATION_LOCK, Buffer.from('{"start":"2026-12-06T10:00:00Z"}'));
    await expect(migrateStorage(from, new InmemStorage())).rejects.toThrow(
      'storage migration in progress (started: 2026-12-06T10:00:00Z)',
    );
    await from.delete(MIGRATION_LOCK);
    const failing: Storage = Object.assign(new InmemStorage(), {
      put: async () => {
        throw new Error('disk full');
      },
    });
    await expect(migrateStorage(from, failing)).rejects.toThrow('disk full');
    expect(await migrationStatus(from)).toBeUndefined();
  });
});
