// Who the client is and which path a policy judges, over real mTLS on 127.0.0.1 (docs/security.md).
import https from 'node:https';
import { createCertificate } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64 } from './helpers/http.js';
import { makePki, type TestCert, type TestPki } from './helpers/pki.js';
import { baseConfig, type Running, startKes } from './helpers/server.js';

let pki: TestPki;
let kes: Running;
/** A client certificate whose keyUsage allows keyCertSign, so Node will file it as an issuer. */
let victim: TestCert;
/** The attacker's own key in a CA certificate whose subject copies the victim's. */
let attackerCa: TestCert;

beforeAll(async () => {
  pki = await makePki();
  victim = await createCertificate({
    subject: { commonName: 'victim' },
    keyType: 'ed25519',
    clientAuth: true,
    keyUsages: ['digitalSignature', 'keyCertSign'],
  });
  attackerCa = await createCertificate({ subject: { commonName: 'victim' }, keyType: 'ed25519', isCa: true });
  const config = baseConfig(pki);
  config.policies.push({
    name: 'victim',
    allow: ['/v1/key/create/victim-*', '/v1/key/generate/victim-*', '/v1/key/decrypt/victim-*', '/v1/log/*'],
    deny: ['/v1/log/audit'],
    identities: [victim.identity],
  });
  kes = await startKes(pki, config);
});
afterAll(async () => {
  await kes?.close();
});

/** A request with `path` sent as is (no URL parsing) over a fresh connection presenting `client`. */
function rawCall(
  path: string,
  client: { certPem: string; keyPem: string },
  method = 'GET',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: Number(new URL(kes.url).port),
        path,
        method,
        ca: pki.ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        agent: false,
      },
      (res) => {
        if (res.statusCode === 200 && path.startsWith('/v1/log/')) {
          res.destroy();
          resolve({ status: 200, text: '' });
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('the identity is the key the client proved', () => {
  it("the attacker's CA certificate and key followed by the victim's certificate → 400, nothing served", async () => {
    expect((await kes.client.post('/v1/key/create/victim-k', {}, victim)).status).toBe(200);
    const gen = await kes.client.post('/v1/key/generate/victim-k', { context: b64('x') }, victim);
    expect(gen.status).toBe(200);
    const spoof = {
      certPem: attackerCa.certPem + victim.certPem,
      keyPem: attackerCa.keyPem,
      identity: 'spoof',
    };
    const r = await kes.client.post(
      '/v1/key/decrypt/victim-k',
      { ciphertext: gen.json().ciphertext, context: b64('x') },
      spoof,
    );
    expect([r.status, r.json()]).toEqual([400, { message: 'tls: client certificate is required' }]);
  });

  it('a CA certificate as the client certificate → 400', async () => {
    const r = await kes.client.post('/v1/key/generate/victim-k', {}, attackerCa);
    expect([r.status, r.json()]).toEqual([400, { message: 'tls: client certificate is required' }]);
  });

  it('certificates after the leaf are ignored: the leaf alone names the client', async () => {
    const chain = { ...pki.stranger, certPem: pki.stranger.certPem + victim.certPem, identity: 'chain' };
    const r = await kes.client.call('/v1/identity/self/describe', { client: chain });
    expect(r.json()).toMatchObject({ identity: pki.stranger.identity });
    const g = await kes.client.post('/v1/key/generate/victim-k', {}, chain);
    expect([g.status, g.json()]).toEqual([403, { message: 'not authorized: insufficient permissions' }]);
  });
});

describe('the policy judges the path that is served', () => {
  it('a `#` suffix on an exact route is not found instead of slipping past a deny', async () => {
    expect((await rawCall('/v1/log/error', victim)).status).toBe(200);
    expect((await rawCall('/v1/log/audit', victim)).status).toBe(403);
    expect(await rawCall('/v1/log/audit#x', victim)).toEqual({ status: 404, text: '404 page not found\n' });
    expect((await rawCall('/v1/log/audit?a#b', victim)).status).toBe(403);
  });

  it('a `#` after a prefix route stays in the resource, which the name rule refuses', async () => {
    const r = await rawCall('/v1/key/generate/victim-k#x', victim, 'POST');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).message).toBe(
      "key name 'victim-k#x' is empty, too long or contains invalid characters",
    );
    expect((await rawCall('/v1/key/list#victim', pki.admin)).status).toBe(404);
  });
});

describe('a client that may not call a route never has its body read', () => {
  /** Sends the headers of a `length`-byte body and 16 bytes of it, then waits for an answer. */
  function partialPost(path: string, client: TestCert, length: number): Promise<number | 'no answer'> {
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1',
        port: Number(new URL(kes.url).port),
        path,
        method: 'POST',
        ca: pki.ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(length) },
      });
      const timer = setTimeout(() => {
        req.destroy();
        resolve('no answer');
      }, 2_000);
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.write(Buffer.alloc(16, 0x20));
    });
  }

  it('an unknown identity is refused before its 1 MiB body arrives; an allowed one is waited for', async () => {
    expect(await partialPost('/v1/key/generate/victim-k', pki.stranger, 1 << 20)).toBe(403);
    expect(await partialPost('/v1/key/delete/victim-k', victim, 1 << 20)).toBe(405);
    expect(await partialPost('/v1/key/generate/victim-k', victim, 1 << 20)).toBe('no answer');
  });
});
