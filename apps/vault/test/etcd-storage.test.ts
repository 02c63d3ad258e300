// Vault's etcd storage on a real etcd (Debian's etcd-server; .ci/run installs it): the storage
// contract, Vault's key layout under `path`, endpoint discovery, option errors, and a clear error
// (never a hang past request_timeout) when etcd is down.
import { type EtcdCluster, etcdBinary, startEtcd } from '@kms-chain/tools';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStorage, EtcdStorageError, parseEtcdOptions } from '../src/storage/etcd.js';
import { storageContract } from './storage-contract.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('etcd-storage.test: etcd is not installed (Debian etcd-server); skipped');

let etcd: EtcdCluster;
let raw: Etcd3;
const opened: EtcdStorage[] = [];
let n = 0;

async function storage(extra: Record<string, unknown> = {}): Promise<EtcdStorage> {
  const s = await EtcdStorage.open(parseEtcdOptions({ address: etcd.address, path: `/t${n++}/`, ...extra }));
  opened.push(s);
  return s;
}

describe.skipIf(!hasEtcd)('etcd storage', () => {
  beforeAll(async () => {
    etcd = await startEtcd(1);
    raw = new Etcd3({ hosts: etcd.address });
  }, 60_000);
  afterAll(async () => {
    for (const s of opened) s.close();
    raw?.close();
    await etcd?.stop();
  });

  describe('storage contract', () => storageContract(() => storage()));

  it("lays keys out as Vault does: <path>/<key>, the barrier's bytes as they are", async () => {
    const s = await storage({ path: 'vault-layout' });
    const blob = Buffer.from([0, 1, 2, 250, 251, 252]);
    await s.put('core/keyring', blob);
    await s.put('logical/u1/deep/key', Buffer.from('v'));
    expect(await raw.get('/vault-layout/core/keyring').buffer()).toEqual(blob);
    expect((await raw.getAll().prefix('/vault-layout/').keys()).sort()).toEqual([
      '/vault-layout/core/keyring',
      '/vault-layout/logical/u1/deep/key',
    ]);
    // Keys beside the prefix are not ours: a sibling path never shows in a listing.
    await raw.put('/vault-layout-other/x').value('y');
    expect(await s.list('')).toEqual(['core/', 'logical/']);
  });

  it('discovers the members from the cluster with sync (the default), and works without it', async () => {
    const synced = await storage();
    await synced.put('k', Buffer.from('v'));
    const plain = await storage({ sync: 'false', path: synced.options.path });
    expect((await plain.get('k'))!.toString()).toBe('v');
  });

  it('refuses bad options with the option named', () => {
    expect(() => parseEtcdOptions({ etcd_api: 'v2' })).toThrow('storage.etcd.etcd_api: only the v3 API');
    expect(() => parseEtcdOptions({ ha_enabled: 'perhaps' })).toThrow(
      "value [perhaps] of 'ha_enabled' could not be understood",
    );
    expect(() => parseEtcdOptions({ request_timeout: 'soon' })).toThrow('storage.etcd.request_timeout');
    expect(() => parseEtcdOptions({ address: 'localhost:2379' })).toThrow(
      'is not an http(s)://host:port URL',
    );
    expect(parseEtcdOptions({}, {})).toMatchObject({
      endpoints: ['http://localhost:2379'],
      path: '/vault/',
      haEnabled: false,
      sync: true,
      requestTimeout: 5,
      lockTimeout: 15,
    });
    expect(parseEtcdOptions({ ha_enabled: 'false' }, { ETCD_HA_ENABLED: 'true' }).haEnabled).toBe(true);
  });

  it('answers an EtcdStorageError within request_timeout when etcd is down, and recovers', async () => {
    const s = await storage({ request_timeout: '1s', sync: 'false' });
    await s.put('before', Buffer.from('1'));
    const member = etcd.members[0]!;
    await member.proc.stop('SIGKILL');
    const start = Date.now();
    const err = await s.get('before').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdStorageError);
    expect((err as Error).message).toMatch(/^etcd get: /);
    expect(Date.now() - start).toBeLessThan(10_000);
    await member.restart();
    // The client reconnects on its own; the value written before the outage is there.
    let value: Buffer | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await s.get('before').catch(() => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    expect(value?.toString()).toBe('1');
  }, 60_000);
});
