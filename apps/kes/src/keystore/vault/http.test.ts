// keystore.vault.tls.ca is read once, when the keystore is made, by the shared CA-bundle reader: a
// CA path that trusts nothing fails at start-up, naming the path, not on the first request. An HA
// standby's 307 to the active node is followed with the same method, headers and body.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { VaultHttp } from './http.js';

const dir = mkdtempSync(join(tmpdir(), 'kes-vault-ca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a CA folder without certificates and a CA file that holds none', () => {
  const folder = join(dir, 'cas');
  mkdirSync(folder);
  writeFileSync(join(folder, 'notes.txt'), 'x');
  expect(() => new VaultHttp('https://127.0.0.1:8200', { ca: folder })).toThrow(/no CA certificate file/);
  const file = join(dir, 'ca.pem');
  writeFileSync(file, 'not a certificate');
  expect(() => new VaultHttp('https://127.0.0.1:8200', { ca: file })).toThrow(file);
});

async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () => new Promise((r) => s.close(() => r())),
  };
}

it("follows a standby's 307 to the active node with the same method, token and body", async () => {
  const seen: string[] = [];
  const active = await serve((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-vault-token']} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  const standby = await serve((req, res) => {
    res.writeHead(307, { location: `${active.url}${req.url}` }).end();
  });
  try {
    const r = await new VaultHttp(standby.url, {}).request('PUT', '/v1/kv/minio/k', {
      body: { k: 'v' },
      headers: { 'X-Vault-Token': 't1' },
    });
    expect(r).toEqual({ status: 200, body: { ok: true } });
    expect(seen).toEqual(['PUT /v1/kv/minio/k t1 {"k":"v"}']);
  } finally {
    await active.close();
    await standby.close();
  }
});
