// `vault operator migrate` (docs/vault.md#storage-migration): an offline copy of every storage
// entry from one backend to another, as stored — ciphertext stays ciphertext, no unseal needed.
// Keys are copied in lexicographic depth-first order so that `-start` can resume an interrupted
// run; a lock entry in the source keeps a server from starting on it meanwhile.
import type { Storage } from './storage.js';

/** The source's migration lock: `{"start": <RFC 3339 time>}` while a migration runs. */
export const MIGRATION_LOCK = 'core/migration';
/** The HA lock's key: node-local, never copied. */
const CORE_LOCK = 'core/lock';

export interface MigrationStatus {
  start: string;
}

/** The lock entry when a migration holds `storage`, else undefined. */
export async function migrationStatus(storage: Storage): Promise<MigrationStatus | undefined> {
  const raw = await storage.get(MIGRATION_LOCK);
  if (!raw) return undefined;
  const parsed = JSON.parse(raw.toString('utf8')) as Partial<MigrationStatus>;
  return { start: String(parsed.start ?? '') };
}

/** Sets (with the current time) or clears the migration lock of `storage`. */
export async function setMigrationLock(storage: Storage, on: boolean): Promise<void> {
  if (!on) return storage.delete(MIGRATION_LOCK);
  return storage.put(MIGRATION_LOCK, Buffer.from(JSON.stringify({ start: new Date().toISOString() })));
}

/** Every leaf key of `storage`, in lexicographic depth-first order (Vault's dfsScan). */
export async function* leafKeys(storage: Storage): AsyncGenerator<string> {
  const stack = [''];
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (key === '' || key.endsWith('/')) {
      const children = (await storage.list(key)).filter((c) => c !== '').sort();
      for (let i = children.length - 1; i >= 0; i--) stack.push(key + children[i]);
    } else yield key;
  }
}

/**
 * Copies every entry of `from` whose key is at or after `start` (lexicographically) to `to`,
 * except the migration and HA locks, holding the source's migration lock meanwhile.
 * @returns the number of entries copied.
 * @throws Error `storage migration in progress (started: …)` when the source is already locked;
 *   storage errors of either side as they come (the lock is released either way).
 */
export async function migrateStorage(
  from: Storage,
  to: Storage,
  opts: { start?: string; onCopied?: (key: string) => void } = {},
): Promise<number> {
  const status = await migrationStatus(from);
  if (status) throw new Error(`storage migration in progress (started: ${status.start})`);
  await setMigrationLock(from, true);
  let copied = 0;
  try {
    for await (const key of leafKeys(from)) {
      if (key < (opts.start ?? '') || key === MIGRATION_LOCK || key === CORE_LOCK) continue;
      const value = await from.get(key);
      if (value === undefined) continue;
      await to.put(key, value);
      copied++;
      opts.onCopied?.(key);
    }
  } finally {
    await setMigrationLock(from, false);
  }
  return copied;
}
