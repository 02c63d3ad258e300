// `vault server` on Vault's etcd storage, against a real etcd (Debian's etcd-server, installed by
// .ci/run): init, unseal, KV through the built bin; every value in etcd is barrier ciphertext (no
// secret, token or share in any key or value); a restart comes back sealed with the same data; an
// unreachable etcd is a clear startup error. `vault operator migrate` moves a file-storage Vault
// to etcd and back without re-initialising; a server refuses to start while a migration holds it.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EtcdCluster, etcdBinary, etcdVaultConfig, startEtcd } from '@kms-chain/tools';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binDir,
  freePort,
  type Proc,
  plainVaultApi,
  sh,
  startVaultServer,
  tempDir,
} from './chain-support.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('vault-etcd.test: etcd is not installed (Debian etcd-server); skipped');

describe.skipIf(!hasEtcd)('vault server with storage "etcd"', { timeout: 120_000 }, () => {
  let etcd: EtcdCluster;
  let dir: string;
  let port: number;
  let vault: Proc | undefined;
  const api = plainVaultApi(() => port);
  const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;
  let keys: string[] = [];
  let root = '';

  const config = (address: string, extra?: string) =>
    etcdVaultConfig({
      etcdAddress: address,
      port,
      path: 'vault/',
      ...(extra ? { storageExtra: extra } : {}),
    });

  beforeAll(async () => {
    etcd = await startEtcd(1);
    dir = await tempDir('vault-etcd-');
    port = await freePort();
    await writeFile(join(dir, 'vault.hcl'), config(etcd.address, 'etcd_api = "v3"'));
  }, 60_000);
  afterAll(async () => {
    await vault?.stop();
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts on etcd, initialises, unseals and serves KV', async () => {
    vault = await startVaultServer(dir, ['-config', 'vault.hcl']);
    expect(vault.out()).toContain('Storage: etcd');
    const init = await api('PUT', 'sys/init', { secret_shares: 5, secret_threshold: 3 });
    expect(init.status).toBe(200);
    keys = init.json.keys_base64;
    root = init.json.root_token;
    for (const k of keys.slice(0, 3)) await api('PUT', 'sys/unseal', { key: k });
    expect((await api('GET', 'sys/seal-status')).json.sealed).toBe(false);
    expect((await api('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
    expect((await api('PUT', 'kv/minio/k1', { value: secret }, root)).status).toBe(204);
    expect((await api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({ value: secret });
  });

  it("keeps only ciphertext in etcd, under Vault's layout", async () => {
    const client = new Etcd3({ hosts: etcd.address });
    try {
      const all = await client.getAll().prefix('/vault/').buffers();
      const names = Object.keys(all);
      expect(names).toContain('/vault/core/keyring');
      expect(names).toContain('/vault/core/seal-config');
      expect(names.some((k) => k.startsWith('/vault/logical/'))).toBe(true);
      const needles = [secret, root, ...keys, ...keys.map((k) => Buffer.from(k, 'base64').toString('hex'))];
      for (const [key, value] of Object.entries(all)) {
        for (const needle of needles) {
          expect(key.includes(needle), key).toBe(false);
          expect(value.includes(Buffer.from(needle)), key).toBe(false);
        }
      }
    } finally {
      client.close();
    }
  });

  it('comes back sealed after a restart and serves the same data once unsealed', async () => {
    await vault!.stop();
    vault = await startVaultServer(dir, ['-config', 'vault.hcl']);
    expect((await api('GET', 'sys/seal-status')).json.sealed).toBe(true);
    for (const k of keys.slice(2, 5)) await api('PUT', 'sys/unseal', { key: k });
    expect((await api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({ value: secret });
  });

  it('exits 1 with a clear error when no etcd endpoint answers', async () => {
    const deadPort = await freePort();
    await writeFile(join(dir, 'dead.hcl'), config(`http://127.0.0.1:${deadPort}`, 'request_timeout = "2s"'));
    const r = sh(dir, `"${join(binDir, 'vault')}" server -config dead.hcl`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Error initializing storage of type etcd: etcd sync: /m);
  });
});

describe.skipIf(!hasEtcd)(
  'vault operator migrate between file and etcd storage',
  { timeout: 120_000 },
  () => {
    let etcd: EtcdCluster;
    let dir: string;
    let port: number;
    let vault: Proc | undefined;
    const api = plainVaultApi(() => port);
    const vaultBin = () => join(binDir, 'vault');
    const listener = () => `listener "tcp" {
  address     = "127.0.0.1:${port}"
  tls_disable = 1
}
disable_mlock = true
`;
    const fileBlock = (path: string) => `"file" {
  path = "${path}"
}`;
    const etcdBlock = () => `"etcd" {
  address = "${etcd.address}"
  path    = "/moved/"
}`;

    beforeAll(async () => {
      etcd = await startEtcd(1);
      dir = await tempDir('vault-migrate-');
      port = await freePort();
      await writeFile(join(dir, 'file.hcl'), `storage ${fileBlock('data')}\n${listener()}`);
      await writeFile(join(dir, 'etcd.hcl'), `storage ${etcdBlock()}\n${listener()}`);
      await writeFile(join(dir, 'back.hcl'), `storage ${fileBlock('back')}\n${listener()}`);
      await writeFile(
        join(dir, 'to-etcd.hcl'),
        `storage_source ${fileBlock('data')}\nstorage_destination ${etcdBlock()}\n`,
      );
      await writeFile(
        join(dir, 'to-file.hcl'),
        `storage_source ${etcdBlock()}\nstorage_destination ${fileBlock('back')}\n`,
      );
    }, 60_000);
    afterAll(async () => {
      await vault?.stop();
      await etcd?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('moves a file-storage Vault to etcd and back without re-initialising', async () => {
      vault = await startVaultServer(dir, ['-config', 'file.hcl']);
      const init = await api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
      const keys: string[] = init.json.keys_base64;
      const root: string = init.json.root_token;
      for (const k of keys.slice(0, 2)) await api('PUT', 'sys/unseal', { key: k });
      await api('POST', 'sys/mounts/kv', { type: 'kv' }, root);
      await api('PUT', 'kv/minio/k1', { value: 'moved' }, root);
      await vault.stop();
      vault = undefined;

      const there = sh(dir, `"${vaultBin()}" operator migrate -config to-etcd.hcl`);
      expect(there.status, there.stderr).toBe(0);
      expect(there.stdout).toBe('Success! All of the keys have been migrated.\n');
      expect(there.stderr).toMatch(/\[INFO\] {2}copied key: path=core\/keyring$/m);

      for (const [config, label] of [
        ['etcd.hcl', 'etcd'],
        ['back.hcl', 'file again'],
      ] as const) {
        if (config === 'back.hcl') {
          const back = sh(dir, `"${vaultBin()}" operator migrate -config to-file.hcl`);
          expect(back.status, back.stderr).toBe(0);
        }
        vault = await startVaultServer(dir, ['-config', config]);
        expect((await api('GET', 'sys/seal-status')).json.sealed, label).toBe(true);
        for (const k of keys.slice(1, 3)) await api('PUT', 'sys/unseal', { key: k });
        expect((await api('GET', 'kv/minio/k1', undefined, root)).json.data, label).toEqual({
          value: 'moved',
        });
        await vault.stop();
        vault = undefined;
      }
    });

    it('keeps a server from starting while a migration holds the storage; -reset clears it', async () => {
      const client = new Etcd3({ hosts: etcd.address });
      try {
        await client.put('/moved/core/migration').value('{"start":"2026-12-06T10:00:00Z"}');
      } finally {
        client.close();
      }
      const refused = sh(dir, `"${vaultBin()}" server -config etcd.hcl`);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(
        'ERROR! Storage migration in progress (started: 2026-12-06T10:00:00Z).',
      );
      const busy = sh(dir, `"${vaultBin()}" operator migrate -config to-file.hcl`);
      expect([busy.status, busy.stderr]).toEqual([
        2,
        'Error migrating: storage migration in progress (started: 2026-12-06T10:00:00Z)\n',
      ]);
      const reset = sh(dir, `"${vaultBin()}" operator migrate -config to-file.hcl -reset`);
      expect([reset.status, reset.stdout]).toEqual([0, 'Success! Migration lock reset (if it was set).\n']);
      vault = await startVaultServer(dir, ['-config', 'etcd.hcl']);
    });
  },
);
