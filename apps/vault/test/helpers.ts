import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Core } from '../src/core.js';
import { buildServer } from '../src/http/server.js';
import { FileStorage } from '../src/storage/file.js';
import { InmemStorage } from '../src/storage/inmem.js';
import type { Storage } from '../src/storage/storage.js';

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
export async function harness(opts: { inmem?: boolean; maxRequestSize?: number } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-test-'));
  const storage: Storage = opts.inmem ? new InmemStorage() : new FileStorage(join(dir, 'file'));
  const make = () => {
    const core = new Core({ storage, defaultLeaseTtl: 604800, maxLeaseTtl: 2592000 });
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
