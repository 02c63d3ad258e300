// Vault's `file` storage layout: logical key `a/b/c` lives in `<root>/a/b/_c`, a JSON object
// `{"Value":"<base64>"}`; directories 0700, files 0600. A put writes a temp file, fdatasyncs it,
// renames it over the target and then fsyncs the directory, so a crash leaves either the old or
// the new value, and a resolved put survives power loss (the rename is in the directory's data).
//
// Cost model, measured on this ext4: creating an inode is the dearest step of a put (≈ 0.2–0.3 ms
// of kernel time), then the fsyncs. So the path does nothing else it can avoid: directories known
// to exist are not re-created per write, every step is one libuv request (no FileHandle wrapper),
// and directory fsyncs are group-committed (@kms-chain/durable-fs DirSyncGroup): one fsync of a
// directory covers every rename into it that finished before that fsync started, so N concurrent
// puts into one directory share a few directory fsyncs instead of making N.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DirSyncGroup } from '@kms-chain/durable-fs';
import { assertValidKey, type Storage } from './storage.js';

/** The file-system calls FileStorage makes; tests wrap them to observe ordering and counts. */
export interface FileOps {
  open(path: string, flags: string, mode?: number): Promise<number>;
  write(fd: number, data: string): Promise<unknown>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Recursive: resolves with the first directory created (undefined when none was). */
  mkdir(path: string, options: { recursive: boolean; mode: number }): Promise<string | undefined>;
  rmdir(path: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string, options: { withFileTypes: true }): Promise<fs.Dirent[]>;
}

/** Node's callback API behind promises: one libuv request per call. */
export const nodeFileOps: FileOps = {
  open: promisify(fs.open) as FileOps['open'],
  write: promisify(fs.write) as FileOps['write'],
  fdatasync: promisify(fs.fdatasync),
  fsync: promisify(fs.fsync),
  close: promisify(fs.close),
  rename: promisify(fs.rename),
  unlink: promisify(fs.unlink),
  mkdir: promisify(fs.mkdir) as FileOps['mkdir'],
  rmdir: promisify(fs.rmdir) as FileOps['rmdir'],
  readFile: promisify(fs.readFile) as FileOps['readFile'],
  readdir: promisify(fs.readdir) as FileOps['readdir'],
};

/** Directories remembered as existing; past this many the memory is dropped and rebuilt. */
const KNOWN_DIRS_MAX = 65536;

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

export class FileStorage implements Storage {
  readonly type = 'file';
  readonly #root: string;
  readonly #ops: FileOps;
  readonly #knownDirs = new Set<string>();
  readonly #creatingDirs = new Map<string, Promise<void>>();
  readonly #dirSyncs: DirSyncGroup;
  /** Temp names are `<target>.<process tag><sequence>.temp`: unique without a random draw per write. */
  readonly #tempTag = randomBytes(4).toString('hex');
  #tempSeq = 0;

  constructor(root: string, ops: FileOps = nodeFileOps) {
    this.#root = root;
    this.#ops = ops;
    this.#dirSyncs = new DirSyncGroup((dir) => this.#fsyncDir(dir));
  }

