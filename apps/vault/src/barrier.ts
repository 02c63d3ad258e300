// The security barrier: every entry above the seal is AES-256-GCM under the keyring (format and
// path-as-AAD from @kms-chain/crypto). The keyring itself is encrypted with the root key; a copy
// of the root key under the newest keyring key is kept at core/master, as Vault does.
import { randomFillSync } from 'node:crypto';
import { barrierDecrypt, barrierEncrypt, zeroize } from '@kms-chain/crypto';
import { sealedError } from './errors.js';
import { releaseSecret, secretBuffer, secretCopy } from './mlock.js';
import type { Storage } from './storage/storage.js';

export const KEYRING_PATH = 'core/keyring';
export const ROOT_KEY_PATH = 'core/master';

interface KeyTerm {
  term: number;
  value: Buffer;
  installTime: string;
  encryptions: number;
}

interface KeyringJson {
  MasterKey: string;
  Keys: Array<{ Term: number; Version: number; Value: string; InstallTime: string; encryptions?: number }>;
  RotationConfig: { max_operations: number; interval: number };
}

/** Decrypted entries kept in memory; Vault's physical cache defaults to this many entries. */
const CACHE_SIZE = 131072;

/** An encrypting view over a Storage. Every method rejects with 503 `Vault is sealed` while sealed. */
/** Where the barrier's operation timings go (the server's telemetry). */
export interface Timer {
  time<T>(key: readonly string[], fn: () => Promise<T>): Promise<T>;
}

export class Barrier {
  readonly #storage: Storage;
  #rootKey: Buffer | undefined;
  #terms = new Map<number, KeyTerm>();
  #active = 0;
  readonly #cache = new Map<string, Buffer | null>();
  /** Reads in flight and the tail of queued writes, per path (cache coherence under concurrency). */
  readonly #readers = new Map<string, Set<{ stale: boolean }>>();
  readonly #writes = new Map<string, Promise<unknown>>();

  /** Times each get/put/delete/list as Vault's `vault.barrier.*` samples. */
  readonly #timer: Timer | undefined;

  constructor(storage: Storage, timer?: Timer) {
    this.#storage = storage;
    this.#timer = timer;
  }

