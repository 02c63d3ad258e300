// The Vault keystore across several endpoints and through restarts (docs/kes-protocol.md#vault-endpoints):
// a dead, failing or sealed node is passed over for the next; a Vault that restarts within the
// retry budget is waited for; an outage longer than that answers at once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@kms-chain/tools';
import { afterEach, describe, expect, it } from 'vitest';
import { KeystoreUnavailableError } from '../src/keystore/keystore.js';
import { VaultKeystore } from '../src/keystore/vault/index.js';
import { FakeVault, keystoreConfig } from './helpers/fake-vault.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function vault(): Promise<FakeVault> {
  const v = new FakeVault({ roleId: 'role', secretId: 'secret' });
  await v.start();
  cleanups.push(() => v.stop());
  return v;
}

/** A server that answers every request with 500, as a Vault node that lost its active node does. */
async function failing(): Promise<string> {
  const s = http.createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":["local node not active"]}');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => s.close(r)));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function keystore(endpoints: string[], retryBudgetMs = 3_000, pingMs = 50): Promise<VaultKeystore> {
  const cfg = keystoreConfig(endpoints, { pingMs });
  const ks = new VaultKeystore(cfg, { retryBudgetMs });
  await ks.start();
  cleanups.push(() => ks.close());
  return ks;
}

describe('Vault endpoints', () => {
  it('passes over a node that refuses connections and one that answers 500', async () => {
    const v = await vault();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const ks = await keystore([dead, await failing(), v.url]);
    await ks.create('k1', 'value');
    expect(await ks.get('k1')).toBe('value');
    expect(v.entry('kv/minio/k1')).toEqual({ k1: 'value' });
  });

  it('serves from an unsealed node while another is sealed', async () => {
    const sealed = await vault();
    sealed.sealed = true;
    const open = await vault();
    const ks = await keystore([sealed.url, open.url]);
    expect(await ks.status()).toMatchObject({ reachable: true });
    await ks.create('k2', 'v2');
    expect(open.entry('kv/minio/k2')).toEqual({ k2: 'v2' });
    expect(sealed.entry('kv/minio/k2')).toBeUndefined();
  });

  it('waits for a Vault that comes back within the retry budget', async () => {
    const v = await vault();
    const ks = await keystore([v.url], 5_000, 0);
    await ks.create('k3', 'v3');
    await v.stop();
    const pending = ks.get('k3');
    await new Promise((r) => setTimeout(r, 500));
    await v.start();
    expect(await pending).toBe('v3');
  });

  it('answers at once once the health loop has seen Vault gone for longer than the budget', async () => {
    const v = await vault();
    const ks = await keystore([v.url], 300, 50);
    await ks.create('k4', 'v4');
    await v.stop();
    // Long enough for the health loop to see the outage and for it to outlast the budget.
    await new Promise((r) => setTimeout(r, 800));
    const err = await ks.get('k4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeystoreUnavailableError);
    await v.start();
  });
});
