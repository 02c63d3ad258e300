// The Vault keystore against a Vault-protocol test server on loopback (docs/kes-protocol.md#vault-keystore).

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate } from '@kms-chain/tls-identity';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { VaultKeystoreConfig } from '../src/config/types.js';
import { KeyExistsError, KeyNotFoundError, KeystoreUnavailableError } from '../src/keystore/keystore.js';
import { VaultKeystore } from '../src/keystore/vault/index.js';
import { FakeVault, keystoreConfig } from './helpers/fake-vault.js';
import { b64 } from './helpers/http.js';
import { makePki, type TestPki } from './helpers/pki.js';
import { baseConfig, startKes } from './helpers/server.js';

let pki: TestPki;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  pki = await makePki();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function vault(opts: Partial<ConstructorParameters<typeof FakeVault>[0]> = {}): Promise<FakeVault> {
  const v = new FakeVault({ roleId: 'role', secretId: 'secret', ...opts });
  await v.start();
  cleanups.push(() => v.stop());
  return v;
}

function storeConfig(v: FakeVault, over: Partial<VaultKeystoreConfig> = {}): VaultKeystoreConfig {
  return keystoreConfig([v.url], over);
}

async function keystore(v: FakeVault, over: Partial<VaultKeystoreConfig> = {}): Promise<VaultKeystore> {
  const ks = new VaultKeystore(storeConfig(v, over));
  await ks.start();
  cleanups.push(() => ks.close());
  return ks;
}

describe('KV layouts (docs/kes-protocol.md#kv-layout)', () => {
  it('v1: kv/<prefix>/<name> with the value under field <name>', async () => {
    const v = await vault();
    const ks = await keystore(v);
    await ks.create('minio-key-1', 'VALUE');
    expect(v.entry('kv/minio/minio-key-1')).toEqual({ 'minio-key-1': 'VALUE' });
    await expect(ks.create('minio-key-1', 'OTHER')).rejects.toBeInstanceOf(KeyExistsError);
    expect(await ks.get('minio-key-1')).toBe('VALUE');
    await expect(ks.get('nope')).rejects.toBeInstanceOf(KeyNotFoundError);
    await ks.create('minio-key-2', 'V2');
    expect(await ks.list('')).toEqual(['minio-key-1', 'minio-key-2']);
    expect(await ks.list('minio-key-2')).toEqual(['minio-key-2']);
    await ks.delete('minio-key-1');
    await ks.delete('minio-key-1');
    await expect(ks.get('minio-key-1')).rejects.toBeInstanceOf(KeyNotFoundError);
    const calls = v.calls
      .filter((c) => !c.path.startsWith('/v1/sys/health'))
      .map((c) => `${c.method} ${c.path}`);
    expect(calls.slice(0, 3)).toEqual([
      'PUT /v1/auth/approle/login',
      'GET /v1/kv/minio/minio-key-1',
      'PUT /v1/kv/minio/minio-key-1',
    ]);
    expect(calls).toContain('GET /v1/kv/minio?list=true');
    expect(calls).toContain('DELETE /v1/kv/minio/minio-key-1');
  });

  it('v1 with an empty prefix lists the mount root', async () => {
    const v = await vault();
    const ks = await keystore(v, { prefix: '' });
    await ks.create('k1', 'v');
    expect(v.entry('kv/k1')).toEqual({ k1: 'v' });
    expect(await ks.list('')).toEqual(['k1']);
  });

  it('v2: data/ and metadata/ paths, CAS=0 create, namespace header everywhere', async () => {
    const v = await vault({ mounts: { secret: 'v2' } });
    const ks = await keystore(v, {
      engine: 'secret',
      version: 'v2',
      prefix: 'kes/keys',
      namespace: 'team-a',
    });
    await ks.create('k', 'VALUE');
    expect(v.entry('secret/kes/keys/k')).toEqual({ k: 'VALUE' });
    const put = v.calls.find((c) => c.method === 'PUT' && c.path === '/v1/secret/data/kes/keys/k');
    expect(put?.body).toEqual({ options: { cas: 0 }, data: { k: 'VALUE' } });
    await expect(ks.create('k', 'X')).rejects.toBeInstanceOf(KeyExistsError);
    expect(await ks.get('k')).toBe('VALUE');
    expect(v.calls.some((c) => c.path === '/v1/secret/data/kes/keys/k?version=1')).toBe(true);
    expect(await ks.list('')).toEqual(['k']);
    await ks.delete('k');
    expect(v.calls.some((c) => c.method === 'DELETE' && c.path === '/v1/secret/metadata/kes/keys/k')).toBe(
      true,
    );
    await expect(ks.get('k')).rejects.toBeInstanceOf(KeyNotFoundError);
    for (const c of v.calls.filter((c) => !c.path.startsWith('/v1/sys/health')))
      expect(c.namespace).toBe('team-a');
  });

  it('login namespace: "/" clears it, a value overrides the store namespace', async () => {
    const v = await vault();
    await keystore(v, {
      namespace: 'ns1',
      approle: { engine: 'approle', id: 'role', secret: 'secret', retryMs: 100, namespace: '/' },
    });
    expect(v.calls.find((c) => c.path === '/v1/auth/approle/login')?.namespace).toBeUndefined();
    const v2 = await vault();
    await keystore(v2, {
      namespace: 'ns1',
      approle: { engine: 'approle', id: 'role', secret: 'secret', retryMs: 100, namespace: 'admin' },
    });
    expect(v2.calls.find((c) => c.path === '/v1/auth/approle/login')?.namespace).toBe('admin');
  });
});

