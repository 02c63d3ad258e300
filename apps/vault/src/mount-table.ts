// The mount tables (secrets engines and auth methods) and the router over them: which engine
// serves a path, built from the tables stored under the barrier, changed one at a time.
import { KeyedLock } from '@kms-chain/concurrency';
import { BACKEND_FACTORIES, type BackendDeps } from './backends.js';
import type { Barrier } from './barrier.js';
import { badRequest } from './errors.js';
import { AUTH_PATH, defaultAuths, defaultMounts, MOUNTS_PATH, type MountEntry } from './mounts.js';
import type { Backend } from './types.js';
import { BarrierView } from './view.js';

export class MountTable {
  #mounts: MountEntry[] = [];
  #auths: MountEntry[] = [];
  #backends = new Map<string, Backend>();
  readonly #lock = new KeyedLock();
  readonly #barrier: Barrier;
  readonly #deps: BackendDeps;

  constructor(barrier: Barrier, deps: BackendDeps) {
    this.#barrier = barrier;
    this.#deps = deps;
  }

  get mounts(): readonly MountEntry[] {
    return this.#mounts;
  }

  get auths(): readonly MountEntry[] {
    return this.#auths;
  }

  /** Reads both tables (the defaults when absent) and mounts every engine. */
  async load(): Promise<void> {
    this.#mounts = (await this.#barrier.getJson<MountEntry[]>(MOUNTS_PATH)) ?? defaultMounts();
    this.#auths = (await this.#barrier.getJson<MountEntry[]>(AUTH_PATH)) ?? defaultAuths();
    this.#backends = new Map();
    for (const m of [...this.#mounts, ...this.#auths]) this.#mountBackend(m);
  }

  /** Forgets the tables and engines (seal, standby). */
  clear(): void {
    this.#backends.clear();
    this.#mounts = [];
    this.#auths = [];
  }

  #mountBackend(m: MountEntry): void {
    const factory = BACKEND_FACTORIES.get(m.type);
    if (!factory) return;
    const view = new BarrierView(
      this.#barrier,
      m.table === 'auth' ? `auth/${m.uuid}/` : `logical/${m.uuid}/`,
    );
    this.#backends.set(m.table === 'auth' ? `auth/${m.path}` : m.path, factory(view, m, this.#deps));
  }

  /**
   * Runs a mount-table change (check for conflicts, then add, remove or tune) with no other
   * change in between, so two parallel mounts of one path cannot both pass the check and no
   * table write overwrites another's entry.
   */
  change<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run('mounts', fn);
  }

  /** Adds a mount (secrets or auth) and persists its table. Call inside change. */
  async add(m: MountEntry): Promise<void> {
    const table = m.table === 'auth' ? this.#auths : this.#mounts;
    const next = [...table, m];
    await this.#barrier.putJson(m.table === 'auth' ? AUTH_PATH : MOUNTS_PATH, next);
    if (m.table === 'auth') this.#auths = next;
    else this.#mounts = next;
    this.#mountBackend(m);
  }

  /** Removes a mount and deletes its data; unknown paths are a no-op. */
  async remove(table: 'mounts' | 'auth', path: string): Promise<void> {
    const list = table === 'auth' ? this.#auths : this.#mounts;
    const m = list.find((e) => e.path === path);
    if (!m) return;
    if (m.type === 'system' || m.type === 'cubbyhole' || m.type === 'identity' || m.type === 'token')
      throw badRequest(`cannot unmount "${path}"`);
    const next = list.filter((e) => e !== m);
    await this.#barrier.putJson(table === 'auth' ? AUTH_PATH : MOUNTS_PATH, next);
    if (table === 'auth') this.#auths = next;
    else this.#mounts = next;
    this.#backends.delete(table === 'auth' ? `auth/${m.path}` : m.path);
    await new BarrierView(this.#barrier, table === 'auth' ? `auth/${m.uuid}/` : `logical/${m.uuid}/`).clear();
  }

  async updateConfig(m: MountEntry, config: MountEntry['config']): Promise<void> {
    m.config = config;
    await this.#barrier.putJson(
      m.table === 'auth' ? AUTH_PATH : MOUNTS_PATH,
      m.table === 'auth' ? this.#auths : this.#mounts,
    );
  }

  /** Finds the engine for a path: [backend, mount path, relative path]. */
  route(path: string): [Backend, string, string] | undefined {
    let best: string | undefined;
    const withSlash = path.endsWith('/') ? path : `${path}/`;
    for (const key of this.#backends.keys()) {
      if ((path.startsWith(key) || withSlash === key) && (!best || key.length > best.length)) best = key;
    }
    if (!best) return undefined;
    return [this.#backends.get(best)!, best, path.length >= best.length ? path.slice(best.length) : ''];
  }

  /** The entry mounted at a router mount path (`kv/`, `auth/approle/`). */
  entryAt(mountPath: string): MountEntry | undefined {
    return [...this.#mounts, ...this.#auths].find((e) =>
      e.table === 'auth' ? `auth/${e.path}` === mountPath : e.path === mountPath,
    );
  }

  /** The auth method with this uuid and its engine. */
  authByUuid(uuid: string): { entry: MountEntry; backend: Backend | undefined } | undefined {
    const entry = this.#auths.find((a) => a.uuid === uuid);
    return entry ? { entry, backend: this.#backends.get(`auth/${entry.path}`) } : undefined;
  }
}
