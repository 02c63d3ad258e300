// Deadlines, the audit file, SIGHUP-style policy reload, skip_auth and verify mode.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MemKeystore } from '../src/keystore/mem/index.js';
import { Logs } from '../src/log.js';
import { buildServer, reloadPolicies } from '../src/server.js';
import { KesTestClient } from './helpers/http.js';
import { makePki, type TestPki } from './helpers/pki.js';
import { baseConfig, startKes } from './helpers/server.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

describe('route deadlines', () => {
  it('a keystore that hangs past the route timeout → 502, and the server stays up', async () => {
    class HangingStore extends MemKeystore {
      hang = false;
      override async get(name: string): Promise<string> {
        if (this.hang) return new Promise<string>(() => undefined);
        return super.get(name);
      }
    }
    const store = new HangingStore();
    const kes = await startKes(pki, baseConfig(pki, { timeouts: { '/v1/key/generate': 100 } }), store);
    try {
      await kes.client.post('/v1/key/create/slow', undefined, pki.admin);
      store.hang = true;
      const r = await kes.client.post('/v1/key/generate/slow', {}, pki.admin);
      expect([r.status, r.json()]).toEqual([502, { message: 'failed to read key' }]);
      expect((await kes.client.call('/v1/api', { client: pki.admin })).json()).toContainEqual({
        method: 'PUT',
        path: '/v1/key/generate/',
        max_body: 1 << 20,
        timeout: 0,
      });
      expect((await kes.client.call('/version')).status).toBe(200);
    } finally {
      await kes.close();
    }
  });
});

describe('audit file', () => {
  it('writes one JSON line per key operation to the configured file (0600)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kes-audit-'));
    const file = join(dir, 'audit.log');
    const logs = new Logs({ errorToStderr: false, auditToStdout: false, errorFiles: [], auditFiles: [file] });
    const app = await buildServer(baseConfig(pki), {
      logs,
      keystore: new MemKeystore(),
      tls: { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const client = new KesTestClient(`https://127.0.0.1:${port}`, pki.ca.certPem);
    try {
      await client.post('/v1/key/create/minio-audit', undefined, pki.minio);
      await client.post('/v1/key/generate/minio-audit', {}, pki.minio);
      await client.call('/v1/key/delete/minio-audit', { method: 'DELETE', client: pki.minio });
    } finally {
      client.close();
      await app.close();
      await logs.close();
    }
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.request.path, l.response.code])).toEqual([
      ['/v1/key/create/minio-audit', 200],
      ['/v1/key/generate/minio-audit', 200],
      ['/v1/key/delete/minio-audit', 403],
    ]);
    expect(lines[0].request.identity).toBe(pki.minio.identity);
  });
});

describe('policy reload', () => {
  it('applies new policies and identities without a restart', async () => {
    const kes = await startKes(pki, baseConfig(pki));
    try {
      let r = await kes.client.post('/v1/key/create/other-1', undefined, pki.stranger);
      expect(r.status).toBe(403);
      reloadPolicies(
        kes.app,
        baseConfig(pki, {
          policies: [
            { name: 'ops', allow: ['/v1/key/create/other-*'], deny: [], identities: [pki.stranger.identity] },
          ],
          errors: 'legacy',
        }),
      );
      r = await kes.client.post('/v1/key/create/other-1', undefined, pki.stranger);
      expect(r.status).toBe(200);
      r = await kes.client.post('/v1/key/create/minio-1', undefined, pki.minio);
      expect([r.status, r.json()]).toEqual([403, { message: 'prohibited by policy' }]);
    } finally {
      await kes.close();
    }
  });
});

describe('client certificate modes', () => {
  it('verify: a CA-signed cert works; a self-signed one fails the handshake', async () => {
    const kes = await startKes(pki, baseConfig(pki, { tls: { key: '', cert: '', clientAuth: 'verify' } }));
    try {
      expect((await kes.client.post('/v1/key/create/minio-v', undefined, pki.minio)).status).toBe(200);
      await expect(kes.client.post('/v1/key/create/minio-w', undefined, pki.stranger)).rejects.toThrow();
      expect((await kes.client.call('/version', { client: pki.minio })).status).toBe(200);
    } finally {
      await kes.close();
    }
  });

  it('skip_auth: /v1/ready without a certificate, key routes still need one', async () => {
    const kes = await startKes(pki, baseConfig(pki, { skipAuth: ['/v1/ready'] }));
    try {
      expect((await kes.client.call('/v1/ready')).status).toBe(200);
      const r = await kes.client.post('/v1/key/generate/minio-x', {});
      expect([r.status, r.json()]).toEqual([400, { message: 'tls: client certificate is required' }]);
      expect((await kes.client.call('/v1/status')).status).toBe(400);
    } finally {
      await kes.close();
    }
  });

  it('the glob matcher of the TOML era does not let `*` cross `/`', async () => {
    const kes = await startKes(
      pki,
      baseConfig(pki, {
        policyMatch: 'glob',
        policies: [{ name: 'p', allow: ['/v1/key/*'], deny: [], identities: [pki.minio.identity] }],
      }),
    );
    try {
      expect((await kes.client.post('/v1/key/create/minio-g', undefined, pki.minio)).status).toBe(403);
    } finally {
      await kes.close();
    }
    const prefix = await startKes(
      pki,
      baseConfig(pki, {
        policies: [{ name: 'p', allow: ['/v1/key/*'], deny: [], identities: [pki.minio.identity] }],
      }),
    );
    try {
      expect((await prefix.client.post('/v1/key/create/minio-g', undefined, pki.minio)).status).toBe(200);
    } finally {
      await prefix.close();
    }
  });
});

describe('error log stream', () => {
  it('streams keystore failures as {"message"} lines', async () => {
    class Broken extends MemKeystore {
      override async get(): Promise<string> {
        throw new Error('disk on fire');
      }
    }
    const kes = await startKes(pki, baseConfig(pki), new Broken());
    const seen: string[] = [];
    const off = kes.logs.errors.subscribe((e) => seen.push(e.message));
    try {
      const r = await kes.client.post('/v1/key/generate/any', {}, pki.admin);
      expect(r.status).toBe(502);
      await vi.waitFor(() => expect(seen.join('\n')).toContain('disk on fire'));
    } finally {
      off();
      await kes.close();
    }
  });
});
