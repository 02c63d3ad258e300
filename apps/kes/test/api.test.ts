// The KES wire protocol as MinIO and kms-go speak it, over real mTLS on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeystoreUnavailableError } from '../src/keystore/keystore.js';
import { MemKeystore } from '../src/keystore/mem/index.js';
import { b64 } from './helpers/http.js';
import { makePki, type TestPki } from './helpers/pki.js';
import { baseConfig, type Running, startKes } from './helpers/server.js';

let pki: TestPki;
let kes: Running;

beforeAll(async () => {
  pki = await makePki();
  kes = await startKes(pki, baseConfig(pki));
});
afterAll(async () => {
  await kes?.close();
});

const admin = () => pki.admin;
const minio = () => pki.minio;

describe('MinIO calls (docs/kes-protocol.md#calls-minio-makes)', () => {
  it('startup: generate on a missing key → 404, then create, then generate', async () => {
    const ctx = b64('{}');
    let r = await kes.client.post('/v1/key/generate/minio-default', { context: ctx }, minio());
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ message: 'key does not exist' });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    r = await kes.client.post('/v1/key/create/minio-default', undefined, minio());
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    r = await kes.client.post('/v1/key/create/minio-default', undefined, minio());
    expect([r.status, r.json()]).toEqual([400, { message: 'key already exists' }]);
    r = await kes.client.post('/v1/key/generate/minio-default', { context: ctx }, minio());
    expect(r.status).toBe(200);
    const { plaintext, ciphertext } = r.json();
    expect(Buffer.from(plaintext, 'base64')).toHaveLength(32);
    expect(Buffer.from(ciphertext, 'base64')).toHaveLength(76);
  });

  it('SSE-S3 round trip: decrypt with the same context returns the data key', async () => {
    const ctx = b64('{"photos":"photos/2024/a.jpg"}');
    const gen = (await kes.client.post('/v1/key/generate/minio-default', { context: ctx }, minio())).json();
    const r = await kes.client.post(
      '/v1/key/decrypt/minio-default',
      { ciphertext: gen.ciphertext, context: ctx },
      minio(),
    );
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ plaintext: gen.plaintext });
  });

  it.each([
    ['wrong context', (ct: string) => ({ ciphertext: ct, context: b64('{"photos":"photos/other"}') })],
    ['missing context', (ct: string) => ({ ciphertext: ct })],
    [
      'flipped ciphertext byte',
      (ct: string) => {
        const b = Buffer.from(ct, 'base64');
        b[3]! ^= 1;
        return { ciphertext: b.toString('base64'), context: b64('{"a":"a/b"}') };
      },
    ],
    ['truncated ciphertext', (_ct: string) => ({ ciphertext: b64('short'), context: b64('{"a":"a/b"}') })],
  ])('decrypt with %s → 400 not authentic', async (_name, body) => {
    const gen = (
      await kes.client.post('/v1/key/generate/minio-default', { context: b64('{"a":"a/b"}') }, minio())
    ).json();
    const r = await kes.client.post('/v1/key/decrypt/minio-default', body(gen.ciphertext), minio());
    expect([r.status, r.json()]).toEqual([
      400,
      { message: 'decryption failed: ciphertext is not authentic' },
    ]);
  });

  it('decrypts under another key fails as not authentic', async () => {
    await kes.client.post('/v1/key/create/minio-other', undefined, minio());
    const gen = (await kes.client.post('/v1/key/generate/minio-default', {}, minio())).json();
    const r = await kes.client.post('/v1/key/decrypt/minio-other', { ciphertext: gen.ciphertext }, minio());
    expect(r.status).toBe(400);
  });

  it('generate accepts no body at all and PUT as well as POST', async () => {
    const r = await kes.client.call('/v1/key/generate/minio-default', { method: 'PUT', client: minio() });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json()).sort()).toEqual(['ciphertext', 'plaintext']);
  });

  it('encrypt/decrypt of caller data with the admin identity', async () => {
    await kes.client.post('/v1/key/create/app-key', undefined, admin());
    const enc = await kes.client.post(
      '/v1/key/encrypt/app-key',
      { plaintext: b64('hello'), context: b64('ctx') },
      admin(),
    );
    expect(enc.status).toBe(200);
    const dec = await kes.client.post(
      '/v1/key/decrypt/app-key',
      { ciphertext: enc.json().ciphertext, context: b64('ctx') },
      admin(),
    );
    expect(Buffer.from(dec.json().plaintext, 'base64').toString()).toBe('hello');
  });

  it('describe, list (both path forms), hmac, delete', async () => {
    let r = await kes.client.call('/v1/key/describe/minio-default', { client: minio() });
    expect(r.status).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({ name: 'minio-default', algorithm: 'AES256', created_by: minio().identity });
    expect(d.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const path of ['/v1/key/list', '/v1/key/list/', '/v1/key/list/*']) {
      r = await kes.client.call(path, { client: admin() });
      expect(r.status).toBe(200);
      expect(r.json().names).toEqual(expect.arrayContaining(['app-key', 'minio-default', 'minio-other']));
      expect(r.json()).not.toHaveProperty('continue_at');
    }
    r = await kes.client.call('/v1/key/list/minio-*', { client: minio() });
    expect(r.json().names).toEqual(['minio-default', 'minio-other']);
    const h1 = (
      await kes.client.call('/v1/key/hmac/app-key', {
        method: 'PUT',
        body: { message: b64('root access key') },
        client: admin(),
      })
    ).json();
    const h2 = (
      await kes.client.post('/v1/key/hmac/app-key', { message: b64('root access key') }, admin())
    ).json();
    expect(Buffer.from(h1.hmac, 'base64')).toHaveLength(32);
    expect(h2).toEqual(h1);
    r = await kes.client.call('/v1/key/delete/minio-other', { method: 'DELETE', client: admin() });
    expect(r.status).toBe(200);
    r = await kes.client.call('/v1/key/describe/minio-other', { client: admin() });
    expect(r.status).toBe(404);
  });

  it('import: HEAD and v0.22 bodies, bad cipher and key size', async () => {
    const key = b64(Buffer.alloc(32, 7));
    let r = await kes.client.post('/v1/key/import/imported-1', { key, cipher: 'AES256' }, admin());
    expect(r.status).toBe(200);
    r = await kes.client.post(
      '/v1/key/import/imported-2',
      { bytes: key, algorithm: 'XCHACHA20-POLY1305' },
      admin(),
    );
    expect(r.status).toBe(200);
    expect((await kes.client.call('/v1/key/describe/imported-2', { client: admin() })).json().algorithm).toBe(
      'ChaCha20',
    );
    const enc = (
      await kes.client.post('/v1/key/encrypt/imported-2', { plaintext: b64('x') }, admin())
    ).json();
    expect(
      (await kes.client.post('/v1/key/decrypt/imported-2', { ciphertext: enc.ciphertext }, admin())).json(),
    ).toEqual({ plaintext: b64('x') });
    r = await kes.client.post('/v1/key/import/imported-3', { key, cipher: 'DES' }, admin());
    expect([r.status, r.json()]).toEqual([406, { message: "algorithm 'DES' is not supported" }]);
    r = await kes.client.post('/v1/key/import/imported-3', { key: b64('short'), cipher: 'AES256' }, admin());
    expect([r.status, r.json()]).toEqual([406, { message: "invalid key size for 'AES256'" }]);
    r = await kes.client.call('/v1/key/import/imported-3', {
      method: 'POST',
      raw: '{not json',
      client: admin(),
    });
    expect([r.status, r.json()]).toEqual([400, { message: 'invalid import key request body' }]);
    r = await kes.client.post('/v1/key/import/imported-1', { key, cipher: 'AES256' }, admin());
    expect([r.status, r.json()]).toEqual([400, { message: 'key already exists' }]);
  });
});

