// Files replaced whole, with full durability: the content is written to a temp file in the staging
// folder and fdatasynced, renamed over the target (the commit point: a reader sees the old file or
// the new one, never a part), and the directory fsynced so that the rename survives a power loss.
// Every record the store keeps (meta.json, upload and part records, bucket metadata) is written
// this way. The sequence itself is @kms-chain/durable-fs's; this file binds it to the store's
// layout (staging folder, record names) and adds the store's read helpers.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitFile, writeTempFile } from '@kms-chain/durable-fs';

export { fsyncDir } from '@kms-chain/durable-fs';

/** True when `err` is a Node system error with this code (ENOENT, EEXIST, …). */
export function isNodeError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The text of a file, or undefined when it (or its directory) does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNodeError(err, 'ENOENT') || isNodeError(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** Writes `data` to `dir/name` atomically: temp file in `tmpDir`, fdatasync, rename, fsync of `dir`. */
export async function writeFileAtomic(
  dir: string,
  name: string,
  tmpDir: string,
  data: string,
): Promise<void> {
  await installFile(await writeTemp(tmpDir, data), dir, name);
}

/** Writes `data` to a new fdatasynced file in `tmpDir` and returns its path. */
export function writeTemp(tmpDir: string, data: string): Promise<string> {
  return writeTempFile(tmpDir, data);
}

/**
 * Renames a written temp file to `dir/name` and fsyncs the directory: the commit point. `parents` are
 * directories whose new entries (`dir` itself, its shard) must be durable too; they are synced together.
 */
export function installFile(tmp: string, dir: string, name: string, parents: string[] = []): Promise<void> {
  return commitFile(tmp, join(dir, name), { syncDirs: parents });
}
