// The cluster port's pieces in one process (docs/vault.md#ha-on-etcd): the term's identity and its
// advertisement, the listener that serves only peers with that identity, the standby's forwarder
// (request and answer relayed whole, X-Forwarded-For, fallback when it cannot forward) and echoes.
import { afterEach, describe, expect, it } from 'vitest';
import type { Forwarder } from '../src/cluster/forwarder.js';
import {
  type ClusterIdentity,
  generateClusterIdentity,
  parseClusterAdvert,
} from '../src/cluster/identity.js';
import type { ClusterListener } from '../src/cluster/listener.js';
import { parseConfigObject } from '../src/config.js';
import { advertisedClusterAddr, clusterListenAddresses } from '../src/http/cluster-node.js';
import { activeSide, forwarderTo, SELF, text } from './cluster-support.js';

describe('cluster port', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  const track = (l: ClusterListener, f: Forwarder) => {
    closers.push(
      () => f.close(),
      () => l.close(),
    );
  };

  it('an advertisement carries the identity whole; a key that does not match its certificate is refused', async () => {
    const { identity, fields } = await generateClusterIdentity();
    const back = parseClusterAdvert({ redirect_addr: 'x', ...fields })!;
    expect(back.certDer.equals(identity.certDer)).toBe(true);
    expect(back.serverName).toBe(identity.serverName);
    expect(back.serverName).toMatch(/^fw-[0-9a-f-]{36}$/);
    expect(parseClusterAdvert({ redirect_addr: 'x' })).toBeUndefined();
    const other = await generateClusterIdentity();
    expect(() =>
      parseClusterAdvert({ ...fields, cluster_key_params: other.fields.cluster_key_params }),
    ).toThrow(/does not match/);
  });

  it('forwards method, target, headers and body; relays status, headers and a streamed body', async () => {
    const { identity } = await generateClusterIdentity();
    const { listener, seen } = await activeSide(() => identity);
    const fwd = forwarderTo(() => ({ clusterAddr: `https://127.0.0.1:${listener.address.port}`, identity }));
    track(listener, fwd);
    const body = Buffer.from('{"value":"one"}');
    const res = await fwd.forward({
      method: 'PUT',
      url: '/v1/kv/a%2Fb?x=1&x=2',
      headers: {
        'x-vault-token': 'hvs.token',
        'content-type': 'application/json',
        'content-length': '999',
        connection: 'keep-alive',
        'x-forwarded-for': '10.0.0.9',
      },
      body,
      clientAddr: '192.0.2.7',
    });
    expect(res?.statusCode).toBe(201);
    expect(res!.headers['x-answer']).toBe('yes');
    expect(await text(res!)).toBe('{"data":"streamed"}');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: '/v1/kv/a%2Fb?x=1&x=2',
      body: '{"value":"one"}',
      fromCluster: true,
    });
    // The body's real length, the client's address last in X-Forwarded-For, hop-by-hop not relayed.
    expect(seen[0]!.headers).toMatchObject({
      'x-vault-token': 'hvs.token',
      'content-length': String(body.length),
      'x-forwarded-for': '10.0.0.9, 192.0.2.7',
    });
  });

  it('reuses one connection for sequential requests (no handshake per request)', async () => {
    const { identity } = await generateClusterIdentity();
    const { listener, seen } = await activeSide(() => identity);
    const fwd = forwarderTo(() => ({ clusterAddr: `https://127.0.0.1:${listener.address.port}`, identity }));
    track(listener, fwd);
    const ports = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const res = await fwd.forward({
        method: 'GET',
        url: `/v1/x/${i}`,
        headers: {},
        body: undefined,
        clientAddr: '',
      });
      ports.add(res!.socket.localPort!);
      await text(res!);
    }
    expect(seen).toHaveLength(5);
    expect(ports.size).toBe(1);
  });

  it('concurrent requests open several connections, each authenticated, none falls back', async () => {
    const { identity } = await generateClusterIdentity();
    const { listener, seen } = await activeSide(() => identity);
    const fwd = forwarderTo(() => ({ clusterAddr: `https://127.0.0.1:${listener.address.port}`, identity }));
    track(listener, fwd);
    const req = (i: number) => ({
      method: 'GET',
      url: `/v1/c/${i}`,
      headers: {},
      body: undefined,
      clientAddr: '',
    });
    // Each round needs more connections than the last: new ones open after earlier ones finished
    // their handshakes (a client that offered to resume a session there was refused once).
    for (const width of [2, 6, 12]) {
      const answers = await Promise.all(Array.from({ length: width }, (_, i) => fwd.forward(req(i))));
      expect(answers.map((r) => r?.statusCode)).toEqual(Array(width).fill(201));
      await Promise.all(answers.map((r) => text(r!)));
    }
    expect(seen).toHaveLength(20);
  });

  it('cannot forward (resolves undefined, so the caller redirects) without an identity, to a refusing port, or to another term', async () => {
    const { identity } = await generateClusterIdentity();
    const other = await generateClusterIdentity();
    const { listener, seen } = await activeSide(() => identity);
    const clusterAddr = `https://127.0.0.1:${listener.address.port}`;
    const req = { method: 'GET', url: '/v1/x', headers: {}, body: undefined, clientAddr: '' };
    const none = forwarderTo(() => ({ clusterAddr, identity: undefined }));
    const stale = forwarderTo(() => ({ clusterAddr, identity: other.identity }));
    const closed = forwarderTo(() => ({ clusterAddr: 'https://127.0.0.1:1', identity }));
    track(listener, none);
    closers.push(
      () => stale.close(),
      () => closed.close(),
    );
    expect(await none.forward(req)).toBeUndefined();
    // A standby holding another term's certificate: the active node closes the connection.
    expect(await stale.forward(req)).toBeUndefined();
    expect(await closed.forward(req)).toBeUndefined();
    expect(seen).toHaveLength(0);
  });

  it('a node without an identity (a standby) serves nobody on its cluster port', async () => {
    const { identity } = await generateClusterIdentity();
    let current: ClusterIdentity | undefined = identity;
    const { listener, seen } = await activeSide(() => current);
    const fwd = forwarderTo(() => ({ clusterAddr: `https://127.0.0.1:${listener.address.port}`, identity }));
    track(listener, fwd);
    const req = { method: 'GET', url: '/v1/x', headers: {}, body: undefined, clientAddr: '' };
    await text((await fwd.forward(req))!);
    // The term ends: the pooled connection and any new one are refused.
    current = undefined;
    expect(await fwd.forward(req)).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('echoes reach the active node with who the standby is', async () => {
    const { identity } = await generateClusterIdentity();
    const { listener, echoes } = await activeSide(() => identity);
    const fwd = forwarderTo(() => ({ clusterAddr: `https://127.0.0.1:${listener.address.port}`, identity }));
    track(listener, fwd);
    expect(await fwd.echo()).toBe(true);
    expect(echoes).toEqual([SELF]);
    const silent = forwarderTo(() => undefined);
    closers.push(() => silent.close());
    expect(await silent.echo()).toBe(false);
  });
});

