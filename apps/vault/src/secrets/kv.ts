// KV secrets engine, versions 1 and 2.
import { createHash } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import { parseDurationSeconds } from '../duration.js';
import { badRequest, noHandler, notFound, unsupportedOperation, VaultError } from '../errors.js';
import { bool, has, int, seconds } from '../fields.js';
import { Router, write } from '../framework/router.js';
import type { Backend, BackendRequest, LogicalResponse } from '../types.js';
import type { BarrierView } from '../view.js';

/** KV v1: whole JSON objects at arbitrary keys. */
export class KvV1Backend implements Backend {
  readonly type = 'kv';
  readonly #view: BarrierView;
  readonly #defaultTtl: () => number;

  constructor(view: BarrierView, defaultTtl: () => number) {
    this.#view = view;
    this.#defaultTtl = defaultTtl;
  }

  readonly #router = new Router([
    {
      pattern: /^(?<key>[\s\S]*)$/,
      operations: {
        read: (req) => this.#read(req.path),
        ...write((req) => this.#write(req)),
        delete: (req) => this.#delete(req.path),
        list: (req) => this.#list(req.path),
      },
      existence: async (req) => {
        if (req.path === '' || req.path.endsWith('/')) return false;
        return (await this.#view.get(req.path)) !== undefined;
      },
    },
  ]);

  handle = (req: BackendRequest) => this.#router.handle(req);
  existence = (req: BackendRequest) => this.#router.existence(req);

  async #read(key: string): Promise<LogicalResponse> {
    // A folder (`a/`) is no secret: 404 as in Vault, not a storage-key error.
    if (key === '' || key.endsWith('/')) throw notFound();
    const raw = await this.#view.getJson<Record<string, unknown>>(key);
    if (!raw) throw notFound();
    let lease = this.#defaultTtl();
    const ttlField = raw['ttl'] ?? raw['lease'];
    if (ttlField !== undefined) {
      const s = parseDurationSeconds(ttlField);
      if (s !== undefined && s > 0) lease = s;
    }
    return { data: raw, leaseDuration: lease };
  }

  async #write(req: BackendRequest): Promise<null> {
    const key = req.path;
    if (key === '' || key.endsWith('/')) throw badRequest('missing key');
    if (Object.keys(req.data).length === 0) throw badRequest('missing data fields');
    if (has(req.data, 'ttl') && parseDurationSeconds(req.data['ttl']) === undefined)
      throw badRequest(`failed to parse ttl: ${JSON.stringify(req.data['ttl'])}`);
    await this.#view.putJson(key, req.data);
    return null;
  }

  async #delete(key: string): Promise<null> {
    if (key === '' || key.endsWith('/')) return null;
    await this.#view.delete(key);
    return null;
  }

  async #list(prefix: string): Promise<LogicalResponse> {
    const keys = await this.#view.list(prefix);
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  }
}

interface VersionMeta {
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface KeyMetadata {
  key: string;
  versions: Record<string, VersionMeta>;
  current_version: number;
  oldest_version: number;
  created_time: string;
  updated_time: string;
  max_versions: number;
  cas_required: boolean;
  delete_version_after: number;
  custom_metadata: Record<string, string> | null;
}

interface KvConfig {
  max_versions: number;
  cas_required: boolean;
  delete_version_after: number;
}

const nowIso = () => new Date().toISOString();
/** Where version v of key is stored (keys are hashed, so a key's own slashes make no folders). */
const versionKey = (key: string, v: number) =>
  `versions/${createHash('sha256').update(key).digest('hex')}/${v}`;

/**
 * KV v2: versioned secrets under data/, metadata/, delete/, undelete/, destroy/, config. Every
 * change to a key (new version, metadata, delete/undelete/destroy) runs under that key's lock, so
 * check-and-set holds under parallel writes and no version is lost.
 */
export class KvV2Backend implements Backend {
  readonly type = 'kv';
  readonly #view: BarrierView;
  readonly #locks = new KeyedLock();

  constructor(view: BarrierView) {
    this.#view = view;
  }

  async #config(): Promise<KvConfig> {
    return (
      (await this.#view.getJson<KvConfig>('config')) ?? {
        max_versions: 0,
        cas_required: false,
        delete_version_after: 0,
      }
    );
  }

