// Vault in HA on etcd with the built bins (docs/vault.md#ha-on-etcd): two nodes on one etcd, each
// unsealed on its own; one holds the lock and serves, the other stands by (health 429, sys/leader
// naming the active node, requests forwarded to it over the cluster port with mutual TLS, or
// redirected with 307 when forwarding is off or impossible). Standbys echo to the active node, which
// lists them with their last echo. A kill -9 of the active node hands the lock over once its lease
// expires; step-down hands it over at once; nothing written is lost.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createCertificate } from '@kms-chain/tls-identity';
import {
  type EtcdCluster,
  etcdBinary,
  etcdVaultConfig,
  freePortRange,
  isListening,
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
  /** A raw request that follows no redirect: a 307 is the answer it reports. */
  const raw = (n: Node, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${n.url}/v1/${path}`, {
      method,
      redirect: 'manual',
      headers: { 'x-vault-token': root, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const haStatus = async (n: Node) =>
    (await n.api('GET', 'sys/ha-status', undefined, root)).json.nodes as Array<Record<string, unknown>>;
  /** A node's port: its API port, and the next one (its cluster port) free too. */
  const nodePort = async (): Promise<number> => {
    const taken = new Set(nodes.flatMap((n) => [n.port, n.port + 1]));
    for (;;) {
      const port = await freePortRange(2);
      if (!taken.has(port) && !taken.has(port + 1)) return port;
    }
  };
  const addNode = async (name: string, extra = ''): Promise<Node> => {
    const port = await nodePort();
    const n: Node = { name, port, url: `http://127.0.0.1:${port}`, api: plainVaultApi(() => port) };
    nodes.push(n);
    const config = etcdVaultConfig({
      etcdAddress: etcd.address,
      port,
      path: 'vault/',
      haEnabled: true,
      lockTimeout: `${LOCK_TIMEOUT_S}s`,
    });
    await writeFile(join(dir, `${name}.hcl`), `${config}${extra}`);
    return n;
  };

  beforeAll(async () => {
    etcd = await startEtcd(1);
    dir = await tempDir('vault-ha-');
    for (const name of ['a', 'b']) await addNode(name);
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

  it('forwards requests on the standby to the active node: a client that follows no redirect works there', async () => {
    const [a, b] = nodes as [Node, Node];
    const mounts = await raw(b, 'GET', 'sys/mounts?x=1');
    expect(mounts.status).toBe(200);
    expect(((await mounts.json()) as { data: Record<string, unknown> }).data['sys/']).toMatchObject({
      type: 'system',
    });
    expect((await raw(b, 'POST', 'sys/mounts/kv', { type: 'kv' })).status).toBe(204);
    expect((await raw(b, 'PUT', 'kv/minio/k1', { value: 'one' })).status).toBe(204);
    expect((await a.api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({ value: 'one' });
    const read = await raw(b, 'GET', 'kv/minio/k1');
    expect([read.status, ((await read.json()) as { data: unknown }).data]).toEqual([200, { value: 'one' }]);
    // Many at once: the standby opens several cluster connections; every request is forwarded.
    const many = await Promise.all(Array.from({ length: 40 }, () => raw(b, 'GET', 'kv/minio/k1')));
    expect(many.map((r) => r.status)).toEqual(Array(40).fill(200));
    const list = await raw(b, 'GET', 'kv/minio?list=true');
    expect([list.status, ((await list.json()) as { data: unknown }).data]).toEqual([200, { keys: ['k1'] }]);
    // Errors come back as the active node gave them: a bad token is the active node's 403.
    const denied = await raw(b, 'GET', 'kv/minio/k1', undefined, { 'x-vault-token': 'hvs.not-a-token' });
    expect(denied.status).toBe(403);
    // Vault's per-request opt-out: the standby redirects instead.
    const redirected = await raw(b, 'GET', 'sys/mounts?x=1', undefined, {
      'x-vault-no-request-forwarding': '1',
    });
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get('location')).toBe(`${a.url}/v1/sys/mounts?x=1`);
    // sys/seal is never forwarded: a standby refuses it, as Vault does, and the active node stays unsealed.
    const seal = await raw(b, 'PUT', 'sys/seal');
    expect(seal.status).toBe(500);
    expect(((await seal.json()) as { errors: string[] }).errors[0]).toContain(
      'vault cannot seal when in standby mode',
    );
    expect(await health(a)).toBe(200);
  });

  it('the cluster port serves only peers with the cluster certificate, and only on the active node', async () => {
    const [a, b] = nodes as [Node, Node];
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await createCertificate({
      subject: { commonName: 'fw-forged' },
      key: privateKey,
      dns: ['fw-forged'],
      isCa: true,
      keyUsages: ['digitalSignature', 'keyCertSign'],
      serverAuth: true,
      clientAuth: true,
    });
    const withForged = {
      cert: forged.certPem,
      key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    // No client certificate, a self-made one, plain HTTP: each connection closes without an answer.
    expect(await clusterProbe(a.port + 1, {})).toBe('refused');
    expect(await clusterProbe(a.port + 1, withForged)).toBe('refused');
    expect(await clusterProbe(a.port + 1, withForged, 'plain')).toBe('refused');
    // A standby's cluster port serves nobody.
    expect(await clusterProbe(b.port + 1, withForged)).toBe('refused');
    // Still forwarding for the real standby meanwhile.
    expect((await raw(b, 'GET', 'kv/minio/k1')).status).toBe(200);
  });

  it('with disable_clustering a standby redirects (307) and sends no heartbeats', async () => {
    const [a] = nodes as [Node, Node];
    const c = await addNode('c', 'disable_clustering = true\n');
    await start(c);
    await unseal(c, 1);
    expect(await health(c)).toBe(429);
    const res = await raw(c, 'GET', 'kv/minio/k1');
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`${a.url}/v1/kv/minio/k1`);
    expect(await isListening(c.port + 1)).toBe(false);
    const listed = (await haStatus(a)).find((n) => n['api_address'] === c.url);
    expect(listed).toMatchObject({ active_node: false, last_echo: null });
    await c.proc!.stop('SIGTERM', 10_000);
    nodes.pop();
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
    // The standby echoes to the active node (the first echo soon after it learns the active node).
    expect(listed.find((n) => n['api_address'] === a.url)?.['last_echo']).toBeNull();
    expect(String(listed.find((n) => n['api_address'] === b.url)?.['last_echo'])).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
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

  it("sys/ha-status shows the standby's last echo moving with its heartbeats", async () => {
    const [, b] = nodes as [Node, Node];
    const echoOf = async () =>
      Date.parse(String((await haStatus(b)).find((n) => n['api_address'] === b.url)?.['last_echo']));
    const first = await echoOf();
    expect(Number.isNaN(first)).toBe(false);
    // Heartbeats every 5 s: within 11 s the last echo has moved at least once.
    await vi.waitFor(async () => expect(await echoOf()).toBeGreaterThan(first), {
      timeout: 11_000,
      interval: 500,
    });
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
    // The active node's cluster port is gone: until the lock moves the standby redirects instead.
    const meanwhile = await raw(b, 'GET', 'kv/minio/k1');
    expect([meanwhile.status, meanwhile.headers.get('location')]).toEqual([307, `${a.url}/v1/kv/minio/k1`]);
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
    // The new term's advertisement lands a moment after its lock: until then b names no leader.
    await vi.waitFor(
      async () =>
        expect((await b.api('GET', 'sys/leader')).json).toMatchObject({
          is_self: false,
          leader_address: a.url,
        }),
      { timeout: 10_000, interval: 100 },
    );
    expect((await b.api('GET', 'kv/minio/k2', undefined, root)).json.data).toEqual({ value: 'two' });
  });
});

/**
 * Opens a connection to a cluster port (TLS with the given client certificate, or plain TCP) and
 * sends one API request: 'answered' when any byte of a response comes back, 'refused' when the
 * connection ends without one.
 */
function clusterProbe(
  port: number,
  client: { cert?: string; key?: string },
  mode: 'tls' | 'plain' = 'tls',
): Promise<'answered' | 'refused'> {
  return new Promise((resolve, reject) => {
    const request = 'GET /v1/sys/mounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const socket =
      mode === 'plain'
        ? connectPlain(port)
        : tls.connect({ host: '127.0.0.1', port, ...client, rejectUnauthorized: false, servername: 'fw-x' });
    const timer = setTimeout(() => reject(new Error('cluster port neither answered nor closed')), 10_000);
    socket.once(mode === 'plain' ? 'connect' : 'secureConnect', () => socket.write(request));
    socket.once('data', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('answered');
    });
    socket.once('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('refused');
    });
  });
}

function connectPlain(port: number) {
  return net.connect({ host: '127.0.0.1', port });
}