  #timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.#timer ? this.#timer.time(['barrier', op], fn) : fn();
  }

  get storage(): Storage {
    return this.#storage;
  }

  isSealed(): boolean {
    return this.#rootKey === undefined;
  }

  /** Creates the first keyring (term 1) for a new root key and leaves the barrier unsealed. */
  async initialize(rootKey: Buffer): Promise<void> {
    this.#rootKey = secretCopy(rootKey);
    this.#terms = new Map([
      [1, { term: 1, value: newKey(), installTime: new Date().toISOString(), encryptions: 0 }],
    ]);
    this.#active = 1;
    await this.#persistKeyring();
  }

  /** Opens the keyring with the root key; a wrong key fails with the GCM authentication error. */
  async unseal(rootKey: Buffer): Promise<void> {
    const blob = await this.#storage.get(KEYRING_PATH);
    if (!blob) throw new Error('barrier not initialized');
    const plain = barrierDecrypt(() => rootKey, KEYRING_PATH, blob);
    try {
      const ring = JSON.parse(plain.toString('utf8')) as KeyringJson;
      const terms = new Map<number, KeyTerm>();
      for (const k of ring.Keys) {
        terms.set(k.Term, {
          term: k.Term,
          value: decodeKey(k.Value),
          installTime: k.InstallTime,
          encryptions: k.encryptions ?? 0,
        });
      }
      this.#terms = terms;
      this.#active = Math.max(...terms.keys());
      this.#rootKey = secretCopy(rootKey);
    } finally {
      zeroize(plain);
    }
  }

  /**
   * Reads the keyring again with the root key in memory and forgets every cached plaintext: an HA
   * node taking over, or a standby meeting a term it does not know, catches up with the keys the
   * active node rotated meanwhile.
   */
  async reload(): Promise<void> {
    if (this.isSealed()) throw sealedError();
    const root = this.#rootKey!;
    const old = [...this.#terms.values()];
    await this.unseal(root);
    releaseSecret(root);
    for (const t of old) releaseSecret(t.value);
    for (const v of this.#cache.values()) if (v) zeroize(v);
    this.#cache.clear();
  }

  /**
   * Reads and decrypts `path` straight from storage, leaving the cache alone: what another node
   * wrote (an HA standby reading the active node's advertisement). A term this node does not
   * know yet makes it reload the keyring once.
   */
  async readThrough(path: string): Promise<Buffer | undefined> {
    if (this.isSealed()) throw sealedError();
    const blob = await this.#storage.get(path);
    if (!blob) return undefined;
    try {
      return Buffer.from(barrierDecrypt(this.#keyFor, path, blob));
    } catch {
      await this.reload();
      return Buffer.from(barrierDecrypt(this.#keyFor, path, blob));
    }
  }

  /** Drops every key and cached plaintext from memory. */
  seal(): void {
    for (const t of this.#terms.values()) releaseSecret(t.value);
    for (const v of this.#cache.values()) if (v) zeroize(v);
    releaseSecret(this.#rootKey);
    this.#terms.clear();
    this.#cache.clear();
    this.#rootKey = undefined;
    this.#active = 0;
  }

  async #persistKeyring(): Promise<void> {
    const root = this.#rootKey!;
    const ring: KeyringJson = {
      MasterKey: root.toString('base64'),
      Keys: [...this.#terms.values()].map((t) => ({
        Term: t.term,
        Version: 1,
        Value: t.value.toString('base64'),
        InstallTime: t.installTime,
        encryptions: t.encryptions,
      })),
      RotationConfig: { max_operations: 3865470566, interval: 0 },
    };
    const plain = Buffer.from(JSON.stringify(ring));
    try {
      await this.#storage.put(KEYRING_PATH, barrierEncrypt(root, 1, KEYRING_PATH, plain));
    } finally {
      zeroize(plain);
    }
    const active = this.#terms.get(this.#active)!;
    await this.#storage.put(ROOT_KEY_PATH, barrierEncrypt(active.value, active.term, ROOT_KEY_PATH, root));
  }

  #keyFor = (term: number): Uint8Array | undefined => this.#terms.get(term)?.value;

  get(path: string): Promise<Buffer | undefined> {
    return this.#timed('get', () => this.#get(path));
  }

  async #get(path: string): Promise<Buffer | undefined> {
    if (this.isSealed()) throw sealedError();
    const cached = this.#cache.get(path);
    if (cached !== undefined) return cached === null ? undefined : Buffer.from(cached);
    const reader = { stale: false };
    const readers = this.#readers.get(path) ?? new Set();
    readers.add(reader);
    this.#readers.set(path, readers);
    let blob: Buffer | undefined;
    try {
      blob = await this.#storage.get(path);
    } finally {
      readers.delete(reader);
      if (readers.size === 0 && this.#readers.get(path) === readers) this.#readers.delete(path);
    }
    // A write that started meanwhile makes what was read stale: return it, do not cache it.
    const fresh = !reader.stale && !this.#writes.has(path);
    if (!blob) {
      if (fresh) this.#remember(path, null);
      return undefined;
    }
    const plain = barrierDecrypt(this.#keyFor, path, blob);
    if (fresh) this.#remember(path, plain);
    return Buffer.from(plain);
  }

  /**
   * Runs storage writes of one path in call order, so the last call's value is what is stored;
   * resolves true when this write is the newest of its path (only that one may fill the cache).
   */
  async #writeInOrder(path: string, op: () => Promise<void>): Promise<boolean> {
    this.#cache.delete(path);
    for (const r of this.#readers.get(path) ?? []) r.stale = true;
    const run = (this.#writes.get(path) ?? Promise.resolve()).then(op);
    const tail = run.catch(() => undefined);
    this.#writes.set(path, tail);
    try {
      await run;
    } finally {
      if (this.#writes.get(path) === tail) this.#writes.delete(path);
    }
    return !this.#writes.has(path);
  }

  put(path: string, value: Uint8Array): Promise<void> {
    return this.#timed('put', () => this.#put(path, value));
  }

  async #put(path: string, value: Uint8Array): Promise<void> {
    if (this.isSealed()) throw sealedError();
    const active = this.#terms.get(this.#active)!;
    const blob = barrierEncrypt(active.value, active.term, path, value);
    active.encryptions++;
    if (await this.#writeInOrder(path, () => this.#storage.put(path, blob)))
      this.#remember(path, Buffer.from(value));
  }

  delete(path: string): Promise<void> {
    return this.#timed('delete', () => this.#delete(path));
  }

  async #delete(path: string): Promise<void> {
    if (this.isSealed()) throw sealedError();
    if (await this.#writeInOrder(path, () => this.#storage.delete(path))) this.#remember(path, null);
  }

  list(prefix: string): Promise<string[]> {
    return this.#timed('list', async () => {
      if (this.isSealed()) throw sealedError();
      return this.#storage.list(prefix);
    });
  }

  async getJson<T>(path: string): Promise<T | undefined> {
    const raw = await this.get(path);
    return raw ? (JSON.parse(raw.toString('utf8')) as T) : undefined;
  }

  async putJson(path: string, value: unknown): Promise<void> {
    await this.put(path, Buffer.from(JSON.stringify(value)));
  }

  #remember(path: string, value: Buffer | null): void {
    if (this.#cache.size >= CACHE_SIZE) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(path, value);
  }

  /** Adds term N+1 and makes it the active encryption key; old terms stay readable. */
  async rotate(): Promise<{ term: number; installTime: string }> {
    if (this.isSealed()) throw sealedError();
    const term = this.#active + 1;
    const installTime = new Date().toISOString();
    this.#terms.set(term, { term, value: newKey(), installTime, encryptions: 0 });
    this.#active = term;
    await this.#persistKeyring();
    return { term, installTime };
  }

  keyStatus(): { term: number; install_time: string; encryptions: number } {
    if (this.isSealed()) throw sealedError();
    const t = this.#terms.get(this.#active)!;
    return { term: t.term, install_time: t.installTime, encryptions: t.encryptions };
  }
}

/** A fresh 32-byte keyring key, in locked memory when the server locked it. */
function newKey(): Buffer {
  return randomFillSync(secretBuffer(32));
}

/** A keyring key from its base64 form, decoded straight into locked memory when available. */
function decodeKey(b64: string): Buffer {
  const key = secretBuffer(Buffer.byteLength(b64, 'base64'));
  key.write(b64, 'base64');
  return key;
}