describe('bad input (the server stays up)', () => {
  it.each([
    ['malformed JSON', '{"context":', 400, 'invalid request body'],
    ['a JSON array', '[1,2]', 400, 'invalid request body'],
    ['bad base64', '{"context":"!!!notbase64"}', 400, 'invalid request body'],
    ['base64 of the wrong type', '{"context":42}', 400, 'invalid request body'],
  ])('generate with %s → %d', async (_n, raw, status, message) => {
    const r = await kes.client.call('/v1/key/generate/minio-default', {
      method: 'POST',
      raw,
      client: minio(),
    });
    expect([r.status, r.json()]).toEqual([status, { message }]);
  });

  it('accepts unpadded base64 on input', async () => {
    const r = await kes.client.post('/v1/key/generate/minio-default', { context: 'e30' }, minio());
    expect(r.status).toBe(200);
  });

  it('rejects bodies over 1 MiB', async () => {
    const raw = JSON.stringify({ plaintext: b64(Buffer.alloc((1 << 20) + 16)) });
    const r = await kes.client.call('/v1/key/encrypt/app-key', { method: 'POST', raw, client: admin() });
    expect([r.status, r.json()]).toEqual([413, { message: 'request body too large' }]);
    expect((await kes.client.call('/version')).status).toBe(200);
  });

  it.each([
    ['-leading', "key name '-leading' is empty, too long or contains invalid characters"],
    ['trailing-', "key name 'trailing-' is empty, too long or contains invalid characters"],
    ['_', "key name '_' is empty, too long or contains invalid characters"],
    ['a'.repeat(81), `key name '${'a'.repeat(81)}' is empty, too long or contains invalid characters`],
    ['dots.in.name', "key name 'dots.in.name' is empty, too long or contains invalid characters"],
    ['a%2Fb', "key name 'a/b' is empty, too long or contains invalid characters"],
    ['', "key name '' is empty, too long or contains invalid characters"],
  ])('invalid key name %j → 400', async (name, message) => {
    const r = await kes.client.post(`/v1/key/create/${name}`, undefined, admin());
    expect([r.status, r.json()]).toEqual([400, { message }]);
  });

  it('wrong method → 405 with Accept', async () => {
    const r = await kes.client.call('/v1/key/create/x', { method: 'GET', client: admin() });
    expect(r.status).toBe(405);
    expect(r.headers.accept).toBe('PUT');
    expect(r.json()).toEqual({ message: "received method 'GET' expected 'PUT'" });
  });

  it('unknown path → Go mux 404 text', async () => {
    const r = await kes.client.call('/v1/nope', { client: admin() });
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
  });
});

