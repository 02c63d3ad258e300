// The standby's front (docs/vault.md#ha-on-etcd): on the API listener, ahead of the router, it
// forwards what it can to the active node's cluster port and leaves everything else to the router
// with its body unread. A request the front took reaches the active node once and never the
// router; the router's own forwarding and answers (307, sys/seal, LIST) stay as they were.
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateClusterIdentity } from '../src/cluster/identity.js';
import type { Core } from '../src/core.js';
import { standbyFront } from '../src/http/forwarding.js';
import { activeSide, forwarderTo, type Seen } from './cluster-support.js';

const LEADER = 'https://active.example:8200';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function call(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    // A chunked body when asked for: written in two pieces with no Content-Length.
    if (headers['transfer-encoding'] === 'chunked' && body) {
      req.write(body.slice(0, 3));
      req.end(body.slice(3));
    } else req.end(body);
  });
}

describe('standby front', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  /**
   * A standby's API listener: the front over a router that records what reaches it and echoes the
   * body it reads. `reachable` false points the forwarder at a closed port.
   */
  async function standby(opts: { active?: boolean; reachable?: boolean } = {}) {
    const { identity } = await generateClusterIdentity();
    const side = await activeSide(() => identity);
    const clusterAddr =
      opts.reachable === false ? 'https://127.0.0.1:1' : `https://127.0.0.1:${side.listener.address.port}`;
    const known = opts.active !== false;
    const forwarder = forwarderTo(() => (known ? { clusterAddr, identity } : undefined));
    const core = {
      isStandby: () => true,
      activeNode: async () => (known ? { redirectAddr: LEADER, clusterAddr, identity } : undefined),
    } as unknown as Core;
    const routed: Seen[] = [];
    const router: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        routed.push({ method: req.method!, url: req.url!, headers: req.headers, body, fromCluster: false });
        res.writeHead(299, { 'x-router': '1' }).end(body);
      });
    };
    const front = standbyFront(
      { core, forwarder, maxRequestSize: 64, headers: { 'Cache-Control': 'no-store' } },
      router,
    );
    const server = http.createServer(front);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () => forwarder.close(),
      () => side.listener.close(),
      () => new Promise((r) => server.close(r)),
    );
    return { port: (server.address() as AddressInfo).port, seen: side.seen, routed };
  }

  it('forwards reads and writes straight to the active node; the router never sees them', async () => {
    const { port, seen, routed } = await standby();
    const read = await call(port, 'GET', '/v1/kv/a%2Fb?x=1', undefined, { 'x-vault-token': 'hvs.t' });
    expect(read).toMatchObject({ status: 201, body: '{"data":"streamed"}' });
    // The active node's headers, under this listener's own.
    expect(read.headers).toMatchObject({ 'x-answer': 'yes', 'cache-control': 'no-store' });
    const write = await call(port, 'PUT', '/v1/kv/k', '{"value":"one"}', {
      'content-type': 'application/json',
    });
    expect(write.status).toBe(201);
    expect(seen.map((s) => [s.method, s.url, s.body, s.fromCluster])).toEqual([
      ['GET', '/v1/kv/a%2Fb?x=1', '', true],
      ['PUT', '/v1/kv/k', '{"value":"one"}', true],
    ]);
    expect(seen[0]!.headers['x-vault-token']).toBe('hvs.t');
    expect(seen[1]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(routed).toEqual([]);
  });

  it('leaves to the router, body unread: local sys paths, sys/seal and sys/metrics, the opt-out, chunked or oversized bodies, other targets', async () => {
    const { port, seen, routed } = await standby();
    const cases: Array<[string, string, string | undefined, Record<string, string>]> = [
      ['GET', '/v1/sys/health', undefined, {}],
      ['PUT', '/v1/sys/unseal', '{"key":"k"}', {}],
      ['GET', '/v1/sys/leader/', undefined, {}],
      ['PUT', '/v1/sys/seal', undefined, {}],
      ['GET', '/v1/sys/metrics?format=prometheus', undefined, {}],
      ['GET', '/v1/kv/k', undefined, { 'x-vault-no-request-forwarding': '1' }],
      ['PUT', '/v1/kv/k', '{"value":"chunked"}', { 'transfer-encoding': 'chunked' }],
      ['PUT', '/v1/kv/k', `{"value":"${'x'.repeat(80)}"}`, {}],
      ['GET', '/v1/kv/%zz', undefined, {}],
      ['GET', '/ui/', undefined, {}],
      ['OPTIONS', '/v1/kv/k', undefined, {}],
    ];
    for (const [method, path, body, headers] of cases) {
      const answer = await call(port, method, path, body, headers);
      expect([method, path, answer.status, answer.body]).toEqual([method, path, 299, body ?? '']);
    }
    expect(routed.map((r) => r.url)).toEqual(cases.map((c) => c[1]));
    expect(seen).toEqual([]);
  });

  it('with no active node known, the router gets the request whole (it redirects or refuses)', async () => {
    const { port, seen, routed } = await standby({ active: false });
    const answer = await call(port, 'PUT', '/v1/kv/k', '{"value":"one"}');
    expect([answer.status, answer.body]).toEqual([299, '{"value":"one"}']);
    expect(routed).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it("an active node whose cluster port does not answer: Vault's 307 to its api_addr, the body read once", async () => {
    const { port, routed } = await standby({ reachable: false });
    const answer = await call(port, 'POST', '/v1/kv/k?x=1', '{"value":"one"}');
    expect(answer.status).toBe(307);
    expect(answer.headers.location).toBe(`${LEADER}/v1/kv/k?x=1`);
    expect(routed).toEqual([]);
  });
});
