import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientTlsOptions, createDevPki, type DevPki } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KesClient } from './kes-client.js';

// A stand-in KES over mTLS whose replies the test chooses, for what a real KES never sends.
describe('KesClient against an endpoint that misbehaves', () => {
  let dir: string;
  let pki: DevPki;
  let server: Server;
  let reply: (path: string) => { status: number; body: string };
  let client: KesClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kes-client-'));
    pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
    server = createServer(
      { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true },
      (req, res) => {
        req.resume();
        req.on('end', () => {
          const r = reply(req.url ?? '/');
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const minio = pki.clients.minio!;
    client = new KesClient({
      endpoints: [`https://127.0.0.1:${(server.address() as AddressInfo).port}`],
      defaultKeyId: 'k',
      tls: clientTlsOptions({ cert: minio.certPem, key: minio.keyPem, ca: pki.ca.certPem }),
      retryDelayMs: 1,
      endpointTimeoutMs: 0,
    });
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a generate reply over mTLS', async () => {
    const plaintext = Buffer.alloc(32, 7);
    reply = () => ({
      status: 200,
      body: JSON.stringify({ plaintext: plaintext.toString('base64'), ciphertext: 'AQID' }),
    });
    const dk = await client.generateKey('k', Buffer.from('{}'));
    expect(dk.plaintext.equals(plaintext)).toBe(true);
    expect(dk.ciphertext.equals(Buffer.from([1, 2, 3]))).toBe(true);
  });

  it('refuses a reply larger than 1 MiB as an unavailable KMS', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ plaintext: 'A'.repeat(2 << 20) }) });
    await expect(client.generateKey('k', Buffer.from('{}'))).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('reply larger than 1 MiB'),
    });
  });

  it('lists keys from the current {"names"} reply and the ndjson lines of earlier KES', async () => {
    const seen: string[] = [];
    reply = (path) => {
      seen.push(path);
      return { status: 200, body: '{"names":["minio-b","minio-a"]}' };
    };
    expect(await client.listKeys('minio-*')).toEqual(['minio-a', 'minio-b']);
    expect(await client.listKeys('')).toEqual(['minio-a', 'minio-b']);
    expect(seen).toEqual(['/v1/key/list/minio-*', '/v1/key/list/*']);
    reply = () => ({ status: 200, body: '{"name":"k2"}\n{"name":"k1"}\n' });
    expect(await client.listKeys('k')).toEqual(['k1', 'k2']);
    reply = () => ({ status: 200, body: '{"names":[1]}' });
    await expect(client.listKeys('k')).rejects.toMatchObject({ kind: 'failed' });
  });

  it('reports the uptime of an online KES in seconds', async () => {
    reply = () => ({ status: 200, body: '{"version":"v1","uptime":125}' });
    expect((await client.status()).uptimeSeconds).toBe(125);
    reply = () => ({ status: 200, body: '{"version":"v1","uptime":3000000000,"kms":{"state":"healthy"}}' });
    expect((await client.status()).uptimeSeconds).toBe(3);
    reply = () => ({ status: 503, body: '{"uptime":9}' });
    expect(await client.status()).not.toHaveProperty('uptimeSeconds');
  });

  it('maps a 404 to key-not-found without retrying', async () => {
    const seen: string[] = [];
    reply = (path) => {
      seen.push(path);
      return { status: 404, body: '{"message":"key does not exist"}' };
    };
    await expect(client.decrypt('missing', Buffer.from('x'), Buffer.from('{}'))).rejects.toMatchObject({
      kind: 'key-not-found',
    });
    expect(seen).toEqual(['/v1/key/decrypt/missing']);
  });
});