describe('authentication and policies', () => {
  it('no client certificate → 400', async () => {
    const r = await kes.client.post('/v1/key/generate/minio-default', {});
    expect([r.status, r.json()]).toEqual([400, { message: 'tls: client certificate is required' }]);
    expect((await kes.client.call('/version')).status).toBe(200);
  });

  it('unknown identity (self-signed cert accepted in ignore mode) → 403', async () => {
    const r = await kes.client.post('/v1/key/generate/minio-default', {}, pki.stranger);
    expect([r.status, r.json()]).toEqual([403, { message: 'not authorized: insufficient permissions' }]);
  });

  it.each([
    ['/v1/key/create/my-key-1', 'POST'],
    ['/v1/key/delete/minio-default', 'DELETE'],
    ['/v1/key/decrypt/minio-forbidden', 'POST'],
    ['/v1/metrics', 'GET'],
  ])('policy denies %s', async (path, method) => {
    const r = await kes.client.call(path, {
      method,
      client: minio(),
      body: method === 'POST' ? {} : undefined,
    });
    expect([r.status, r.json()]).toEqual([403, { message: 'not authorized: insufficient permissions' }]);
  });

  it('self/describe for a policy identity (HEAD 404s here: fixed)', async () => {
    const r = await kes.client.call('/v1/identity/self/describe', { client: minio() });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ identity: minio().identity, policy: { name: 'minio' } });
    const a = (await kes.client.call('/v1/identity/self/describe', { client: admin() })).json();
    expect(a).toMatchObject({ identity: admin().identity, admin: true });
  });

  it('policy and identity views for the admin', async () => {
    expect((await kes.client.call('/v1/policy/list/*', { client: admin() })).json()).toEqual({
      names: ['minio'],
    });
    const p = (await kes.client.call('/v1/policy/read/minio', { client: admin() })).json();
    expect(p.allow['/v1/key/create/minio-*']).toEqual({});
    expect(p.deny).toEqual({ '/v1/key/decrypt/minio-forbidden': {} });
    expect((await kes.client.call('/v1/policy/describe/nope', { client: admin() })).status).toBe(404);
    const ids = (await kes.client.call('/v1/identity/list/*', { client: admin() })).json().identities;
    expect(ids).toEqual([admin().identity, minio().identity].sort());
    expect(
      (await kes.client.call(`/v1/identity/describe/${minio().identity}`, { client: admin() })).json(),
    ).toMatchObject({ policy: 'minio' });
    expect(
      (await kes.client.call(`/v1/identity/describe/${pki.stranger.identity}`, { client: admin() })).json(),
    ).toEqual({
      message: 'identity does not exist',
    });
  });
});

