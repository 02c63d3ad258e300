// KV secrets engine, versions 1 and 2 (spec/vault.md §3.3, §3.4).
import { createHash } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import { parseDurationSeconds } from '../duration.js';
import { badRequest, notFound, VaultError } from '../errors.js';
import { bool, has, int, seconds } from '../fields.js';
import { type Backend, type BackendRequest, isWrite, type LogicalResponse } from '../types.js';
import type { BarrierView } from '../view.js';

const unsupported = () => new VaultError(405, ['unsupported operation']);

/** KV v1: whole JSON objects at arbitrary keys. */
export class KvV1Backend implements Backend {
  readonly type = 'kv';
  readonly #view: BarrierView;
  readonly #defaultTtl: () => number;

  constructor(view: BarrierView, defaultTtl: () => number) {
    this.#view = view;
    this.#defaultTtl = defaultTtl;
  }

  async existence(req: BackendRequest): Promise<boolean> {
    if (req.path === '' || req.path.endsWith('/')) return false;
    return (await this.#view.get(req.path)) !== undefined;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const key = req.path;
    switch (req.operation) {
      case 'read': {
        if (key === '') throw notFound();
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
      case 'create':
      case 'update': {
        if (key === '' || key.endsWith('/')) throw badRequest('missing key');
        if (Object.keys(req.data).length === 0) throw badRequest('missing data fields');
        if (has(req.data, 'ttl') && parseDurationSeconds(req.data['ttl']) === undefined)
          throw badRequest(`failed to parse ttl: ${JSON.stringify(req.data['ttl'])}`);
        await this.#view.putJson(key, req.data);
        return null;
      }
      case 'delete':
        if (key === '' || key.endsWith('/')) return null;
        await this.#view.delete(key);
        return null;
      case 'list': {
        const keys = await this.#view.list(key);
        if (keys.length === 0) throw notFound();
        return { data: { keys } };
      }
      default:
        throw unsupported();
    }
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
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

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

  #meta(key: string) {
    return this.#view.getJson<KeyMetadata>(`metadata/${key}`);
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

  async existence(req: BackendRequest): Promise<boolean | undefined> {
    const [kind, key] = split(req.path);
    if (kind === 'data' || kind === 'metadata') return key !== '' && (await this.#meta(key)) !== undefined;
    return undefined;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    if (req.operation === 'read' || req.operation === 'list') return this.#handle(req);
    // `config` cannot collide with a key: keys are locked by the path after their kind.
    const [, key] = split(req.path);
    return this.#locks.run(req.path === 'config' ? 'config' : `/${key}`, () => this.#handle(req));
  }

  async #handle(req: BackendRequest): Promise<LogicalResponse | null> {
    if (req.path === 'config') return this.#handleConfig(req);
    const [kind, key] = split(req.path);
    if (key === '' && req.operation !== 'list') throw unsupported();
    switch (kind) {
      case 'data':
        return this.#handleData(req, key);
      case 'metadata':
        return this.#handleMetadata(req, key);
      case 'delete':
      case 'undelete':
      case 'destroy':
        return this.#handleVersions(req, kind, key);
      default:
        throw new VaultError(404, [
          `no handler for route "${req.mountPath}${req.path}". route entry not found.`,
        ]);
    }
  }

  async #handleConfig(req: BackendRequest): Promise<LogicalResponse | null> {
    const cfg = await this.#config();
    if (req.operation === 'read') return { data: { ...cfg } };
    if (!isWrite(req.operation)) throw unsupported();
    const next: KvConfig = {
      max_versions: int(req.data, 'max_versions', cfg.max_versions),
      cas_required: bool(req.data, 'cas_required', cfg.cas_required),
      delete_version_after: seconds(req.data, 'delete_version_after', cfg.delete_version_after),
    };
    await this.#view.putJson('config', next);
    return null;
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

  async #handleData(req: BackendRequest, key: string): Promise<LogicalResponse | null> {
    const dataKey = (v: number) => `versions/${hashKey(key)}/${v}`;
    switch (req.operation) {
      case 'read': {
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
        const data = await this.#view.getJson<Record<string, unknown>>(dataKey(wanted));
        return { data: { data: data ?? null, metadata: meta } };
      }
      case 'create':
      case 'update': {
        const body = req.data['data'];
        if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
          throw badRequest('no data provided');
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
        await this.#view.putJson(dataKey(version), body);
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
            await this.#view.delete(dataKey(old));
          }
          m.oldest_version = upTo + 1;
        }
        await this.#view.putJson(`metadata/${key}`, m);
        return { data: this.#versionMeta(m, version) };
      }
      case 'delete': {
        const m = await this.#meta(key);
        if (!m) return null;
        const vm = m.versions[String(m.current_version)];
        if (vm && vm.deletion_time === '') {
          vm.deletion_time = nowIso();
          await this.#view.putJson(`metadata/${key}`, m);
        }
        return null;
      }
      case 'patch': {
        if (req.contentType !== 'application/merge-patch+json')
          throw new VaultError(415, ['Unsupported Media Type']);
        const m = await this.#meta(key);
        const vm = m?.versions[String(m.current_version)];
        if (!m || !vm || vm.destroyed || vm.deletion_time !== '') throw notFound();
        const current = (await this.#view.getJson<Record<string, unknown>>(dataKey(m.current_version))) ?? {};
        const patch = req.data['data'];
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
          throw badRequest('no data provided');
        const merged = mergePatch(current, patch as Record<string, unknown>);
        return this.#handleData(
          { ...req, operation: 'update', data: { data: merged, options: req.data['options'] ?? {} } },
          key,
        );
      }
      default:
        throw unsupported();
    }
  }

  async #handleMetadata(req: BackendRequest, key: string): Promise<LogicalResponse | null> {
    switch (req.operation) {
      case 'list': {
        const keys = await this.#view.list(`metadata/${key}`);
        if (keys.length === 0) throw notFound();
        return { data: { keys } };
      }
      case 'read': {
        const m = await this.#meta(key);
        if (!m) throw notFound();
        return { data: this.#metaView(m) };
      }
      case 'create':
      case 'update': {
        const now = nowIso();
        const m = await this.#metaOrNew(key, now);
        m.max_versions = int(req.data, 'max_versions', m.max_versions);
        m.cas_required = bool(req.data, 'cas_required', m.cas_required);
        m.delete_version_after = seconds(req.data, 'delete_version_after', m.delete_version_after);
        if (has(req.data, 'custom_metadata')) {
          const cm = req.data['custom_metadata'];
          if (typeof cm !== 'object' || Array.isArray(cm)) throw badRequest('custom_metadata must be a map');
          m.custom_metadata = Object.fromEntries(
            Object.entries(cm as object).map(([k, v]) => [k, String(v)]),
          );
        }
        m.updated_time = now;
        await this.#view.putJson(`metadata/${key}`, m);
        return null;
      }
      case 'delete': {
        const m = await this.#meta(key);
        if (!m) return null;
        for (const v of Object.keys(m.versions)) await this.#view.delete(`versions/${hashKey(key)}/${v}`);
        await this.#view.delete(`metadata/${key}`);
        return null;
      }
      default:
        throw unsupported();
    }
  }

  async #handleVersions(req: BackendRequest, kind: string, key: string): Promise<LogicalResponse | null> {
    if (!isWrite(req.operation)) throw unsupported();
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
        await this.#view.delete(`versions/${hashKey(key)}/${v}`);
      }
    }
    await this.#view.putJson(`metadata/${key}`, m);
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
