import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import type { TelemetryConfig } from '../src/config.js';
import { Core, type CoreOptions } from '../src/core.js';
import { type Listener, type ListenOptions, listen } from '../src/http/listen.js';
import { buildServer, type HttpOptions } from '../src/http/server.js';
import { FileStorage } from '../src/storage/file.js';
import { InmemStorage } from '../src/storage/inmem.js';
import type { Storage } from '../src/storage/storage.js';
import { Telemetry } from '../src/telemetry.js';

export interface Harness {
  app: FastifyInstance;
  core: Core;
  dir: string;
  storage: Storage;
  call(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  ): Promise<{ status: number; body: any; raw: string; headers: Record<string, unknown> }>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A core + app over file storage in a temp dir (or in memory). */
export async function harness(
  opts: {
    inmem?: boolean;
    maxRequestSize?: number;
    telemetry?: TelemetryConfig;
    /** More options of the core (e.g. allowAuditLogPrefixing). */
    core?: Partial<CoreOptions>;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-test-'));
  const storage: Storage = opts.inmem ? new InmemStorage() : new FileStorage(join(dir, 'file'));
  const make = () => {
    const core = new Core({
      storage,
      defaultLeaseTtl: 604800,
      maxLeaseTtl: 2592000,
      ...(opts.telemetry ? { telemetry: new Telemetry(opts.telemetry) } : {}),
      ...opts.core,
    });
    const app = buildServer({
      core,
      ...(opts.maxRequestSize ? { maxRequestSize: opts.maxRequestSize } : {}),
    });
    return { core, app };
  };
  let { core, app } = make();
  const h: Harness = {
    get app() {
      return app;
    },
    get core() {
      return core;
    },
    dir,
    storage,
    async call(method, path, body, token) {
      const headers: Record<string, string> = {};
      if (token) headers['x-vault-token'] = token;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        headers['content-type'] = 'application/json';
      }
      const res = await app.inject({
        method: method as 'GET',
        url: `/v1/${path}`,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      let parsed: unknown;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, body: parsed, raw: res.body, headers: res.headers };
    },
    async restart() {
      await core.seal();
      await app.close();
      ({ core, app } = make());
    },
    async close() {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  } as Harness;
  return h;
}

/** init 5/3 + unseal; returns keys and root token. */
export async function initAndUnseal(h: Harness, shares = 5, threshold = 3) {
  const init = await h.call('PUT', 'sys/init', { secret_shares: shares, secret_threshold: threshold });
  if (init.status !== 200) throw new Error(`init failed: ${init.raw}`);
  const keys: string[] = init.body.keys_base64;
  for (const k of keys.slice(0, threshold)) await h.call('PUT', 'sys/unseal', { key: k });
  return { keys, hexKeys: init.body.keys as string[], root: init.body.root_token as string };
}

/** The top-level keys of Vault's response envelope, in Vault's order. */
export const ENVELOPE_KEYS = [
  'request_id',
  'lease_id',
  'renewable',
  'lease_duration',
  'data',
  'wrap_info',
  'warnings',
  'auth',
  'mount_type',
];

const loopbackListeners: Listener[] = [];

/**
 * Serves `opts.core` on a real listener at 127.0.0.1 on a free port (over TLS with `tls`) until the
 * end of the test, for what app.inject() cannot send: raw request targets, the LIST verb, TLS.
 * Files that use it call closeAfterEach.
 */
export async function serveOnLoopback(opts: HttpOptions, tls?: ListenOptions['tls']): Promise<Listener> {
  const listener = await listen(buildServer(opts), { host: '127.0.0.1', port: 0, ...(tls ? { tls } : {}) });
  loopbackListeners.push(listener);
  return listener;
}

/** After each test of the calling file: closes its serveOnLoopback listeners, then the harness `current()`. */
export function closeAfterEach(current: () => Harness | undefined): void {
  afterEach(async () => {
    for (const listener of loopbackListeners.splice(0)) await listener.close();
    await current()?.close();
  });
}