describe('observability', () => {
  it('/version, /v1/status, /v1/ready, /v1/api', async () => {
    expect(Object.keys((await kes.client.call('/version')).json()).sort()).toEqual(['commit', 'version']);
    const s = (await kes.client.call('/v1/status', { client: minio() })).json();
    expect(s).toMatchObject({ os: 'linux', num_cpu: expect.any(Number) });
    expect(s).not.toHaveProperty('keystore_unreachable');
    expect((await kes.client.call('/v1/ready', { client: admin() })).status).toBe(200);
    const api = (await kes.client.call('/v1/api', { client: admin() })).json();
    expect(api).toContainEqual({ method: 'PUT', path: '/v1/key/generate/', max_body: 1 << 20, timeout: 15 });
    expect(api).toContainEqual({ method: 'GET', path: '/version', max_body: 0, timeout: 10 });
  });

  it('/v1/metrics has KES metric names', async () => {
    const r = await kes.client.call('/v1/metrics', { client: admin() });
    expect(r.status).toBe(200);
    for (const name of [
      'kes_http_request_success',
      'kes_http_request_error',
      'kes_http_request_failure',
      'kes_http_request_active',
      'kes_http_response_time_bucket{le="0.01"}',
      'kes_log_audit_events',
      'kes_system_up_time',
      'kes_system_num_cpu',
    ]) {
      expect(r.text).toContain(name);
    }
  });

  it('/v1/log/audit streams one ndjson record per key operation', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: audit records are checked field by field
    const lines: any[] = [];
    const https = await import('node:https');
    const agent = new https.Agent({ ca: pki.ca.certPem, cert: minio().certPem, key: minio().keyPem });
    const req = https.request(new URL('/v1/log/audit', kes.url), { agent });
    const ready = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        expect(res.headers['content-type']).toBe('application/x-ndjson');
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (c: string) => {
          buf += c;
          const parts = buf.split('\n');
          buf = parts.pop()!;
          for (const p of parts) lines.push(JSON.parse(p));
        });
        resolve();
      });
      req.on('error', reject);
    });
    req.end();
    await ready;
    await kes.client.post('/v1/key/generate/minio-default', {}, minio());
    await kes.client.post('/v1/key/decrypt/minio-default', { ciphertext: b64('x') }, minio());
    await expect.poll(() => lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({
      request: { path: '/v1/key/generate/minio-default', identity: minio().identity },
      response: { code: 200 },
    });
    expect(lines[1]).toMatchObject({
      request: { path: '/v1/key/decrypt/minio-default' },
      response: { code: 400 },
    });
    expect(lines[0].time).toMatch(/^\d{4}-/);
    req.destroy();
    agent.destroy();
  });
});

describe('keystore failures', () => {
  class FailingStore extends MemKeystore {
    failing = false;
    override async get(name: string) {
      if (this.failing) throw new KeystoreUnavailableError('vault: connect ECONNREFUSED');
      return super.get(name);
    }
    override async create(name: string, value: string) {
      if (this.failing) throw new KeystoreUnavailableError('vault: connect ECONNREFUSED');
      return super.create(name, value);
    }
    override async list(prefix: string) {
      if (this.failing) throw new KeystoreUnavailableError('vault: connect ECONNREFUSED');
      return super.list(prefix);
    }
    override async delete(name: string) {
      if (this.failing) throw new KeystoreUnavailableError('vault: connect ECONNREFUSED');
      return super.delete(name);
    }
    override async status() {
      return this.failing ? { latencyMs: 0, reachable: false } : { latencyMs: 1, reachable: true };
    }
  }

  it('502 with KES messages; cached keys keep serving; status sends both flags', async () => {
    const store = new FailingStore();
    const k = await startKes(pki, baseConfig(pki), store);
    try {
      await k.client.post('/v1/key/create/cached', undefined, admin());
      await k.client.post('/v1/key/create/uncached', undefined, admin());
      const gen = (await k.client.post('/v1/key/generate/cached', {}, admin())).json();
      store.failing = true;
      const expectations: Array<[string, string, number, string]> = [
        ['/v1/key/create/new-one', 'POST', 502, 'failed to create key'],
        ['/v1/key/generate/uncached', 'POST', 502, 'failed to read key'],
        ['/v1/key/list/*', 'GET', 502, 'failed to list keys'],
        ['/v1/key/delete/uncached', 'DELETE', 502, 'failed to delete key'],
        ['/v1/ready', 'GET', 504, 'key store is not reachable'],
      ];
      for (const [path, method, status, message] of expectations) {
        const r = await k.client.call(path, {
          method,
          client: admin(),
          body: method === 'POST' ? {} : undefined,
        });
        expect([path, r.status, r.json()]).toEqual([path, status, { message }]);
      }
      expect((await k.client.post('/v1/key/generate/cached', {}, admin())).status).toBe(200);
      expect(
        (await k.client.post('/v1/key/decrypt/cached', { ciphertext: gen.ciphertext }, admin())).json(),
      ).toEqual({
        plaintext: gen.plaintext,
      });
      const s = (await k.client.call('/v1/status', { client: admin() })).json();
      expect(s).toMatchObject({ keystore_unreachable: true, keystore_unavailable: true });
      store.failing = false;
      expect((await k.client.post('/v1/key/generate/uncached', {}, admin())).status).toBe(200);
    } finally {
      await k.close();
    }
  });

  it('legacy spelling when configured', async () => {
    const k = await startKes(pki, baseConfig(pki, { errors: 'legacy' }));
    try {
      await k.client.post('/v1/key/create/minio-x', undefined, minio());
      let r = await k.client.post('/v1/key/create/minio-x', undefined, minio());
      expect([r.status, r.json()]).toEqual([400, { message: 'key does already exist' }]);
      r = await k.client.post('/v1/key/create/my-key-1', undefined, minio());
      expect([r.status, r.json()]).toEqual([403, { message: 'prohibited by policy' }]);
    } finally {
      await k.close();
    }
  });
});
