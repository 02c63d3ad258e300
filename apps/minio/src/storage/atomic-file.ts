// Files replaced whole, with full durability: the content is written to a temp file in the staging
// folder and fsynced, renamed over the target (the commit point: a reader sees the old file or the new
// one, never a part), and the directory fsynced so that the rename survives a power loss. Every record
// the store keeps (meta.json, upload and part records, bucket metadata) is written this way.
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

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

/** fsync of a directory: makes its new, renamed and removed entries durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `dir/name` atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(
  dir: string,
  name: string,
  tmpDir: string,
  data: string,
): Promise<void> {
  await installFile(await writeTemp(tmpDir, data), dir, name);
}

/** Writes `data` to a new fsynced file in `tmpDir` and returns its path. */
export async function writeTemp(tmpDir: string, data: string): Promise<string> {
  const tmp = join(tmpDir, `${randomUUID()}.json`);
  const fh = await open(tmp, 'wx', 0o600);
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
 * Renames a written temp file to `dir/name` and fsyncs the directory: the commit point. `parents` are
 * directories whose new entries (`dir` itself, its shard) must be durable too; they are synced together.
 */
export async function installFile(
  tmp: string,
  dir: string,
  name: string,
  parents: string[] = [],
): Promise<void> {
  try {
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await Promise.all([dir, ...parents].map(fsyncDir));
}
