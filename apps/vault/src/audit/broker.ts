// The audit broker: the table of enabled audit devices (kept under the barrier at `core/audit`,
// reloaded at every unseal), each device's salt (`audit/<uuid>/salt`, under the barrier too), the
// audited request headers, and the one rule every request obeys (docs/vault.md#audit):
//
// - with no device enabled nothing is written and nothing can fail;
// - otherwise every device gets the entry, and the request goes on only if at least one of them
//   wrote it. If all fail the request entry's failure stops the request before it runs, and the
//   response entry's failure replaces the response with a 500 — Vault's fail-closed rule.
import { randomUUID } from 'node:crypto';
import { KeyedLock } from '@kms-chain/concurrency';
import type { Barrier } from '../barrier.js';
import { badRequest, internalError } from '../errors.js';
import { randomHex } from '../ids.js';
import { type AuditRequest, type AuditResponse, formatEntry } from './entry.js';
import { FileDevice, type FileDeviceConfig, parseFileOptions } from './file-device.js';
import { AuditSalt } from './hash.js';
import { AuditedHeaders } from './headers.js';

/** One row of the audit table, as stored and as sys/audit lists it. */
export interface AuditEntry {
  path: string;
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
  uuid: string;
  accessor: string;
}

interface Device {
  entry: AuditEntry;
  file: FileDevice;
  salt: AuditSalt;
}

const TABLE_PATH = 'core/audit';
const saltPath = (uuid: string) => `audit/${uuid}/salt`;

/** Vault's normalisation of a device path: no leading `/`, one trailing `/`. */
export function auditPath(path: string): string {
  const p = path.replace(/^\/+/, '');
  return p.endsWith('/') ? p : `${p}/`;
}

export class AuditBroker {
  readonly #barrier: Barrier;
  readonly #log: (level: 'warn' | 'error', message: string) => void;
  readonly #allowPrefix: boolean;
  readonly #lock = new KeyedLock();
  #devices = new Map<string, Device>();
  readonly headers: AuditedHeaders;

  /**
   * `allowPrefix` (the server's `allow_audit_log_prefixing`): without it a device with a `prefix`
   * is refused, as in Vault ≥ 1.20.1 — a chosen prefix before each line would let a sudo holder
   * append lines of their making to any file the server may write (CVE-2025-6000).
   */
  constructor(
    barrier: Barrier,
    opts: { log?: (level: 'warn' | 'error', message: string) => void; allowPrefix?: boolean } = {},
  ) {
    this.#barrier = barrier;
    this.#log = opts.log ?? (() => {});
    this.#allowPrefix = opts.allowPrefix ?? false;
    this.headers = new AuditedHeaders(barrier);
  }

