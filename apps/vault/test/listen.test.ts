// Real listeners: the LIST verb (which Node's parser refuses on its own), TLS ≥ 1.2 with HSTS,
// and raw request targets with traversal that an HTTP client would otherwise normalise.
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { createDevPki } from '@kms-chain/tls-identity';
import { loopbackPki } from '@kms-chain/tools';
import { describe, expect, it, vi } from 'vitest';
import { parseListRequest } from '../src/http/listen.js';
import { closeAfterEach, type Harness, harness, initAndUnseal, serveOnLoopback } from './helpers.js';

let h: Harness;
closeAfterEach(() => h);

function raw(
  port: number,
  method: string,
  path: string,
  token: string,
  body?: string,
  secure?: boolean,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const mod = secure ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { 'x-vault-token': token },
        rejectUnauthorized: false,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('parseListRequest', () => {
  it.each([
    ['LIST /v1/kv HTTP/1.1\r\nHost: x\r\n\r\n', '/v1/kv?list=true', { host: 'x' }],
    [
      'LIST /v1/kv?a=1 HTTP/1.1\r\nX-Vault-Token: t\r\n\r\n',
      '/v1/kv?a=1&list=true',
      { 'x-vault-token': 't' },
    ],
  ])('%j → %s', (input, url, headers) => {
    const parsed = parseListRequest(Buffer.from(input));
    expect(parsed?.url).toBe(url);
    expect(parsed?.headers).toEqual(headers);
  });

  it.each([
    'GET /v1/kv HTTP/1.1\r\n\r\n',
    'LIST /v1/kv HTTP/1.1\r\nHost: x\r\n',
    'LIST /v1/kv HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}',
    'LIST /v1/kv HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'LISTEN',
  ])('refuses %j', (input) => {
    expect(parseListRequest(Buffer.from(input))).toBeUndefined();
  });
});

describe('listeners', () => {
  it('serves the LIST verb (then closes that connection) and refuses traversal in raw request targets', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('PUT', 'kv/dir/a', { v: '1' }, root);
    const port = (await serveOnLoopback({ core: h.core })).address.port;
    const list = await raw(port, 'LIST', '/v1/kv/dir', root);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).data.keys).toEqual(['a']);
    for (const p of ['/v1/kv/dir/../x', '/v1/kv/%2e%2e/x', '/v1/kv/./x']) {
      const res = await raw(port, 'PUT', p, root, '{"a":"b"}');
      expect(res.status, p).toBe(400);
      expect(JSON.parse(res.body).errors[0]).toMatch(/^invalid path/);
    }
    expect(JSON.parse((await raw(port, 'LIST', '/v1/kv/', root)).body).data.keys).toEqual(['dir/']);
  });

  it('TLS listener: TLS 1.2+ only, HSTS header, LIST works through TLS', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    const { server } = await loopbackPki('vault listen test CA');
    const pem = { cert: server.certPem, key: server.keyPem, minVersion: 'TLSv1.2' } as const;
    const port = (await serveOnLoopback({ core: h.core, tls: true }, pem)).address.port;
    const res = await raw(port, 'LIST', '/v1/sys/policies/acl', root, undefined, true);
    expect(JSON.parse(res.body).data.keys).toEqual(['default', 'root']);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const old = await new Promise<string>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
        rejectUnauthorized: false,
      });
      s.on('secureConnect', () => {
        resolve('connected');
        s.destroy();
      });
      s.on('error', () => resolve('refused'));
    });
    expect(old).toBe('refused');
  });

  it('TLS listener: a request that arrives while a large answer still drains is answered, not reset', async () => {
    h = await harness({ inmem: true });
    const pki = await createDevPki(join(h.dir, 'pki'), { clients: [] });
    const { root } = await initAndUnseal(h, 1, 1);
    const pem = { cert: Buffer.from(pki.server.certPem), key: Buffer.from(pki.server.keyPem) };
    const listener = await serveOnLoopback({ core: h.core, tls: true }, pem);
    const big = JSON.stringify({ v: 'x'.repeat(8 << 20) });
    const put = (path: string, body: string) =>
      `PUT ${path} HTTP/1.1\r\nhost: localhost\r\nx-vault-token: ${root}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = tls.connect({
      host: '127.0.0.1',
      port: listener.address.port,
      ca: pki.ca.certPem,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    let text = '';
    let error: string | undefined;
    socket.on('error', (err) => {
      error = err.message;
    });
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    socket.write(put('/v1/cubbyhole/big', big));
    await vi.waitFor(() => expect(text).toMatch(/^HTTP\/1\.1 204/), { timeout: 15_000 });
    // The 8 MiB answer fills the server's write buffer while this client does not read; the next
    // request arrives whole, many TLS records at once.
    socket.pause();
    socket.write(`GET /v1/cubbyhole/big HTTP/1.1\r\nhost: localhost\r\nx-vault-token: ${root}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    socket.write(put('/v1/cubbyhole/small', JSON.stringify({ v: 'y'.repeat(1 << 20) })));
    await new Promise((r) => setTimeout(r, 300));
    socket.resume();
    await vi.waitFor(() => expect([...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].length).toBe(3), {
      timeout: 15_000,
    });
    socket.destroy();
    expect({ error, statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]) }).toEqual({
      error: undefined,
      statuses: ['204', '200', '204'],
    });
  });
});