  #fileFor(key: string): string {
    const slash = key.lastIndexOf('/');
    const dir = slash === -1 ? '' : key.slice(0, slash);
    const leaf = key.slice(slash + 1);
    return join(this.#root, dir, `_${leaf}`);
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    let text: string;
    try {
      text = await this.#ops.readFile(this.#fileFor(key), 'utf8');
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as { Value?: string };
    return Buffer.from(parsed.Value ?? '', 'base64');
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    const file = this.#fileFor(key);
    const dir = dirname(file);
    // Base64 needs no JSON escaping, so the entry is assembled without a JSON.stringify pass.
    const body = `{"Value":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
    const temp = `${file}.${this.#tempTag}${(this.#tempSeq++).toString(36)}.temp`;
    await this.#ensureDir(dir);
    let fd: number;
    try {
      fd = await this.#ops.open(temp, 'w', 0o600);
    } catch (err) {
      // A delete may have removed the (then empty) directory since it was remembered.
      if (!isCode(err, 'ENOENT')) throw err;
      this.#forgetDir(dir);
      await this.#ensureDir(dir);
      fd = await this.#ops.open(temp, 'w', 0o600);
    }
    let closed: Promise<void> | undefined;
    try {
      try {
        await this.#ops.write(fd, body);
        await this.#ops.fdatasync(fd);
      } catch (err) {
        await this.#ops.close(fd).catch(() => undefined);
        throw err;
      }
      // The data is durable: closing needs no wait before the rename (Linux renames open
      // files), so the close overlaps the rename and the directory fsync.
      closed = this.#ops.close(fd);
      await this.#ops.rename(temp, file);
    } catch (err) {
      await closed?.catch(() => undefined);
      await this.#ops.unlink(temp).catch(() => undefined);
      throw err;
    }
    await Promise.all([closed, this.#syncDir(dir)]);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    const file = this.#fileFor(key);
    try {
      await this.#ops.unlink(file);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return;
      throw err;
    }
    // Remove now-empty parent folders, as Vault does, so listings do not show dead prefixes.
    let dir = dirname(file);
    while (dir.length > this.#root.length && dir.startsWith(this.#root)) {
      try {
        await this.#ops.rmdir(dir);
      } catch {
        break;
      }
      this.#forgetDir(dir);
      dir = dirname(dir);
    }
    // The unlink (or the removal of the highest emptied folder) lives in `dir`: make it durable,
    // so a revoked token or deleted secret cannot come back after a crash.
    await this.#syncDir(dir);
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKey(prefix, true);
    let entries: fs.Dirent[];
    try {
      entries = await this.#ops.readdir(join(this.#root, prefix), { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
      throw err;
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) out.push(`${e.name}/`);
      else if (e.name.startsWith('_') && !e.name.endsWith('.temp')) out.push(e.name.slice(1));
    }
    return out.sort();
  }

  /**
   * Makes `dir` (0700) exist durably: each directory is created after its parent, and its entry
   * is fsynced in that parent before any write into it can resolve. Concurrent callers share one
   * creation; directories seen to exist are remembered so writes skip the mkdir.
   */
  #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return Promise.resolve();
    let pending = this.#creatingDirs.get(dir);
    if (!pending) {
      const made = this.#makeDir(dir).finally(() => {
        if (this.#creatingDirs.get(dir) === made) this.#creatingDirs.delete(dir);
      });
      pending = made;
      this.#creatingDirs.set(dir, pending);
    }
    return pending;
  }

  async #makeDir(dir: string): Promise<void> {
    if (dir.length <= this.#root.length) {
      // The root and any missing ancestors: each new entry is fsynced in its parent.
      const first = await this.#ops.mkdir(dir, { recursive: true, mode: 0o700 });
      if (first !== undefined)
        for (let d = dir; d.length >= first.length; d = dirname(d)) await this.#syncDir(dirname(d));
      else await this.#sweepTemps(dir);
      this.#remember(dir);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      await this.#ensureDir(dirname(dir));
      try {
        await this.#ops.mkdir(dir, { recursive: false, mode: 0o700 });
      } catch (err) {
        if (isCode(err, 'EEXIST')) {
          await this.#sweepTemps(dir);
          break;
        }
        if (!isCode(err, 'ENOENT') || attempt >= 3) throw err;
        // A delete removed the parent (then empty) since it was remembered: make it again.
        this.#forgetDir(dirname(dir));
        continue;
      }
      await this.#syncDir(dirname(dir));
      break;
    }
    this.#remember(dir);
  }

  /**
   * Removes temp files a crashed earlier process left in an existing directory, the first time
   * this process writes there: they hold nothing acknowledged, and Vault's own file backend would
   * list them as keys. This process's temp files carry its tag and are left alone.
   */
  async #sweepTemps(dir: string): Promise<void> {
    let names: fs.Dirent[];
    try {
      names = await this.#ops.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const mine = `.${this.#tempTag}`;
    for (const e of names) {
      if (!e.isFile() || !e.name.startsWith('_') || !e.name.endsWith('.temp') || e.name.includes(mine))
        continue;
      await this.#ops.unlink(join(dir, e.name)).catch(() => undefined);
    }
  }

  #remember(dir: string): void {
    if (this.#knownDirs.size >= KNOWN_DIRS_MAX) this.#knownDirs.clear();
    this.#knownDirs.add(dir);
  }

  #forgetDir(dir: string): void {
    this.#knownDirs.delete(dir);
  }

  #syncDir(dir: string): Promise<void> {
    return this.#dirSyncs.sync(dir);
  }

  async #fsyncDir(dir: string): Promise<void> {
    const fd = await this.#ops.open(dir, 'r');
    try {
      await this.#ops.fsync(fd);
    } finally {
      // Waiters are released once the fsync is done; the close finishes on its own.
      void this.#ops.close(fd).catch(() => undefined);
    }
  }
}