describe('AppRole token lifecycle (docs/kes-protocol.md#login-and-renewal)', () => {
  it('renews at 80% of the TTL with renew-self', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const v = await vault({ ttl: 60 });
    await keystore(v, { pingMs: 0 });
    expect(v.logins).toBe(1);
    await vi.advanceTimersByTimeAsync(47_000);
    expect(v.renewals).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(v.renewals).toBe(1));
    const renew = v.calls.find((c) => c.path === '/v1/auth/token/renew-self');
    expect(renew?.body).toEqual({ increment: 0 });
    expect(v.logins).toBe(1);
  });

  it('logs in again when the token is not renewable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const v = await vault({ ttl: 60, renewable: false });
    await keystore(v, { pingMs: 0 });
    await vi.advanceTimersByTimeAsync(48_000);
    await vi.waitFor(() => expect(v.logins).toBe(2));
    expect(v.renewals).toBe(0);
  });

  it('retries a failed login every approle.retry and recovers', async () => {
    const v = await vault();
    const ks = await keystore(v, {
      approle: { engine: 'approle', id: 'role', secret: 'wrong', retryMs: 50 },
    });
    await expect(ks.get('x')).rejects.toBeInstanceOf(KeystoreUnavailableError);
    expect(v.logins).toBe(0);
    v.opts.secretId = 'wrong';
    await vi.waitFor(() => expect(v.logins).toBeGreaterThan(0));
    await expect(ks.get('x')).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it('logs in again when Vault forgot the token (403) and retries the call once', async () => {
    const v = await vault();
    const ks = await keystore(v);
    await ks.create('k', 'v');
    v.tokens.clear();
    expect(await ks.get('k')).toBe('v');
    expect(v.logins).toBe(2);
  });
});

describe('Kubernetes auth', () => {
  it('logs in with role and JWT, re-reading a JWT file at every login', async () => {
    const v = await vault({ kubernetes: { role: 'kes', jwt: 'jwt-1' } });
    const dir = await mkdtemp(join(tmpdir(), 'kes-k8s-'));
    await writeFile(join(dir, 'token'), 'jwt-1\n');
    const ks = await keystore(v, {
      kubernetes: { engine: 'kubernetes', role: 'kes', jwt: join(dir, 'token'), retryMs: 50 },
    });
    await ks.create('k', 'v');
    expect(v.calls.find((c) => c.path === '/v1/auth/kubernetes/login')?.body).toEqual({
      role: 'kes',
      jwt: 'jwt-1',
    });
    // The token rotates on disk; after Vault forgets KES's token the next login uses the new one.
    v.opts.kubernetes = { role: 'kes', jwt: 'jwt-2' };
    await writeFile(join(dir, 'token'), 'jwt-2\n');
    v.tokens.clear();
    expect(await ks.get('k')).toBe('v');
    expect(v.logins).toBe(2);
  });
});

describe('TLS to Vault', () => {
  it('verifies Vault with `ca`, accepting the guide CN=localhost certificate on 127.0.0.1', async () => {
    const cert = await createCertificate({ subject: { commonName: 'localhost' }, serverAuth: true });
    const dir = await mkdtemp(join(tmpdir(), 'kes-vault-tls-'));
    await writeFile(join(dir, 'vault-tls.crt'), cert.certPem);
    const v = await vault({ tls: { cert: cert.certPem, key: cert.keyPem } });
    const ks = await keystore(v, { tls: { ca: join(dir, 'vault-tls.crt') } });
    await ks.create('k', 'v');
    expect(await ks.get('k')).toBe('v');
    // Without the CA the connection is refused.
    const untrusted = await keystore(v, { tls: {} });
    await expect(untrusted.get('k')).rejects.toBeInstanceOf(KeystoreUnavailableError);
  });
});

