// Token expiry and max TTL with a moved clock (no waiting): TTLs are enforced on use, renewals
// stop at the max TTL, explicit_max_ttl caps periodic tokens.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
});

const advance = (seconds: number) => vi.setSystemTime(new Date(Date.now() + seconds * 1000));

describe('token expiry', () => {
  it('the sweep revokes expired tokens from storage and clears their cubbyholes', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    const t = (await h.call('POST', 'auth/token/create', { ttl: '1m' }, root)).body.auth.client_token;
    expect((await h.call('PUT', 'cubbyhole/note', { v: 'private' }, t)).status).toBe(204);
    expect((await h.call('GET', 'cubbyhole/note', undefined, t)).body.data).toEqual({ v: 'private' });
    expect((await h.call('GET', 'cubbyhole/note', undefined, root)).status).toBe(404);
    const before = (await h.storage.list('sys/token/id/')).length;
    vi.useFakeTimers({ toFake: ['Date'] });
    advance(61);
    expect(await h.core.tokens.sweepExpired()).toBe(1);
    expect((await h.storage.list('sys/token/id/')).length).toBe(before - 1);
    const cubby = h.core.mounts.find((m) => m.type === 'cubbyhole')!;
    expect(await h.storage.list(`logical/${cubby.uuid}/`)).toEqual([]);
  });

  it('a 1h token works before its TTL and is 403 after it', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    const t = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, root)).body.auth.client_token;
    vi.useFakeTimers({ toFake: ['Date'] });
    advance(3599);
    const before = await h.call('GET', 'auth/token/lookup-self', undefined, t);
    expect(before.body.data.ttl).toBe(1);
    advance(2);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('renewal extends up to the max TTL, then fails with past the max TTL', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    const t = (await h.call('POST', 'auth/token/create', { ttl: '1h', explicit_max_ttl: '2h' }, root)).body
      .auth.client_token;
    vi.useFakeTimers({ toFake: ['Date'] });
    advance(1800);
    const r1 = await h.call('POST', 'auth/token/renew-self', { increment: '1h' }, t);
    expect(r1.body.auth.lease_duration).toBe(3600);
    advance(3000);
    const r2 = await h.call('POST', 'auth/token/renew-self', { increment: '1h' }, t);
    expect(r2.body.auth.lease_duration).toBe(2400);
    expect(r2.body.warnings[0]).toMatch(/^TTL of "1h" exceeded the effective max_ttl/);
    advance(2400);
    expect((await h.call('POST', 'auth/token/renew-self', {}, t)).status).toBe(403);
  });

  it('a periodic AppRole token lives on as long as it is renewed within its period', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root);
    await h.call('PUT', 'auth/approle/role/kes', { period: '5m' }, root);
    const roleId = (await h.call('GET', 'auth/approle/role/kes/role-id', undefined, root)).body.data.role_id;
    const secretId = (await h.call('PUT', 'auth/approle/role/kes/secret-id', null, root)).body.data.secret_id;
    const t = (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId })).body.auth
      .client_token;
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < 5; i++) {
      advance(240);
      expect(
        (await h.call('PUT', 'auth/token/renew-self', { increment: 0 }, t)).body.auth.lease_duration,
      ).toBe(300);
    }
    advance(301);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('secret IDs expire after secret_id_ttl; token_num_uses limits the issued token', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h, 1, 1);
    await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root);
    await h.call('PUT', 'auth/approle/role/r', { secret_id_ttl: '10m', token_num_uses: 2 }, root);
    const roleId = (await h.call('GET', 'auth/approle/role/r/role-id', undefined, root)).body.data.role_id;
    const s = (await h.call('PUT', 'auth/approle/role/r/secret-id', null, root)).body.data;
    expect(s.secret_id_ttl).toBe(600);
    const login = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id });
    expect(login.body.auth.num_uses).toBe(2);
    const t = login.body.auth.client_token;
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(200);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(200);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
    vi.useFakeTimers({ toFake: ['Date'] });
    advance(601);
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id })).body,
    ).toEqual({
      errors: ['invalid role or secret ID'],
    });
  });
});
