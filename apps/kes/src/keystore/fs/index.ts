import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  KeyExistsError,
  KeyNotFoundError,
  type Keystore,
  type KeystoreState,
  KeystoreUnavailableError,
} from '../keystore.js';

const isErrno = (err: unknown, code: string): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;

/**
 * One file per key under `dir`, mode 0600, named by the key name (the API's name rule keeps names
 * free of `/` and `.`-only names, so there is no path traversal). Creation is atomic and exclusive:
 * the value is written and fsynced to a temporary file that is then hard-linked to its final name
 * (EEXIST ⇒ key exists), so readers never see a partial file and two KES processes sharing the
 * directory cannot both create one name.
 */
export class FsKeystore implements Keystore {
  readonly #dir: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.#ready;
  }

  #path(name: string): string {
    if (name.includes('/') || name.includes('\\') || name === '' || name === '.' || name === '..') {
      throw new KeystoreUnavailableError(`fs: invalid key name`);
    }
    return join(this.#dir, name);
  }

  async create(name: string, value: string): Promise<void> {
    const final = this.#path(name);
    try {
      await this.#ensureDir();
      const tmp = join(this.#dir, `.tmp-${randomBytes(8).toString('hex')}`);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(value);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await link(tmp, final);
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new KeyExistsError(name);
      throw new KeystoreUnavailableError(`fs: cannot create key: ${(err as Error).message}`, err);
    }
  }

  async get(name: string): Promise<string> {
    try {
      return await readFile(this.#path(name), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new KeyNotFoundError(name);
      throw new KeystoreUnavailableError(`fs: cannot read key: ${(err as Error).message}`, err);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.#path(name));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw new KeystoreUnavailableError(`fs: cannot delete key: ${(err as Error).message}`, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    try {
      await this.#ensureDir();
      const names = await readdir(this.#dir);
      return names.filter((n) => !n.startsWith('.tmp-') && n.startsWith(prefix)).sort();
    } catch (err) {
      throw new KeystoreUnavailableError(`fs: cannot list keys: ${(err as Error).message}`, err);
    }
  }

  async status(): Promise<KeystoreState> {
    const start = performance.now();
    try {
      await this.#ensureDir();
      await stat(this.#dir);
      return { latencyMs: Math.round(performance.now() - start), reachable: true };
    } catch (err) {
      return { latencyMs: 0, reachable: false, reason: (err as Error).message };
    }
  }

  async close(): Promise<void> {}
}