  // A key ending in `/` names a folder of keys, never a secret: it has no metadata (reads 404,
  // deletes are no-ops) and nothing can be written under it (400), rather than a storage-key error.
  async #meta(key: string): Promise<KeyMetadata | undefined> {
    if (key.endsWith('/')) return undefined;
    return this.#view.getJson<KeyMetadata>(`metadata/${key}`);
  }

  #putMeta(key: string, m: KeyMetadata): Promise<void> {
    if (key.endsWith('/')) throw badRequest('missing key');
    return this.#view.putJson(`metadata/${key}`, m);
  }

  /** The stored metadata of key, or fresh metadata stamped `now` for a key written for the first time. */
  async #metaOrNew(key: string, now: string): Promise<KeyMetadata> {
    return (
      (await this.#meta(key)) ?? {
        key,
        versions: {},
        current_version: 0,
        oldest_version: 0,
        created_time: now,
        updated_time: now,
        max_versions: 0,
        cas_required: false,
        delete_version_after: 0,
        custom_metadata: null,
      }
    );
  }

  readonly #router = new Router(
    [
      {
        pattern: 'config',
        operations: { read: () => this.#readConfig(), ...write((req) => this.#writeConfig(req)) },
      },
      // A kind without a key serves nothing (LIST included); metadata/ alone lists the keys.
      { pattern: /^data\/?$/, operations: {}, existence: async () => false },
      {
        pattern: /^data\/(?<key>[\s\S]+)$/,
        operations: {
          read: (req, p) => this.#readData(req, p['key']!),
          ...write((req, p) => this.#locked(p['key']!, () => this.#writeData(req, p['key']!))),
          delete: (_req, p) => this.#locked(p['key']!, () => this.#deleteLatest(p['key']!)),
          patch: (req, p) => this.#locked(p['key']!, () => this.#patchData(req, p['key']!)),
        },
        existence: (_req, p) => this.#exists(p['key']!),
      },
      {
        pattern: /^metadata\/?$/,
        operations: { list: () => this.#listKeys('') },
        existence: async () => false,
      },
      {
        pattern: /^metadata\/(?<key>[\s\S]+)$/,
        operations: {
          list: (_req, p) => this.#listKeys(p['key']!),
          read: (_req, p) => this.#readMetadata(p['key']!),
          ...write((req, p) => this.#locked(p['key']!, () => this.#writeMetadata(req, p['key']!))),
          delete: (_req, p) => this.#locked(p['key']!, () => this.#deleteMetadata(p['key']!)),
        },
        existence: (_req, p) => this.#exists(p['key']!),
      },
      { pattern: /^(?:delete|undelete|destroy)\/?$/, operations: {} },
      {
        pattern: /^(?<kind>delete|undelete|destroy)\/(?<key>[\s\S]+)$/,
        operations: write((req, p) =>
          this.#locked(p['key']!, () => this.#changeVersions(req, p['kind']!, p['key']!)),
        ),
      },
    ],
    {
      // Any other one-segment path names no key: 405, except LIST, which finds no route.
      unsupportedPath: (req) =>
        split(req.path)[1] === '' && req.operation !== 'list'
          ? unsupportedOperation()
          : noHandler(`${req.mountPath}${req.path}`),
    },
  );

  handle = (req: BackendRequest) => this.#router.handle(req);
  existence = (req: BackendRequest) => this.#router.existence(req);

  async #exists(key: string): Promise<boolean> {
    return (await this.#meta(key)) !== undefined;
  }

  /** Runs a change to key under its lock (`config` cannot collide: key locks start with `/`). */
  #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(`/${key}`, fn);
  }

  async #readConfig(): Promise<LogicalResponse> {
    return { data: { ...(await this.#config()) } };
  }

  #writeConfig(req: BackendRequest): Promise<null> {
    return this.#locks.run('config', async () => {
      const cfg = await this.#config();
      const next: KvConfig = {
        max_versions: int(req.data, 'max_versions', cfg.max_versions),
        cas_required: bool(req.data, 'cas_required', cfg.cas_required),
        delete_version_after: seconds(req.data, 'delete_version_after', cfg.delete_version_after),
      };
      await this.#view.putJson('config', next);
      return null;
    });
  }

  #metaView(m: KeyMetadata): Record<string, unknown> {
    return {
      cas_required: m.cas_required,
      created_time: m.created_time,
      current_version: m.current_version,
      custom_metadata: m.custom_metadata,
      delete_version_after: `${m.delete_version_after}s`,
      max_versions: m.max_versions,
      oldest_version: m.oldest_version,
      updated_time: m.updated_time,
      versions: m.versions,
    };
  }

  #versionMeta(m: KeyMetadata, v: number) {
    const vm = m.versions[String(v)]!;
    return { ...vm, custom_metadata: m.custom_metadata, version: v };
  }

  async #readData(req: BackendRequest, key: string): Promise<LogicalResponse> {
    const m = await this.#meta(key);
    if (!m) throw notFound();
    const v = has(req.data, 'version') ? int(req.data, 'version') : m.current_version;
    const wanted = v === 0 ? m.current_version : v;
    const vm = m.versions[String(wanted)];
    if (!vm) throw notFound();
    const meta = this.#versionMeta(m, wanted);
    if (vm.destroyed || vm.deletion_time !== '') {
      throw notFound({ data: { data: null, metadata: meta } });
    }
    const data = await this.#view.getJson<Record<string, unknown>>(versionKey(key, wanted));
    return { data: { data: data ?? null, metadata: meta } };
  }

  async #writeData(req: BackendRequest, key: string): Promise<LogicalResponse> {
    const body = req.data['data'];
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('no data provided');
    if (key.endsWith('/')) throw badRequest('missing key');
    const cfg = await this.#config();
    const now = nowIso();
    const m = await this.#metaOrNew(key, now);
    const options = (req.data['options'] ?? {}) as Record<string, unknown>;
    const casRequired = m.cas_required || cfg.cas_required;
    if (has(options, 'cas')) {
      if (int(options, 'cas') !== m.current_version)
        throw badRequest('check-and-set parameter did not match the current version');
    } else if (casRequired) {
      throw badRequest('check-and-set parameter required for this call');
    }
    const version = m.current_version + 1;
    await this.#view.putJson(versionKey(key, version), body);
    m.versions[String(version)] = { created_time: now, deletion_time: '', destroyed: false };
    m.current_version = version;
    m.updated_time = now;
    // The sliding window as the KV plugin keeps it (AddVersion): the larger of the key's and
    // the mount's max_versions (10 when neither is set); oldest_version stays 0 until the
    // window first moves, then names the oldest version kept.
    const max = Math.max(m.max_versions, cfg.max_versions) || 10;
    if (m.current_version - m.oldest_version >= max) {
      const upTo = m.current_version - max;
      for (let old = m.oldest_version; old <= upTo; old++) {
        if (!m.versions[String(old)]) continue;
        delete m.versions[String(old)];
        await this.#view.delete(versionKey(key, old));
      }
      m.oldest_version = upTo + 1;
    }
    await this.#putMeta(key, m);
    return { data: this.#versionMeta(m, version) };
  }

  /** DELETE data/<key>: soft-deletes the current version. */
  async #deleteLatest(key: string): Promise<null> {
    const m = await this.#meta(key);
    if (!m) return null;
    const vm = m.versions[String(m.current_version)];
    if (vm && vm.deletion_time === '') {
      vm.deletion_time = nowIso();
      await this.#putMeta(key, m);
    }
    return null;
  }

  async #patchData(req: BackendRequest, key: string): Promise<LogicalResponse> {
    if (req.contentType !== 'application/merge-patch+json')
      throw new VaultError(415, ['Unsupported Media Type']);
    const m = await this.#meta(key);
    const vm = m?.versions[String(m.current_version)];
    if (!m || !vm || vm.destroyed || vm.deletion_time !== '') throw notFound();
    const current =
      (await this.#view.getJson<Record<string, unknown>>(versionKey(key, m.current_version))) ?? {};
    const patch = req.data['data'];
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      throw badRequest('no data provided');
    const merged = mergePatch(current, patch as Record<string, unknown>);
    return this.#writeData(
      { ...req, operation: 'update', data: { data: merged, options: req.data['options'] ?? {} } },
      key,
    );
  }

  async #listKeys(key: string): Promise<LogicalResponse> {
    const keys = await this.#view.list(`metadata/${key}`);
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  }

  async #readMetadata(key: string): Promise<LogicalResponse> {
    const m = await this.#meta(key);
    if (!m) throw notFound();
    return { data: this.#metaView(m) };
  }

  async #writeMetadata(req: BackendRequest, key: string): Promise<null> {
    const now = nowIso();
    const m = await this.#metaOrNew(key, now);
    m.max_versions = int(req.data, 'max_versions', m.max_versions);
    m.cas_required = bool(req.data, 'cas_required', m.cas_required);
    m.delete_version_after = seconds(req.data, 'delete_version_after', m.delete_version_after);
    if (has(req.data, 'custom_metadata')) {
      const cm = req.data['custom_metadata'];
      if (typeof cm !== 'object' || Array.isArray(cm)) throw badRequest('custom_metadata must be a map');
      m.custom_metadata = Object.fromEntries(Object.entries(cm as object).map(([k, v]) => [k, String(v)]));
    }
    m.updated_time = now;
    await this.#putMeta(key, m);
    return null;
  }

  async #deleteMetadata(key: string): Promise<null> {
    const m = await this.#meta(key);
    if (!m) return null;
    for (const v of Object.keys(m.versions)) await this.#view.delete(versionKey(key, Number(v)));
    await this.#view.delete(`metadata/${key}`);
    return null;
  }

  async #changeVersions(req: BackendRequest, kind: string, key: string): Promise<null> {
    const raw = req.data['versions'];
    const versions = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [])
      .map((v) => Number(v))
      .filter((v) => Number.isInteger(v) && v > 0);
    if (versions.length === 0) throw badRequest('no version number provided');
    const m = await this.#meta(key);
    if (!m) return null;
    for (const v of versions) {
      const vm = m.versions[String(v)];
      if (!vm) continue;
      if (kind === 'delete' && vm.deletion_time === '' && !vm.destroyed) vm.deletion_time = nowIso();
      if (kind === 'undelete' && !vm.destroyed) vm.deletion_time = '';
      if (kind === 'destroy' && !vm.destroyed) {
        vm.destroyed = true;
        await this.#view.delete(versionKey(key, Number(v)));
      }
    }
    await this.#putMeta(key, m);
    return null;
  }
}

function split(path: string): [string, string] {
  const slash = path.indexOf('/');
  return slash === -1 ? [path, ''] : [path.slice(0, slash), path.slice(slash + 1)];
}

/** RFC 7396 JSON merge patch. */
function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof out[k] === 'object' &&
      out[k] &&
      !Array.isArray(out[k])
    )
      out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
