// Two real `kes server` processes sharing one keystore: a Vault-protocol server and a directory.
// They run a private build of the CLI (helpers/build.ts).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Proc, startProc } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildKes, removeKesBuild } from './helpers/build.js';
import { FakeVault } from './helpers/fake-vault.js';
import { b64, KesTestClient } from './helpers/http.js';
import { makePki, type TestPki } from './helpers/pki.js';

let bin: string;
let pki: TestPki;
let dir: string;
const children: Proc[] = [];

beforeAll(async () => {
  bin = (await buildKes()).launcher;
  pki = await makePki();
  dir = await mkdtemp(join(tmpdir(), 'kes-procs-'));
  await writeFile(join(dir, 'kes.key'), pki.server.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'kes.crt'), pki.server.certPem);
}, 120_000);

afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await removeKesBuild();
});

interface KesProc {
  client: KesTestClient;
  /** stdout and stderr so far. */
  output: () => string;
  stop(): Promise<number | string>;
}

async function startProcess(config: string, env: NodeJS.ProcessEnv = {}): Promise<KesProc> {
  const file = join(dir, `kes-${children.length}.yaml`);
  await writeFile(file, config);
  const proc = startProc(process.execPath, [bin, 'server', `--config=${file}`], { env });
  children.push(proc);
  const [, endpoint] = await proc.waitFor(/Endpoint\s+https:\/\/(\S+)/, 20_000);
  const client = new KesTestClient(`https://${endpoint}`, pki.ca.certPem);
  return {
    client,
    output: () => proc.out(),
    stop: async () => {
      client.close();
      return proc.stop();
    },
  };
}

const yaml = (keystore: string, extra = ''): string => `version: v1
address: 127.0.0.1:0
admin:
  identity: ${pki.admin.identity}
tls:
  key: ${join(dir, 'kes.key')}
  cert: ${join(dir, 'kes.crt')}
cache:
  expiry:
    any: 5m
    unused: 5m
    offline: 1h
policy:
  minio:
    allow:
      - /v1/key/create/minio-*
      - /v1/key/generate/minio-*
      - /v1/key/decrypt/minio-*
    identities:
      - ${pki.minio.identity}
log:
  error: on
${extra}keystore:
${keystore}`;

describe('two KES processes', () => {
  it('share one Vault: keys cross over, outages are served from cache, recovery needs no restart', async () => {
    const vault = new FakeVault({ roleId: 'kes-role', secretId: 's3cr3t' });
    await vault.start();
    try {
      const store = `  vault:
    endpoint: ${vault.url}
    engine: kv
    prefix: minio
    approle:
      id: \${KES_APPROLE_ID}
      secret: \${KES_APPROLE_SECRET}
      retry: 100ms
    status:
      ping: 100ms
`;
      const env = { KES_APPROLE_ID: 'kes-role', KES_APPROLE_SECRET: 's3cr3t' };
      const a = await startProcess(yaml(store), env);
      const b = await startProcess(yaml(store), env);
      const minio = pki.minio;
      expect((await a.client.post('/v1/key/create/minio-key-1', undefined, minio)).status).toBe(200);
      expect(vault.entry('kv/minio/minio-key-1')).toBeDefined();
      const ctx = b64('{"bucket":"bucket/object.txt"}');
      const gen = (await a.client.post('/v1/key/generate/minio-key-1', { context: ctx }, minio)).json();
      const dec = await b.client.post(
        '/v1/key/decrypt/minio-key-1',
        { ciphertext: gen.ciphertext, context: ctx },
        minio,
      );
      expect(dec.json()).toEqual({ plaintext: gen.plaintext });
      expect((await b.client.post('/v1/key/create/minio-key-2', undefined, minio)).status).toBe(200);

      await vault.stop();
      // minio-key-1 is cached on both; minio-key-2 only exists in Vault for A.
      expect(
        (
          await a.client.post(
            '/v1/key/decrypt/minio-key-1',
            { ciphertext: gen.ciphertext, context: ctx },
            minio,
          )
        ).status,
      ).toBe(200);
      expect((await b.client.post('/v1/key/generate/minio-key-1', { context: ctx }, minio)).status).toBe(200);
      const miss = await a.client.post('/v1/key/generate/minio-key-2', { context: ctx }, minio);
      expect([miss.status, miss.json()]).toEqual([502, { message: 'failed to read key' }]);

      await vault.start();
      await vi.waitFor(async () => {
        expect((await a.client.post('/v1/key/generate/minio-key-2', { context: ctx }, minio)).status).toBe(
          200,
        );
      }, 10_000);
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
      expect(a.output()).not.toContain('s3cr3t');
    } finally {
      await vault.stop();
    }
  });

  it('share one fs keystore', async () => {
    const store = `  fs:
    path: ${join(dir, 'keys')}
`;
    const a = await startProcess(yaml(store));
    const b = await startProcess(yaml(store));
    try {
      await a.client.post('/v1/key/create/minio-fs', undefined, pki.minio);
      const gen = (await a.client.post('/v1/key/generate/minio-fs', {}, pki.minio)).json();
      expect(
        (await b.client.post('/v1/key/decrypt/minio-fs', { ciphertext: gen.ciphertext }, pki.minio)).json(),
      ).toEqual({
        plaintext: gen.plaintext,
      });
      const dup = await b.client.post('/v1/key/create/minio-fs', undefined, pki.minio);
      expect([dup.status, dup.json()]).toEqual([400, { message: 'key already exists' }]);
      const denied = await b.client.post('/v1/key/create/my-key-1', undefined, pki.minio);
      expect([denied.status, denied.json()]).toEqual([
        403,
        { message: 'not authorized: insufficient permissions' },
      ]);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  });
});
