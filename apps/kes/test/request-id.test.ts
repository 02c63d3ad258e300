// One request id across the chain, KES's part: the id a client names in X-Request-Id or traceparent is
// recorded in the audit entry (request.request_id) and sent on to Vault with every call made for that
// request; a request that names none, or names it malformed, is audited and forwarded without one.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VaultKeystore } from '../src/keystore/vault/index.js';
import type { AuditEvent } from '../src/log.js';
import { traceOf } from '../src/request-id.js';
import { FakeVault, keystoreConfig } from './helpers/fake-vault.js';
import { b64 } from './helpers/http.js';
import { makePki, type TestPki } from './helpers/pki.js';
import { baseConfig, type Running, startKes } from './helpers/server.js';

let pki: TestPki;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  pki = await makePki();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ID = '187E1C2D3A4B5C6D';
const TRACE_ID = `0000000000000000${ID.toLowerCase()}`;
const PARENT = `00-${TRACE_ID}-1111111111111111-01`;

async function chain(): Promise<{ v: FakeVault; kes: Running; audit: AuditEvent[] }> {
  const v = new FakeVault({ roleId: 'role', secretId: 'secret' });
  await v.start();
  cleanups.push(() => v.stop());
  const ks = new VaultKeystore(keystoreConfig([v.url]));
  await ks.start();
  cleanups.push(() => ks.close());
  // A cache that expires at once: every key operation reads Vault.
  const kes = await startKes(pki, baseConfig(pki, { cache: { anyMs: 1, unusedMs: 1, offlineMs: 0 } }), ks);
  cleanups.push(() => kes.close());
  const audit: AuditEvent[] = [];
  cleanups.push(kes.logs.audit.subscribe((e) => audit.push(e)));
  return { v, kes, audit };
}

function post(kes: Running, path: string, body: unknown, headers: Record<string, string>) {
  return kes.client.call(path, { method: 'POST', body, client: pki.admin, headers });
}

describe('the request id through KES', () => {
  it('reaches the audit entry and every Vault call of the request, with a fresh span id', async () => {
    const { v, kes, audit } = await chain();
    const created = await post(kes, '/v1/key/create/traced', undefined, {
      'x-request-id': ID,
      traceparent: PARENT,
    });
    expect(created.status).toBe(200);
    const gen = await post(
      kes,
      '/v1/key/generate/traced',
      { context: b64('{}') },
      {
        'x-request-id': ID,
        traceparent: PARENT,
      },
    );
    expect(gen.status).toBe(200);
    const vaultCalls = v.calls.filter((c) => c.path.startsWith('/v1/kv/'));
    expect(vaultCalls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /v1/kv/minio/traced',
      'PUT /v1/kv/minio/traced',
      'GET /v1/kv/minio/traced',
    ]);
    for (const c of vaultCalls) {
      expect(c.headers?.['x-request-id']).toBe(ID);
      const parent = String(c.headers?.['traceparent']);
      expect(parent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      expect(parent).not.toBe(PARENT);
    }
    const mine = audit.filter((e) => e.request.path.startsWith('/v1/key/'));
    expect(mine.map((e) => [e.request.path, e.request.request_id, e.response.code])).toEqual([
      ['/v1/key/create/traced', ID, 200],
      ['/v1/key/generate/traced', ID, 200],
    ]);
  });

  it('takes the id from traceparent alone, mapping the padded trace-id back', async () => {
    const { v, kes, audit } = await chain();
    await post(kes, '/v1/key/create/tp', undefined, { traceparent: PARENT });
    expect(audit.at(-1)?.request.request_id).toBe(ID);
    const put = v.calls.find((c) => c.method === 'PUT' && c.path === '/v1/kv/minio/tp');
    expect(put?.headers?.['x-request-id']).toBe(ID);
  });

  it('audits and forwards no id when none, or only a malformed one, is sent', async () => {
    const { v, kes, audit } = await chain();
    await post(kes, '/v1/key/create/plain', undefined, {});
    await post(kes, '/v1/key/create/bad', undefined, {
      'x-request-id': 'has spaces',
      traceparent: 'garbage',
    });
    expect(
      audit.filter((e) => e.request.path.startsWith('/v1/key/')).map((e) => e.request.request_id),
    ).toEqual([undefined, undefined]);
    expect(audit.every((e) => !('request_id' in e.request))).toBe(true);
    for (const c of v.calls.filter((c) => c.path.startsWith('/v1/kv/'))) {
      expect(c.headers?.['x-request-id']).toBeUndefined();
      expect(c.headers?.['traceparent']).toBeUndefined();
    }
  });
});

describe('traceOf', () => {
  it.each([
    [{ 'x-request-id': ID }, { id: ID, traceId: undefined }],
    [
      { 'x-request-id': ID, traceparent: PARENT },
      { id: ID, traceId: TRACE_ID },
    ],
    [{ traceparent: PARENT }, { id: ID, traceId: TRACE_ID }],
    [
      { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      { id: '4bf92f3577b34da6a3ce929d0e0e4736', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
    ],
    [{ traceparent: `00-${'0'.repeat(32)}-1111111111111111-01` }, undefined],
    [{ 'x-request-id': 'x'.repeat(129) }, undefined],
    [{ 'x-request-id': 'a"b' }, undefined],
    [{}, undefined],
  ])('%j → %j', (headers, want) => {
    expect(traceOf(headers)).toEqual(want);
  });
});
