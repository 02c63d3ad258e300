// Vault's `file` storage layout: logical key `a/b/c` lives in `<root>/a/b/_c`, a JSON object
// `{"Value":"<base64>"}`; directories 0700, files 0600; writes go to a temp file that is fsynced
// and renamed over the target, so a crash leaves either the old or the new value.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertValidKey, type Storage } from './storage.js';

export class FileStorage implements Storage {
  readonly type = 'file';
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
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
      text = await readFile(this.#fileFor(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as { Value?: string };
    return Buffer.from(parsed.Value ?? '', 'base64');
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    const file = this.#fileFor(key);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${randomBytes(6).toString('hex')}.temp`;
    const body = JSON.stringify({ Value: Buffer.from(value).toString('base64') });
    const fh = await open(temp, 'w', 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await unlink(this.#fileFor(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return;
    }
    // Remove now-empty parent folders, as Vault does, so listings do not show dead prefixes.
    let dir = dirname(this.#fileFor(key));
    while (dir.length > this.#root.length && dir.startsWith(this.#root)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKey(prefix, true);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(this.#root, prefix), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) out.push(`${e.name}/`);
      else if (e.name.startsWith('_') && !e.name.endsWith('.temp')) out.push(e.name.slice(1));
    }
    return out.sort();
  }
}
