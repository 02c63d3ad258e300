// Init and unseal rules (docs/vault.md#init, #unseal, #seal-status): validation texts, share
// decoding, progress and nonce, duplicates, reset, a wrong share detected only at the threshold, seal.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

describe('sys/init', () => {
  it.each([
    [{ secret_shares: 0, secret_threshold: 0 }, 'invalid seal configuration: shares must be at least one'],
    [{ secret_shares: 1, secret_threshold: 0 }, 'invalid seal configuration: threshold must be at least one'],
    [
      { secret_shares: 3, secret_threshold: 1 },
      'invalid seal configuration: threshold must be greater than one for multiple shares',
    ],
    [{ secret_shares: 256, secret_threshold: 3 }, 'invalid seal configuration: shares must be less than 256'],
    [
      { secret_shares: 3, secret_threshold: 4 },
      'invalid seal configuration: threshold cannot be larger than shares',
    ],
    [
      { secret_shares: 3, secret_threshold: 2, recovery_shares: 2 },
      'parameters recovery_shares,recovery_threshold not applicable to seal type shamir',
    ],
    [{}, 'invalid seal configuration: shares must be at least one'],
  ])('rejects %j with 400', async (body, msg) => {
    h = await harness({ inmem: true });
    const res = await h.call('PUT', 'sys/init', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [msg] });
    expect((await h.call('GET', 'sys/init')).body).toEqual({ initialized: false });
  });

  it('returns 33-byte shares (66 hex, 44 base64) and an hvs. root token, then stays sealed', async () => {
    h = await harness({ inmem: true });
    const res = await h.call('PUT', 'sys/init', {
      secret_shares: 5,
      secret_threshold: 3,
      pgp_keys: null,
      root_token_pgp_key: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(5);
    for (const k of res.body.keys) expect(k).toMatch(/^[0-9a-f]{66}$/);
    for (const k of res.body.keys_base64) expect(k).toHaveLength(44);
    expect(res.body.root_token).toMatch(/^hvs\.[A-Za-z0-9]{24}$/);
    expect((await h.call('GET', 'sys/seal-status')).body).toMatchObject({
      initialized: true,
      sealed: true,
      t: 3,
      n: 5,
      progress: 0,
      nonce: '',
    });
    const again = await h.call('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
    expect(again).toMatchObject({ status: 400, body: { errors: ['Vault is already initialized'] } });
  });

  it('single share: the raw 32-byte key, threshold 1', async () => {
    h = await harness({ inmem: true });
    const res = await h.call('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
    expect(res.body.keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.keys_base64[0]).toMatch(/=$/);
    const u = await h.call('PUT', 'sys/unseal', { key: res.body.keys[0] });
    expect(u.body).toMatchObject({ sealed: false });
  });
});

describe('sys/unseal', () => {
  it('accepts hex or base64 shares, ignores duplicates, tracks nonce and progress', async () => {
    h = await harness({ inmem: true });
    const init = await h.call('PUT', 'sys/init', { secret_shares: 5, secret_threshold: 3 });
    const a = await h.call('PUT', 'sys/unseal', { key: init.body.keys[0] });
    expect(a.body).toMatchObject({ sealed: true, progress: 1 });
    const nonce = a.body.nonce;
    const dup = await h.call('PUT', 'sys/unseal', { key: init.body.keys_base64[0] });
    expect(dup.body).toMatchObject({ progress: 1, nonce });
    const b = await h.call('PUT', 'sys/unseal', { KEY: init.body.keys_base64[3] });
    expect(b.body).toMatchObject({ progress: 2, nonce });
    const c = await h.call('PUT', 'sys/unseal', { key: init.body.keys[1] });
    expect(c.body).toMatchObject({ sealed: false, progress: 0, nonce: '' });
    expect(c.body.cluster_name).toMatch(/^vault-cluster-[0-9a-f]{8}$/);
    const noop = await h.call('PUT', 'sys/unseal', { key: init.body.keys[2] });
    expect(noop.body).toMatchObject({ sealed: false });
  });

  it('reset clears progress; reset while unsealed is 400', async () => {
    h = await harness({ inmem: true });
    const init = await h.call('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
    await h.call('PUT', 'sys/unseal', { key: init.body.keys[0] });
    const r = await h.call('PUT', 'sys/unseal', { reset: true, key: init.body.keys[1] });
    expect(r.body).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    await h.call('PUT', 'sys/unseal', { key: init.body.keys[0] });
    await h.call('PUT', 'sys/unseal', { key: init.body.keys[1] });
    expect((await h.call('PUT', 'sys/unseal', { reset: true })).body).toEqual({
      errors: ['vault is unsealed'],
    });
  });

  it.each([
    [{}, "'key' must be specified in request body as JSON, or 'reset' set to true"],
    [{ key: 'zz!!' }, "'key' must be a valid hex or base64 string"],
    [{ key: 'AAAA' }, 'key is shorter than minimum 16 bytes'],
    [{ key: Buffer.alloc(40, 1).toString('base64') }, 'key is longer than maximum 33 bytes'],
  ])('rejects %j with 400', async (body, msg) => {
    h = await harness({ inmem: true });
    await h.call('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
    const res = await h.call('PUT', 'sys/unseal', body);
    expect(res).toMatchObject({ status: 400, body: { errors: [msg] } });
    expect((await h.call('GET', 'sys/seal-status')).body.progress).toBe(0);
  });

  it('uninitialised: 400 Vault is not initialized; malformed JSON: 400', async () => {
    h = await harness({ inmem: true });
    expect((await h.call('PUT', 'sys/unseal', { key: 'a'.repeat(66) })).body).toEqual({
      errors: ['Vault is not initialized'],
    });
    const bad = await h.call('PUT', 'sys/unseal', '{"key":');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/^failed to parse JSON input: /);
  });

  it('a wrong share counts as progress and fails only at the threshold with the GCM 500', async () => {
    h = await harness({ inmem: true });
    const init = await h.call('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
    const other = await harness({ inmem: true });
    const foreign = (await other.call('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 })).body
      .keys[0];
    await other.close();
    const w = await h.call('PUT', 'sys/unseal', { key: foreign });
    expect(w).toMatchObject({ status: 200, body: { progress: 1 } });
    const fail = await h.call('PUT', 'sys/unseal', { key: init.body.keys[1] });
    expect(fail.status).toBe(500);
    expect(fail.body).toEqual({
      errors: [
        'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed',
      ],
    });
    expect((await h.call('GET', 'sys/seal-status')).body).toMatchObject({ sealed: true, progress: 0 });
    await h.call('PUT', 'sys/unseal', { key: init.body.keys[0] });
    expect((await h.call('PUT', 'sys/unseal', { key: init.body.keys[2] })).body.sealed).toBe(false);
  });
});

describe('sys/seal and the sealed state', () => {
  it('seal needs sudo on sys/seal; afterwards non-sys requests are 503', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h);
    expect((await h.call('PUT', 'sys/seal', undefined, 'hvs.bogus')).status).toBe(403);
    expect((await h.call('PUT', 'sys/seal', undefined, root)).status).toBe(204);
    for (const p of ['kv/x', 'sys/mounts', 'auth/token/lookup-self']) {
      const res = await h.call('GET', p, undefined, root);
      expect(res).toMatchObject({ status: 503, body: { errors: ['Vault is sealed'] } });
      expect(res.headers['content-type']).toBe('application/json');
    }
  });
});