  /** The enabled devices in the order they were enabled. */
  get entries(): AuditEntry[] {
    return [...this.#devices.values()].map((d) => d.entry);
  }

  /** Whether any device is enabled (then every request is audited, fail-closed). */
  get isEnabled(): boolean {
    return this.#devices.size > 0;
  }

  /**
   * Loads the table and opens every device (unseal, HA takeover). A device that cannot open is
   * left out with an error log; if the table has devices and none opens, this throws and the
   * unseal fails, as in Vault: a vault that must audit never serves unaudited.
   */
  async load(): Promise<void> {
    this.clear();
    await this.headers.load();
    const table = (await this.#barrier.getJson<AuditEntry[]>(TABLE_PATH)) ?? [];
    const devices = new Map<string, Device>();
    for (const entry of table) {
      try {
        const file = new FileDevice(this.#config(entry.options));
        file.open();
        devices.set(entry.path, { entry, file, salt: await this.#salt(entry.uuid) });
      } catch (err) {
        this.#log('error', `audit: device ${entry.path} could not be set up: ${(err as Error).message}`);
      }
    }
    if (table.length > 0 && devices.size === 0) throw internalError('failed to setup audit table');
    this.#devices = devices;
  }

  /** Closes every device and forgets the table (seal, standby). */
  clear(): void {
    for (const d of this.#devices.values()) d.file.close();
    this.#devices = new Map();
    this.headers.clear();
  }

  /**
   * Closes every device's file; the next entry opens its path again. SIGHUP calls this, as
   * Vault's reload does, so a log rotated away (renamed, then a new file expected) is followed.
   */
  reopen(): void {
    for (const d of this.#devices.values()) d.file.close();
  }

  async #salt(uuid: string): Promise<AuditSalt> {
    let salt = (await this.#barrier.get(saltPath(uuid)))?.toString('utf8');
    if (!salt) {
      salt = randomUUID();
      await this.#barrier.put(saltPath(uuid), Buffer.from(salt, 'utf8'));
    }
    return new AuditSalt(salt);
  }

  /** sys/audit/<path> PUT: 400 with Vault's words for a bad path, type or option. */
  enable(
    rawPath: string,
    type: string,
    description: string,
    options: Record<string, string>,
    local: boolean,
  ) {
    return this.#lock.run('table', async () => {
      const path = auditPath(rawPath);
      if (path === '/') throw badRequest('backend path must be specified');
      for (const p of this.#devices.keys())
        if (p.startsWith(path) || path.startsWith(p)) throw badRequest('path already in use');
      if (type !== 'file') throw badRequest(`unknown backend type: ${JSON.stringify(type)}`);
      const config = this.#config(options);
      const file = new FileDevice(config);
      try {
        file.open();
      } catch (err) {
        throw badRequest(
          `sanity check failed; unable to open ${JSON.stringify(config.path)} for writing: ${(err as Error).message}`,
        );
      }
      const entry: AuditEntry = {
        path,
        type,
        description,
        options,
        local,
        uuid: randomUUID(),
        accessor: `audit_${type}_${randomHex(4)}`,
      };
      try {
        if (!config.skipTest) this.#writeProbe(file);
        const salt = await this.#salt(entry.uuid);
        await this.#barrier.putJson(TABLE_PATH, [...this.entries, entry]);
        this.#devices.set(path, { entry, file, salt });
      } catch (err) {
        file.close();
        throw err;
      }
    });
  }

  #config(options: Record<string, string>): FileDeviceConfig {
    if (options['prefix'] !== undefined && !this.#allowPrefix)
      throw badRequest('audit log prefixing is not allowed');
    return parseFileOptions(options);
  }

  /** Vault's test message: a request entry for `sys/audit/test` under a throw-away salt. */
  #writeProbe(file: FileDevice): void {
    const probe: AuditRequest = {
      id: randomUUID(),
      operation: 'update',
      path: 'sys/audit/test',
      data: {},
      remoteAddress: '',
    };
    try {
      file.write(formatEntry('request', probe, undefined, {}, new AuditSalt(randomUUID()), file.config));
    } catch (err) {
      throw badRequest(`audit backend failed test message: ${(err as Error).message}`);
    }
  }

  /** sys/audit/<path> DELETE: a path with no device is a no-op. The salt is kept, as in Vault. */
  disable(rawPath: string): Promise<void> {
    return this.#lock.run('table', async () => {
      const path = auditPath(rawPath);
      if (path === '/') throw badRequest('audit device path must be specified');
      const device = this.#devices.get(path);
      if (!device) return;
      await this.#barrier.putJson(
        TABLE_PATH,
        this.entries.filter((e) => e.path !== path),
      );
      this.#devices.delete(path);
      device.file.close();
    });
  }

  /** sys/audit-hash/<path>: input hashed as the device writes it. */
  hash(rawPath: string, input: string): string {
    const path = auditPath(rawPath);
    const device = this.#devices.get(path);
    if (!device) throw badRequest(`unknown audit backend ${JSON.stringify(path)}`);
    return device.salt.hmac(input);
  }

  /**
   * Writes the request entry (with the error that refused it, if any); throws 500 when devices
   * are enabled and none could write it.
   */
  logRequest(req: AuditRequest, error?: string): void {
    this.#log_('request', req, error ? { error } : undefined);
  }

  /** Writes the response entry; throws 500 when devices are enabled and none could write it. */
  logResponse(req: AuditRequest, res: AuditResponse): void {
    this.#log_('response', req, res);
  }

  #log_(type: 'request' | 'response', req: AuditRequest, res: AuditResponse | undefined): void {
    if (this.#devices.size === 0) return;
    let written = 0;
    for (const d of this.#devices.values()) {
      try {
        const headers = this.headers.apply(req.headers ?? {}, (v) => d.salt.hmac(v));
        d.file.write(formatEntry(type, req, res, headers, d.salt, d.file.config));
        written++;
      } catch (err) {
        this.#log(
          'error',
          `audit: device ${d.entry.path} failed to log the ${type}: ${(err as Error).message}`,
        );
      }
    }
    if (written === 0) {
      this.#log('error', `audit: no audit device succeeded in logging the ${type} (${req.path})`);
      throw internalError();
    }
  }
}
