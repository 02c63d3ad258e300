// Vault in HA on etcd with the built bins (docs/vault.md#ha-on-etcd): two nodes on one etcd, each
// unsealed on its own; one holds the lock and serves, the other stands by (health 429, sys/leader
// naming the active node, requests redirected to it with 307). A kill -9 of the active node hands
// the lock over once its lease expires; step-down hands it over at once; nothing written is lost.
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type EtcdCluster,
  etcdBinary,
  etcdVaultConfig,
  freePort,
  type Proc,
  startEtcd,
} from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { binDir, plainVaultApi, startVaultServer, tempDir } from './chain-support.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('vault-ha.test: etcd is not installed (Debian etcd-server); skipped');

const LOCK_TIMEOUT_S = 3;

interface Node {
  name: string;
  port: number;
  url: string;
  proc?: Proc;
  api: ReturnType<typeof plainVaultApi>;
}

describe.skipIf(!hasEtcd)('vault HA on etcd', { timeout: 120_000 }, () => {
  let etcd: EtcdCluster;
  let dir: string;
  const nodes: Node[] = [];
  let keys: string[] = [];
  let root = '';

  const health = async (n: Node): Promise<number> =>
    (await fetch(`${n.url}/v1/sys/health`).catch(() => undefined))?.status ?? 0;
  const status = (n: Node): string =>
    spawnSync(join(binDir, 'vault'), ['status'], {
      encoding: 'utf8',
      env: { ...process.env, VAULT_ADDR: n.url, HOME: dir },
    }).stdout;
  const start = async (n: Node) => {
    n.proc = await startVaultServer(dir, ['-config', `${n.name}.hcl`]);
  };
  const unseal = async (n: Node, from = 0) => {
    for (const k of keys.slice(from, from + 3)) await n.api('PUT', 'sys/unseal', { key: k });
  };

  beforeAll(async () => {
    etcd = await startEtcd(1);
    dir = await tempDir('vault-ha-');
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const n: Node = { name, port, url: `http://127.0.0.1:${port}`, api: plainVaultApi(() => port) };
      nodes.push(n);
      await writeFile(
        join(dir, `${name}.hcl`),
        etcdVaultConfig({
          etcdAddress: etcd.address,
          port,
          path: 'vault/',
          haEnabled: true,
          lockTimeout: `${LOCK_TIMEOUT_S}s`,
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const n of nodes) {
      const code = await n.proc?.stop('SIGTERM', 10_000);
      if (code !== undefined && code !== 0)
        console.warn(`vault-ha: node ${n.name} ended with ${code}:\n${n.proc!.out().slice(-2000)}`);
    }
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts both nodes on HA storage; the first unsealed becomes active, the other stands by', async () => {
    const [a, b] = nodes as [Node, Node];
    await start(a);
    await start(b);
    expect(a.proc!.out()).toContain('Storage: etcd (HA available)');
    const init = await a.api('PUT', 'sys/init', { secret_shares: 5, secret_threshold: 3 });
    keys = init.json.keys_base64;
    root = init.json.root_token;
    await unseal(a);
    await vi.waitFor(async () => expect(await health(a)).toBe(200), { timeout: 15_000 });
    await unseal(b, 2);
    expect(await health(b)).toBe(429);
    expect((await fetch(`${b.url}/v1/sys/health?standbyok=true`)).status).toBe(200);
    expect((await b.api('GET', 'sys/health')).json).toMatchObject({ standby: true, sealed: false });
    expect((await a.api('GET', 'sys/leader')).json).toMatchObject({
      ha_enabled: true,
      is_self: true,
      leader_address: a.url,
      leader_cluster_address: `https://127.0.0.1:${a.port + 1}`,
    });
    expect((await b.api('GET', 'sys/leader')).json).toMatchObject({
      ha_enabled: true,
      is_self: false,
      leader_address: a.url,
    });
  });

  it('sends requests on the standby to the active node (307), so a write there lands', async () => {
    const [a, b] = nodes as [Node, Node];
    const raw = await fetch(`${b.url}/v1/sys/mounts?x=1`, {
      redirect: 'manual',
      headers: { 'x-vault-token': root },
    });
    expect(raw.status).toBe(307);
    expect(raw.headers.get('location')).toBe(`${a.url}/v1/sys/mounts?x=1`);
    // A client that follows redirects (fetch, Vault's Go client, hvac) works against either node.
    expect((await b.api('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
    expect((await b.api('PUT', 'kv/minio/k1', { value: 'one' }, root)).status).toBe(204);
    expect((await a.api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({ value: 'one' });
  });

  it('lists both nodes in sys/ha-status and vault operator members; the CLI follows a standby to the active node', () => {
    const [a, b] = nodes as [Node, Node];
    const vault = (n: Node, ...args: string[]) =>
      spawnSync(join(binDir, 'vault'), args, {
        encoding: 'utf8',
        env: { ...process.env, VAULT_ADDR: n.url, VAULT_TOKEN: root, HOME: dir },
      });
    const json = vault(b, 'operator', 'members', '-format=json');
    expect(json.status, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout).nodes as Array<Record<string, unknown>>;
    expect(Object.fromEntries(listed.map((n) => [n['api_address'], n['active_node']]))).toEqual({
      [a.url]: true,
      [b.url]: false,
    });
    const table = vault(a, 'operator', 'members').stdout.split('\n');
    expect(table[0]).toMatch(
      /^Host Name +API Address +Cluster Address +Active Node +Version +Upgrade Version +Redundancy Zone +Last Echo$/,
    );
    expect(table[1]).toMatch(/^-{9} +-{11} +-{15} +-{11} +-{7} +-{15} +-{15} +-{9}$/);
    expect(table.some((l) => l.includes(a.url) && / true /.test(l))).toBe(true);
    // The CLI pointed at the standby follows its 307 to the active node.
    const read = vault(b, 'read', '-format=json', 'kv/minio/k1');
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout).data).toEqual({ value: 'one' });
  });

  it('vault status prints the HA mode and the active node as Vault does', () => {
    const [a, b] = nodes as [Node, Node];
    const active = status(a);
    expect(active).toMatch(/^HA Enabled +true$/m);
    expect(active).toMatch(/^HA Mode +active$/m);
    expect(active).toMatch(/^Active Since +\d{4}-\d\d-\d\dT/m);
    const standby = status(b);
    expect(standby).toMatch(/^HA Mode +standby$/m);
    expect(standby).toContain(`Active Node Address    ${a.url}`);
    expect(standby).toMatch(new RegExp(`^HA Cluster +https://127\\.0\\.0\\.1:${a.port + 1}$`, 'm'));
  });

  it('kill -9 of the active node: the standby takes over once the lease expires; nothing is lost', async () => {
    const [a, b] = nodes as [Node, Node];
    // A key rotation on the active node first: the standby must follow the new term to read k2.
    expect((await a.api('PUT', 'sys/rotate', undefined, root)).status).toBe(204);
    expect((await a.api('GET', 'sys/key-status', undefined, root)).json.data.term).toBe(2);
    expect((await b.api('PUT', 'kv/minio/k2', { value: 'two' }, root)).status).toBe(204);
    const killedAt = Date.now();
    await a.proc!.stop('SIGKILL');
    await vi.waitFor(async () => expect(await health(b)).toBe(200), { timeout: 30_000, interval: 100 });
    const takeoverMs = Date.now() - killedAt;
    console.log(`vault-ha: takeover after kill -9 took ${takeoverMs} ms (lock_timeout ${LOCK_TIMEOUT_S}s)`);
    for (const [k, v] of [
      ['k1', 'one'],
      ['k2', 'two'],
    ])
      expect((await b.api('GET', `kv/minio/${k}`, undefined, root)).json.data).toEqual({ value: v });
    // The killed node comes back as a standby once unsealed.
    await start(a);
    await unseal(a, 1);
    await vi.waitFor(async () => expect(await health(a)).toBe(429), { timeout: 15_000 });
  });
  it('step-down hands the lock to the standby', async () => {
    const [a, b] = nodes as [Node, Node];
    // b is active since the kill; a stands by. `vault operator step-down` on b hands the lock to a.
    const down = spawnSync(join(binDir, 'vault'), ['operator', 'step-down'], {
      encoding: 'utf8',
      env: { ...process.env, VAULT_ADDR: b.url, VAULT_TOKEN: root, HOME: dir },
    });
    expect([down.status, down.stdout]).toEqual([0, `Success! Stepped down: ${b.url}\n`]);
    await vi.waitFor(async () => expect(await health(a)).toBe(200), { timeout: 15_000 });
    expect(await health(b)).toBe(429);
    expect((await b.api('GET', 'sys/leader')).json).toMatchObject({ is_self: false, leader_address: a.url });
    expect((await b.api('GET', 'kv/minio/k2', undefined, root)).json.data).toEqual({ value: 'two' });
  });
});