describe('cluster addresses', () => {
  const config = (extra: Record<string, unknown>, listener: Record<string, unknown> = {}) =>
    parseConfigObject(
      {
        storage: { inmem: {} },
        listener: { tcp: { address: '127.0.0.1:8200', tls_disable: 1, ...listener } },
        ...extra,
      },
      'test.hcl',
    );

  it.each([
    [{ api_addr: 'https://vault-1:8200' }, {}, 'https://vault-1:8201'],
    [{ api_addr: 'http://10.0.0.2:9200' }, {}, 'https://10.0.0.2:9201'],
    [{ api_addr: 'https://vault.example.com' }, {}, 'https://vault.example.com:444'],
    [{ api_addr: 'https://vault-1:8200', cluster_addr: 'https://vault-1:9999' }, {}, 'https://vault-1:9999'],
    [{ api_addr: 'https://vault-1:8200' }, { VAULT_CLUSTER_ADDR: 'https://env:1' }, 'https://env:1'],
    [{ api_addr: 'https://vault-1:8200', disable_clustering: true }, {}, ''],
    [{}, {}, ''],
  ])('advertises %j (env %j) as %j', (extra, env, want) => {
    expect(advertisedClusterAddr(config(extra), env)).toBe(want);
  });

  it('binds each listener on its cluster_address, else its port + 1', () => {
    expect(clusterListenAddresses(config({}))).toEqual([{ host: '127.0.0.1', port: 8201 }]);
    expect(clusterListenAddresses(config({}, { cluster_address: '0.0.0.0:9301' }))).toEqual([
      { host: '0.0.0.0', port: 9301 },
    ]);
    expect(() => config({}, { cluster_address: 'nowhere' })).toThrow(/cluster_address: expected host:port/);
  });
});