describe('KES over Vault: outages, sealing, recovery', () => {
  async function kesOver(v: FakeVault, offlineMs = 60_000) {
    const ks = await keystore(v);
    const kes = await startKes(
      pki,
      baseConfig(pki, { cache: { anyMs: 60_000, unusedMs: 60_000, offlineMs } }),
      ks,
      50,
    );
    cleanups.push(() => kes.close());
    return kes;
  }

  it('stores the key JSON a real KES reads at kv/minio/<name>', async () => {
    const v = await vault();
    const kes = await kesOver(v);
    const r = await kes.client.post('/v1/key/create/minio-key-1', undefined, pki.minio);
    expect(r.status).toBe(200);
    const stored = JSON.parse(v.entry('kv/minio/minio-key-1')!['minio-key-1']!);
    expect(Object.keys(stored).sort()).toEqual(['algorithm', 'bytes', 'created_at', 'created_by']);
    expect(Buffer.from(stored.bytes, 'base64')).toHaveLength(32);
    expect(stored.algorithm).toBe('AES256');
    expect(stored.created_by).toBe(pki.minio.identity);
  });

  it.each(['stopped', 'sealed'])(
    'Vault %s: cached keys serve, uncached → 502, back → recovers',
    async (how) => {
      const v = await vault();
      const kes = await kesOver(v);
      const admin = pki.admin;
      await kes.client.post('/v1/key/create/hot', undefined, admin);
      await kes.client.post('/v1/key/create/cold', undefined, admin);
      const gen = (await kes.client.post('/v1/key/generate/hot', { context: b64('{}') }, admin)).json();

      if (how === 'stopped') await v.stop();
      else v.sealed = true;
      if (how === 'sealed')
        await vi.waitFor(() => expect(v.calls.at(-1)?.path).toMatch(/^\/v1\/sys\/health/));

      const hot = await kes.client.post(
        '/v1/key/decrypt/hot',
        { ciphertext: gen.ciphertext, context: b64('{}') },
        admin,
      );
      expect(hot.json()).toEqual({ plaintext: gen.plaintext });
      expect((await kes.client.post('/v1/key/generate/hot', {}, admin)).status).toBe(200);
      const cold = await kes.client.post('/v1/key/generate/cold', {}, admin);
      expect([cold.status, cold.json()]).toEqual([502, { message: 'failed to read key' }]);
      const created = await kes.client.post('/v1/key/create/new', undefined, admin);
      expect([created.status, created.json()]).toEqual([502, { message: 'failed to create key' }]);
      const status = (await kes.client.call('/v1/status', { client: admin })).json();
      expect(status).toMatchObject({ keystore_unreachable: true, keystore_unavailable: true });
      const ready = await kes.client.call('/v1/ready', { client: admin });
      expect(ready.status).toBe(how === 'stopped' ? 504 : 502);

      if (how === 'stopped') {
        v.tokens.clear(); // a restarted Vault (dev-style) no longer knows KES's token
        await v.start();
      } else v.sealed = false;
      await vi.waitFor(async () => {
        expect((await kes.client.post('/v1/key/generate/cold', {}, admin)).status).toBe(200);
      });
      expect((await kes.client.post('/v1/key/create/new', undefined, admin)).status).toBe(200);
      expect((await kes.client.call('/v1/status', { client: admin })).json()).not.toHaveProperty(
        'keystore_unreachable',
      );
    },
  );

  it('two KES servers share one Vault: a key made on one works on the other', async () => {
    const v = await vault();
    const a = await kesOver(v);
    const b = await kesOver(v);
    await a.client.post('/v1/key/create/minio-shared', undefined, pki.minio);
    const ctx = b64('{"bucket":"bucket/object"}');
    const gen = (await a.client.post('/v1/key/generate/minio-shared', { context: ctx }, pki.minio)).json();
    const dec = await b.client.post(
      '/v1/key/decrypt/minio-shared',
      { ciphertext: gen.ciphertext, context: ctx },
      pki.minio,
    );
    expect(dec.json()).toEqual({ plaintext: gen.plaintext });
    const again = await b.client.post('/v1/key/create/minio-shared', undefined, pki.minio);
    expect([again.status, again.json()]).toEqual([400, { message: 'key already exists' }]);
  });
});
