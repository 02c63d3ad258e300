// Files replaced (or created) whole, with full durability. The one sequence every writer here
// needs, written once:
//   1. the data goes to a new temp file (exclusive create, mode 0600 by default) beside the target
//      or in a staging folder on the same filesystem;
//   2. fdatasync: the bytes and the size are on disk before the name points at them;
//   3. rename over the target — or, for an exclusive create, a hard link to it that fails with
//      EEXIST if the name exists, then the temp name removed: the commit point, where a reader
//      sees the old file or the new one, never a part;
//   4. fsync of the target's directory (and any parent directories the caller names): without it
//      the rename may be lost on power failure even though the write had resolved. Concurrent
//      commits into one directory share these fsyncs (group commit, see dir-sync.ts).
// A crash before step 3 leaves only a temp file (named `.tmp-<uuid>`), which the caller's sweep or
// listing ignores; after step 3 the new content is in place.
import { randomUUID } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DirSyncGroup } from './dir-sync.js';

/** The process's directory fsyncs, group-committed across every commitFile. */
const dirSyncs = new DirSyncGroup();

/** Prefix of every temp file name, so that listings can skip leftovers of a crash. */
export const TEMP_PREFIX = '.tmp-';

export interface AtomicWriteOptions {
  /** Mode of the new file (before the umask). Default 0o600: these files hold keys and records. */
  mode?: number;
  /** Folder of the temp file; default the target's directory. Must be on the target's filesystem. */
  tmpDir?: string;
  /** Create only: fail with an EEXIST error, leaving the existing file alone, if the target exists. */
  exclusive?: boolean;
  /** Further directories whose entries must be durable too (new parents of the target). */
  syncDirs?: readonly string[];
}

/**
 * Writes `data` to `path` atomically and durably: temp file, fdatasync, rename (or exclusive
 * link), fsync of the directory. Resolves once the new content survives a power loss.
 * Concurrent writers of one path: the last rename wins whole; with `exclusive` exactly one wins
 * and the others get EEXIST.
 * @throws the Node system error of the step that failed (EEXIST for a taken name with
 *   `exclusive`, ENOENT for a missing directory, …); the temp file is removed on failure.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = await writeTempFile(options.tmpDir ?? dirname(path), data, options.mode);
  await commitFile(tmp, path, options);
}

/**
 * Steps 1 and 2 alone: a new fdatasynced file in `dir` holding `data`; returns its path. For
 * callers that write the temp early and commit it later (see commitFile).
 * @throws the Node system error of the failed step; nothing is left behind then.
 */
export async function writeTempFile(dir: string, data: string | Uint8Array, mode = 0o600): Promise<string> {
  const tmp = join(dir, `${TEMP_PREFIX}${randomUUID()}`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Steps 3 and 4: makes the durable temp file `tmp` the file `path` and fsyncs `path`'s directory
 * together with `syncDirs`. The temp file is gone afterwards, whether or not this succeeds.
 * @throws the Node system error of the rename or link (EEXIST with `exclusive`) or of a fsync.
 */
export async function commitFile(
  tmp: string,
  path: string,
  options: Pick<AtomicWriteOptions, 'exclusive' | 'syncDirs'> = {},
): Promise<void> {
  try {
    if (options.exclusive) await link(tmp, path);
    else await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The temp name's removal needs no durability: a leftover is only a temp file.
  if (options.exclusive) await unlink(tmp).catch(() => {});
  await Promise.all([dirname(path), ...(options.syncDirs ?? [])].map((d) => dirSyncs.sync(d)));
}
