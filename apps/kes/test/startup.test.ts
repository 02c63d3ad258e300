// Startup behaviour: declared keys, a sealed Vault at start, server flags, log targets, `kes log`.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAddress, serverCommand } from '../src/cli/server.js';
import { main } from '../src/cli.js';
import { MemKeystore } from '../src/keystore/mem/index.js';
import { VaultKeystore } from '../src/keystore/vault/index.js';
import { Logs } from '../src/log.js';
import { FakeVault } from './helpers/fake-vault.js';
import { captureIo as capture } from './helpers/io.js';
import { makePki, type TestPki } from './helpers/pki.js';
import { baseConfig, startKes } from './helpers/server.js';

let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await makePki();
  dir = await mkdtemp(join(tmpdir(), 'kes-startup-'));
  await writeFile(join(dir, 'server.key'), pki.server.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'server.crt'), pki.server.certPem);
  await writeFile(join(dir, 'ca.crt'), pki.ca.certPem);
  await writeFile(join(dir, 'minio.key'), pki.minio.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'minio.crt'), pki.minio.certPem);
});

describe('declared keys', () => {
  it('creates config `keys` at startup and ignores ones that exist', async () => {
    const store = new MemKeystore();
    await store.create('existing', 'untouched');
    const kes = await startKes(pki, baseConfig(pki, { keys: ['minio-default', 'existing'] }), store);
    try {
      expect(await store.list('')).toEqual(['existing', 'minio-default']);
      expect(await store.get('existing')).toBe('untouched');
      expect((await kes.client.post('/v1/key/generate/minio-default', {}, pki.minio)).status).toBe(200);
    } finally {
      await kes.close();
    }
  });
});

describe('Vault sealed when KES starts', () => {
  it('502 until Vault is unsealed, then serves without a restart', async () => {
    const vault = new FakeVault({ roleId: 'r', secretId: 's' });
    await vault.start();
    vault.sealed = true;
    const store = new VaultKeystore({
      kind: 'vault',
      endpoints: [vault.url],
      engine: 'kv',
      version: 'v1',
      namespace: '',
      prefix: 'minio',
      approle: { engine: 'approle', id: 'r', secret: 's', retryMs: 50 },
      tls: {},
      pingMs: 50,
    });
    await store.start();
    const kes = await startKes(pki, baseConfig(pki), store);
    try {
      const r = await kes.client.post('/v1/key/create/minio-k', undefined, pki.minio);
      expect([r.status, r.json()]).toEqual([502, { message: 'failed to create key' }]);
      expect((await kes.client.call('/v1/ready', { client: pki.admin })).status).toBe(502);
      vault.sealed = false;
      await vi.waitFor(async () => {
        expect((await kes.client.post('/v1/key/create/minio-k', undefined, pki.minio)).status).toBe(200);
      });
      expect((await kes.client.call('/v1/ready', { client: pki.admin })).status).toBe(200);
    } finally {
      await kes.close();
      await vault.stop();
    }
  });
});

describe('kes server flags', () => {
  it.each([
    ['0.0.0.0:7373', { host: '0.0.0.0', port: 7373 }],
    [':7373', { host: '0.0.0.0', port: 7373 }],
    ['[::1]:7373', { host: '::1', port: 7373 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('parseAddress(%j)', (addr, want) => expect(parseAddress(addr)).toEqual(want));

  it.each(['7373', 'host:', 'a:70000'])('parseAddress rejects %j', (addr) =>
    expect(() => parseAddress(addr)).toThrow(),
  );

  it('--addr, --key/--cert, --auth=on and --root override a YAML config; error and audit logs go to files', async () => {
    const cfg = join(dir, 'kes.yaml');
    await writeFile(
      cfg,
      `address: 0.0.0.0:1
admin: { identity: disabled }
tls: { key: nowhere.key, cert: nowhere.crt, ca: ${join(dir, 'ca.crt')} }
log: { error: on, audit: on, audit_file: ${join(dir, 'audit.log')}, error_file: ${join(dir, 'error.log')} }
keystore: { mem: {} }
`,
    );
    const io = capture();
    const stop = new AbortController();
    const done = serverCommand(
      [
        `--config=${cfg}`,
        '--addr=127.0.0.1:0',
        `--key=${join(dir, 'server.key')}`,
        `--cert=${join(dir, 'server.crt')}`,
        '--auth=on',
        `--root=${pki.minio.identity}`,
      ],
      io,
      stop.signal,
    );
    await vi.waitFor(() => expect(io.stdout).toMatch(/Endpoint\s+https:\/\/127\.0\.0\.1:\d+/));
    const endpoint = /Endpoint\s+(https:\/\/\S+)/.exec(io.stdout)![1]!;
    expect(io.stdout).toMatch(/Auth\s+on/);
    const env = {
      KES_SERVER: endpoint,
      KES_CLIENT_KEY: join(dir, 'minio.key'),
      KES_CLIENT_CERT: join(dir, 'minio.crt'),
      KES_CLIENT_CA: join(dir, 'ca.crt'),
    };
    expect(await main(['key', 'create', 'admin-made'], capture(env))).toBe(0);
    expect(await main(['key', 'dek', 'missing-key'], capture(env))).toBe(1);
    stop.abort();
    expect(await done).toBe(0);
    const audit = (await readFile(join(dir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((a) => [a.request.path, a.response.code])).toEqual([
      ['/v1/key/create/admin-made', 200],
      ['/v1/key/generate/missing-key', 404],
    ]);
  });

  it('a missing TLS file is reported with its path and exit 1', async () => {
    const cfg = join(dir, 'bad.yaml');
    await writeFile(
      cfg,
      'admin: { identity: disabled }\ntls: { key: /nonexistent/k.key, cert: /nonexistent/c.crt }\nkeystore: { mem: {} }\n',
    );
    const io = capture();
    expect(await main(['server', `--config=${cfg}`, '--addr=127.0.0.1:0'], io)).toBe(1);
    expect(io.stderr).toBe("Error: failed to read TLS private key '/nonexistent/k.key': ENOENT\n");
  });
});

describe('kes log', () => {
  it('--audit prints the audit stream until the server goes away', async () => {
    const kes = await startKes(pki, baseConfig(pki));
    const io = capture({
      KES_SERVER: kes.url,
      KES_CLIENT_KEY: join(dir, 'minio.key'),
      KES_CLIENT_CERT: join(dir, 'minio.crt'),
      KES_CLIENT_CA: join(dir, 'ca.crt'),
    });
    const done = main(['log', '--audit'], io);
    await vi.waitFor(() => expect(kes.logs.audit.size).toBe(1));
    await kes.client.post('/v1/key/create/minio-logged', undefined, pki.minio);
    await vi.waitFor(() => expect(io.stdout).toContain('/v1/key/create/minio-logged'));
    await kes.close();
    expect(await done).toBe(0);
    expect(JSON.parse(io.stdout.split('\n')[0]!)).toMatchObject({
      request: { identity: pki.minio.identity },
      response: { code: 200 },
    });
  });
});

it('logs object: error lines carry no secrets', () => {
  const logs = new Logs();
  const seen: string[] = [];
  logs.errors.subscribe((e) => seen.push(e.message));
  logs.error('vault: approle login: vault: 400: invalid role or secret ID');
  expect(seen).toEqual(['vault: approle login: vault: 400: invalid role or secret ID']);
});
