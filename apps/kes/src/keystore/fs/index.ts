import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_PREFIX, writeFileAtomic } from '@kms-chain/durable-fs';
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
 * free of `/` and `.`-only names, so there is no path traversal). Creation is atomic, exclusive and
 * durable: the value is written and fdatasynced to a temporary file that is then hard-linked to its
 * final name (EEXIST ⇒ key exists) and the directory fsynced, so readers never see a partial
 * file, two KES processes sharing the directory cannot both create one name, and a key whose
 * create resolved survives a power loss (data sealed under it stays readable).
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
      await writeFileAtomic(final, value, { exclusive: true });
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
      return names.filter((n) => !n.startsWith(TEMP_PREFIX) && n.startsWith(prefix)).sort();
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
