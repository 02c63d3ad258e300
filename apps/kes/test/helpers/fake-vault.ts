// A small Vault-protocol server for tests: only the calls KES makes
// (docs/kes-protocol.md#vault-keystore), over real HTTP(S) on loopback. Tokens expire, the server
// can be sealed, stopped and restarted on the same port.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { VaultKeystoreConfig } from '../../src/config/types.js';

interface Tok {
  expires: number;
}

export interface FakeVaultOptions {
  roleId: string;
  secretId: string;
  /** Token TTL in seconds (lease_duration); 0 = never expires. */
  ttl?: number;
  renewable?: boolean;
  /** KV mounts and their versions. */
  mounts?: Record<string, 'v1' | 'v2'>;
  tls?: { cert: string; key: string };
  /** Accept Kubernetes logins for this role and JWT. */
  kubernetes?: { role: string; jwt: string };
}

export class FakeVault {
  readonly opts: FakeVaultOptions;
  readonly data = new Map<string, Record<string, string>>();
  readonly tokens = new Map<string, Tok>();
  readonly calls: Array<{
    method: string;
    path: string;
    namespace?: string;
    body?: unknown;
    headers?: Record<string, string | string[] | undefined>;
  }> = [];
  logins = 0;
  renewals = 0;
  sealed = false;
  #server: http.Server | undefined;
  port = 0;

  constructor(opts: FakeVaultOptions) {
    this.opts = opts;
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
    };
    const server = this.opts.tls ? https.createServer(this.opts.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The value KES stored for key `name` under `mountPath` (e.g. "kv/minio"). */
  entry(path: string): Record<string, string> | undefined {
    return this.data.get(path);
  }

  #send(res: http.ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  #authorized(req: http.IncomingMessage): boolean {
    const t = this.tokens.get(String(req.headers['x-vault-token'] ?? ''));
    return t !== undefined && (t.expires === 0 || t.expires > Date.now());
  }

  #issue(): { client_token: string; lease_duration: number; renewable: boolean } {
    const ttl = this.opts.ttl ?? 0;
    const token = `hvs.${randomUUID()}`;
    this.tokens.set(token, { expires: ttl === 0 ? 0 : Date.now() + ttl * 1000 });
    return { client_token: token, lease_duration: ttl, renewable: this.opts.renewable ?? true };
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): unknown {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.#send(res, 400, { errors: ['failed to parse JSON input'] });
    }
    const ns = req.headers['x-vault-namespace'];
    this.calls.push({
      method: req.method ?? '',
      path: path + url.search,
      namespace: typeof ns === 'string' ? ns : undefined,
      body,
      headers: req.headers,
    });

    if (path === '/v1/sys/health') {
      const code = this.sealed ? Number(url.searchParams.get('sealedcode') ?? 503) : 200;
      return this.#send(res, code, {
        initialized: true,
        sealed: this.sealed,
        standby: false,
        version: '1.15.0',
      });
    }
    if (this.sealed) return this.#send(res, 503, { errors: ['Vault is sealed'] });
    if (path === '/v1/auth/approle/login' && (req.method === 'PUT' || req.method === 'POST')) {
      const b = body as { role_id?: string; secret_id?: string } | undefined;
      if (b?.role_id !== this.opts.roleId || b?.secret_id !== this.opts.secretId) {
        return this.#send(res, 400, { errors: ['invalid role or secret ID'] });
      }
      this.logins++;
      return this.#send(res, 200, { auth: this.#issue() });
    }
    if (path === '/v1/auth/kubernetes/login' && (req.method === 'PUT' || req.method === 'POST')) {
      const b = body as { role?: string; jwt?: string } | undefined;
      const k = this.opts.kubernetes;
      if (!k || b?.role !== k.role || b?.jwt !== k.jwt)
        return this.#send(res, 403, { errors: ['permission denied'] });
      this.logins++;
      return this.#send(res, 200, { auth: this.#issue() });
    }
    if (!this.#authorized(req)) return this.#send(res, 403, { errors: ['permission denied'] });
    if (path === '/v1/auth/token/renew-self') {
      this.renewals++;
      const tok = String(req.headers['x-vault-token']);
      const ttl = this.opts.ttl ?? 0;
      this.tokens.set(tok, { expires: ttl === 0 ? 0 : Date.now() + ttl * 1000 });
      return this.#send(res, 200, { auth: { client_token: tok, lease_duration: ttl, renewable: true } });
    }
    const rest = path.replace(/^\/v1\//, '');
    const mounts = this.opts.mounts ?? { kv: 'v1' };
    const mount = Object.keys(mounts).find((m) => rest === m || rest.startsWith(`${m}/`));
    if (!mount) return this.#send(res, 404, { errors: [`no handler for route "${rest}"`] });
    let sub = rest.slice(mount.length + 1);
    const isList = url.searchParams.get('list') === 'true' || req.method === 'LIST';
    if (mounts[mount] === 'v2') {
      const kind = sub.split('/')[0];
      sub = sub.slice((kind?.length ?? 0) + 1);
      const key = `${mount}/${sub}`;
      if (kind === 'data' && req.method === 'GET') {
        const d = this.data.get(key);
        return d
          ? this.#send(res, 200, { data: { data: d, metadata: { version: 1 } } })
          : this.#send(res, 404, { errors: [] });
      }
      if (kind === 'data' && (req.method === 'PUT' || req.method === 'POST')) {
        const b = body as { options?: { cas?: number }; data?: Record<string, string> };
        if (b.options?.cas === 0 && this.data.has(key)) {
          return this.#send(res, 400, {
            errors: ['check-and-set parameter did not match the current version'],
          });
        }
        this.data.set(key, b.data ?? {});
        return this.#send(res, 200, { data: { version: 1 } });
      }
      if (kind === 'metadata' && req.method === 'DELETE') {
        this.data.delete(key);
        return this.#send(res, 204);
      }
      if (kind === 'metadata' && isList) return this.#list(res, `${mount}/${sub}`);
      return this.#send(res, 405, { errors: ['unsupported operation'] });
    }
    const key = `${mount}/${sub}`;
    if (isList) return this.#list(res, key);
    if (req.method === 'GET') {
      const d = this.data.get(key);
      return d
        ? this.#send(res, 200, { data: d, lease_duration: 2764800 })
        : this.#send(res, 404, { errors: [] });
    }
    if (req.method === 'PUT' || req.method === 'POST') {
      this.data.set(key, body as Record<string, string>);
      return this.#send(res, 204);
    }
    if (req.method === 'DELETE') {
      this.data.delete(key);
      return this.#send(res, 204);
    }
    return this.#send(res, 405, { errors: ['unsupported operation'] });
  }

  #list(res: http.ServerResponse, dir: string): unknown {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const keys = [...this.data.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    if (keys.length === 0) return this.#send(res, 404, { errors: [] });
    this.#send(res, 200, {
      data: { keys: [...new Set(keys.map((k) => (k.includes('/') ? `${k.split('/')[0]}/` : k)))] },
    });
  }
}

/** A keystore config for FakeVault endpoints: KV v1 at kv/minio, AppRole role/secret, fast retries. */
export function keystoreConfig(
  endpoints: string[],
  over: Partial<VaultKeystoreConfig> = {},
): VaultKeystoreConfig {
  return {
    kind: 'vault',
    endpoints,
    engine: 'kv',
    version: 'v1',
    namespace: '',
    prefix: 'minio',
    approle: { engine: 'approle', id: 'role', secret: 'secret', retryMs: 100 },
    tls: {},
    pingMs: 50,
    ...over,
  };
}
