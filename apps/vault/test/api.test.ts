// The authenticated API: envelopes, health, tokens, policies and ACL, mounts, KV v1/v2, AppRole,
// and bad input (malformed JSON, oversized bodies, bad tokens, traversal) leaving storage as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS, type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

async function ready(opts: { maxRequestSize?: number } = {}) {
  h = await harness({ inmem: true, ...opts });
  return initAndUnseal(h, 3, 2);
}

/** Writes ACL policy `name` with the root token and returns a new token holding just that policy. */
async function tokenWithPolicy(root: string, name: string, policy: string): Promise<string> {
  await h.call('PUT', `sys/policies/acl/${name}`, { policy }, root);
  return (await h.call('POST', 'auth/token/create', { policies: [name] }, root)).body.auth.client_token;
}

describe('sys/health and sys/leader', () => {
  it.each([
    ['uninitialised', 'none', '', 501],
    ['uninitialised with uninitcode', 'none', '?uninitcode=299', 299],
    ['sealed', 'init', '', 503],
    [
      'sealed with the Go client params',
      'init',
      '?drsecondarycode=299&performancestandbycode=299&sealedcode=299&standbycode=299&uninitcode=299',
      299,
    ],
    ['active', 'unseal', '', 200],
    ['active with activecode', 'unseal', '?activecode=250&standbyok=true', 250],
  ])('%s → %i', async (_name, state, query, code) => {
    h = await harness({ inmem: true });
    if (state === 'init') await h.call('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
    if (state === 'unseal') await initAndUnseal(h, 1, 1);
    const get = await h.call('GET', `sys/health${query}`);
    expect(get.status).toBe(code);
    expect(get.body).toMatchObject({ standby: false, replication_dr_mode: 'disabled' });
    expect(typeof get.body.server_time_utc).toBe('number');
    const head = await h.app.inject({ method: 'HEAD', url: `/v1/sys/health${query}` });
    expect(head.statusCode).toBe(code);
    expect(head.body).toBe('');
  });

  it('bad numeric or boolean params are 400 with an empty errors list', async () => {
    h = await harness({ inmem: true });
    expect(await h.call('GET', 'sys/health?sealedcode=abc')).toMatchObject({
      status: 400,
      body: { errors: [] },
    });
    expect(await h.call('GET', 'sys/health?standbyok=maybe')).toMatchObject({
      status: 400,
      body: { errors: [] },
    });
    expect((await h.call('GET', 'sys/health?unknown=1')).status).toBe(501);
  });

  it('leader reports HA disabled even while sealed', async () => {
    h = await harness({ inmem: true });
    expect((await h.call('GET', 'sys/leader')).body).toEqual({
      ha_enabled: false,
      is_self: false,
      active_time: '0001-01-01T00:00:00Z',
      leader_address: '',
      leader_cluster_address: '',
      performance_standby: false,
      performance_standby_last_remote_wal: 0,
    });
  });
});

describe('envelope and errors', () => {
  it('wraps reads in Vault’s envelope with Cache-Control: no-store', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('PUT', 'kv/a', { x: 1, nested: { y: [1, 'two'] } }, root);
    const res = await h.call('GET', 'kv/a', undefined, root);
    expect(Object.keys(res.body)).toEqual(ENVELOPE_KEYS);
    expect(res.body).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 604800,
      data: { x: 1, nested: { y: [1, 'two'] } },
      mount_type: 'kv',
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it.each([
    ['no token', undefined],
    ['unknown token', 'hvs.AAAAAAAAAAAAAAAAAAAAAAAA'],
    ['absurdly long token', `hvs.${'x'.repeat(5000)}`],
  ])('%s → 403 permission denied', async (_n, token) => {
    await ready();
    const res = await h.call('GET', 'sys/mounts', undefined, token);
    expect(res).toMatchObject({
      status: 403,
      body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] },
    });
  });

  it('accepts Authorization: Bearer', async () => {
    const { root } = await ready();
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/auth/token/lookup-self',
      headers: { authorization: `Bearer ${root}` },
    });
    expect(JSON.parse(res.body).data.policies).toEqual(['root']);
  });

  it('malformed JSON → 400, nothing stored', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    const bad = await h.call('PUT', 'kv/a', '{"x": ', root);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/^failed to parse JSON input/);
    expect((await h.call('PUT', 'kv/a', '[1,2]', root)).status).toBe(400);
    expect((await h.call('GET', 'kv/a', undefined, root)).status).toBe(404);
  });

  it('bodies over max_request_size → 413', async () => {
    const { root } = await ready({ maxRequestSize: 1024 });
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    const res = await h.call('PUT', 'kv/big', { v: 'x'.repeat(2000) }, root);
    expect(res).toMatchObject({ status: 413, body: { errors: ['http: request body too large'] } });
    expect((await h.call('GET', 'kv/big', undefined, root)).status).toBe(404);
  });

  it('unmounted path: 404 no handler for root, 403 for others; unsupported verbs 405', async () => {
    const { root } = await ready();
    expect((await h.call('GET', 'nothing/here', undefined, root)).body).toEqual({
      errors: ['no handler for route "nothing/here". route entry not found.'],
    });
    const res = await h.app.inject({ method: 'OPTIONS', url: '/v1/sys/mounts' });
    expect(res.statusCode).toBe(404);
  });
});

describe('tokens', () => {
  it('create with policies/ttl/num_uses; uses run out after the Nth request', async () => {
    const { root } = await ready();
    const res = await h.call(
      'POST',
      'auth/token/create',
      { policies: ['default'], ttl: '1h', num_uses: 2 },
      root,
    );
    expect(res.status).toBe(200);
    expect(res.body.auth).toMatchObject({
      policies: ['default'],
      lease_duration: 3600,
      renewable: true,
      num_uses: 2,
      orphan: false,
      token_type: 'service',
    });
    const t = res.body.auth.client_token;
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).body.data.num_uses).toBe(2);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(200);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('warns about unknown policies; non-root cannot exceed its own policies', async () => {
    const { root } = await ready();
    const res = await h.call('POST', 'auth/token/create', { policies: 'nosuch' }, root);
    expect(res.body.warnings).toContain('Policy "nosuch" does not exist');
    const child = await h.call('POST', 'auth/token/create', { policies: ['default'] }, root);
    const creator = await tokenWithPolicy(
      root,
      'tok',
      'path "auth/token/create" { capabilities = ["update"] }',
    );
    const escalate = await h.call('POST', 'auth/token/create', { policies: ['root'] }, creator);
    expect(escalate).toMatchObject({
      status: 400,
      body: { errors: ['child policies must be subset of parent'] },
    });
    expect(child.status).toBe(200);
  });

  it('periodic tokens renew to their period whatever the increment; revoke-self ends the token and its children', async () => {
    const { root } = await ready();
    await h.call(
      'PUT',
      'sys/policies/acl/creator',
      { policy: 'path "auth/token/create" { capabilities = ["update"] }' },
      root,
    );
    const p = (await h.call('POST', 'auth/token/create', { period: '10m', policies: ['creator'] }, root)).body
      .auth;
    expect(p.lease_duration).toBe(600);
    const renewed = await h.call('POST', 'auth/token/renew-self', { increment: '1h' }, p.client_token);
    expect(renewed.body.auth.lease_duration).toBe(600);
    const child = (await h.call('POST', 'auth/token/create', { policies: ['default'] }, p.client_token)).body
      .auth.client_token;
    expect((await h.call('POST', 'auth/token/revoke-self', undefined, p.client_token)).status).toBe(204);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, p.client_token)).status).toBe(403);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, child)).status).toBe(403);
  });

  it('root token: never expires, not renewable; lookup shows Vault’s fields', async () => {
    const { root } = await ready();
    const d = (await h.call('GET', 'auth/token/lookup-self', undefined, root)).body.data;
    expect(d).toMatchObject({
      display_name: 'root',
      expire_time: null,
      ttl: 0,
      renewable: false,
      path: 'auth/token/root',
      orphan: true,
      type: 'service',
      id: root,
    });
    expect((await h.call('POST', 'auth/token/renew-self', {}, root)).status).toBe(400);
  });
});

describe('policies and ACL', () => {
  it('CRUD on sys/policies/acl and sys/policy with root and default built in', async () => {
    const { root } = await ready();
    expect(
      (
        await h.call(
          'PUT',
          'sys/policies/acl/Kes',
          { policy: 'path "kv/*" { capabilities = ["read"] }' },
          root,
        )
      ).body.warnings,
    ).toEqual(['policy name was converted to kes']);
    expect((await h.call('GET', 'sys/policies/acl/kes', undefined, root)).body.data).toEqual({
      name: 'kes',
      policy: 'path "kv/*" { capabilities = ["read"] }',
    });
    expect((await h.call('GET', 'sys/policies/acl?list=true', undefined, root)).body.data.keys).toEqual([
      'default',
      'kes',
      'root',
    ]);
    const legacy = await h.call('GET', 'sys/policy', undefined, root);
    expect(legacy.body.policies).toEqual(['default', 'kes', 'root']);
    expect(legacy.body.data.keys).toEqual(['default', 'kes', 'root']);
    expect((await h.call('GET', 'sys/policy/kes', undefined, root)).body.rules).toContain('kv/*');
    expect((await h.call('DELETE', 'sys/policies/acl/kes', undefined, root)).status).toBe(204);
    expect(await h.call('GET', 'sys/policies/acl/kes', undefined, root)).toMatchObject({
      status: 404,
      body: { errors: [] },
    });
  });

  it.each([
    ['root', 'path "x" { capabilities = ["read"] }', 'cannot update "root" policy'],
    ['p', '', "'policy' parameter not supplied or empty"],
  ])('rejects writing %s: %s', async (name, policy, msg) => {
    const { root } = await ready();
    expect((await h.call('PUT', `sys/policies/acl/${name}`, { policy }, root)).body).toEqual({
      errors: [msg],
    });
  });

  it('bad HCL is 400 failed to parse policy; default/root cannot be deleted', async () => {
    const { root } = await ready();
    const bad = await h.call(
      'PUT',
      'sys/policies/acl/p',
      { policy: 'path "kv/*" { capabilities = ["foo"] }' },
      root,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/^failed to parse policy/);
    expect((await h.call('DELETE', 'sys/policies/acl/default', undefined, root)).body).toEqual({
      errors: ['cannot delete default policy'],
    });
    expect((await h.call('DELETE', 'sys/policies/acl/root', undefined, root)).body).toEqual({
      errors: ['cannot delete "root" policy'],
    });
  });

  it('capabilities-self; policy edits apply immediately; list via the trailing slash', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('PUT', 'kv/minio/a', { v: '1' }, root);
    const t = await tokenWithPolicy(root, 'p', 'path "kv/minio/*" { capabilities = ["read"] }');
    const caps = await h.call('POST', 'sys/capabilities-self', { paths: ['kv/minio/a', 'kv/other'] }, t);
    expect(caps.body.data).toEqual({ 'kv/minio/a': ['read'], 'kv/other': ['deny'] });
    expect(
      (await h.call('POST', 'sys/capabilities-self', { path: 'kv/x' }, root)).body.data.capabilities,
    ).toEqual(['root']);
    expect((await h.call('GET', 'kv/minio?list=true', undefined, t)).status).toBe(403);
    await h.call(
      'PUT',
      'sys/policies/acl/p',
      { policy: 'path "kv/minio/*" { capabilities = ["read", "list"] }' },
      root,
    );
    expect((await h.call('GET', 'kv/minio?list=true', undefined, t)).body.data.keys).toEqual(['a']);
    expect((await h.call('PUT', 'kv/minio/b', { v: '1' }, t)).status).toBe(403);
  });

  it('create vs update follows existence: create-only policy cannot overwrite', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    const t = await tokenWithPolicy(root, 'c', 'path "kv/*" { capabilities = ["create"] }');
    expect((await h.call('PUT', 'kv/new', { v: '1' }, t)).status).toBe(204);
    expect((await h.call('PUT', 'kv/new', { v: '2' }, t)).status).toBe(403);
    expect((await h.call('GET', 'kv/new', undefined, root)).body.data).toEqual({ v: '1' });
  });
});

describe('mounts', () => {
  it('lists defaults, enables kv v1/v2, copies data to the top level, conflicts are 409', async () => {
    const { root } = await ready();
    const before = await h.call('GET', 'sys/mounts', undefined, root);
    expect(Object.keys(before.body.data).sort()).toEqual(['cubbyhole/', 'identity/', 'sys/']);
    expect(before.body['sys/']).toMatchObject({ type: 'system' });
    expect(
      (await h.call('POST', 'sys/mounts/kv', { type: 'kv', description: null, config: null }, root)).status,
    ).toBe(204);
    expect(
      (await h.call('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root)).status,
    ).toBe(204);
    expect((await h.call('POST', 'sys/mounts/v2b', { type: 'kv-v2' }, root)).status).toBe(204);
    const m = (await h.call('GET', 'sys/mounts', undefined, root)).body.data;
    expect(m['kv/']).toMatchObject({ type: 'kv', options: null });
    expect(m['kv/'].accessor).toMatch(/^kv_[0-9a-f]{8}$/);
    expect(m['secret/'].options).toEqual({ version: '2' });
    expect(m['v2b/'].options).toEqual({ version: '2' });
    expect(await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root)).toMatchObject({
      status: 409,
      body: { errors: ['path is already in use at kv/'] },
    });
    expect(await h.call('POST', 'sys/mounts/kv/sub', { type: 'kv' }, root)).toMatchObject({ status: 409 });
    expect(await h.call('POST', 'sys/mounts/x', { type: 'transit' }, root)).toMatchObject({
      status: 400,
      body: { errors: ['plugin not found in the catalog: transit'] },
    });
    expect((await h.call('POST', 'sys/mounts/sys/x', { type: 'kv' }, root)).status).toBe(400);
    expect((await h.call('GET', 'sys/mounts/kv/tune', undefined, root)).body.data).toMatchObject({
      default_lease_ttl: 604800,
      max_lease_ttl: 2592000,
    });
  });

  it('unmount deletes the data; auth enable needs sudo', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('PUT', 'kv/a', { v: '1' }, root);
    expect((await h.call('DELETE', 'sys/mounts/kv', undefined, root)).status).toBe(204);
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    expect((await h.call('GET', 'kv/a', undefined, root)).status).toBe(404);
    const t = await tokenWithPolicy(root, 'a', 'path "sys/auth/*" { capabilities = ["create", "update"] }');
    expect((await h.call('POST', 'sys/auth/approle', { type: 'approle' }, t)).status).toBe(403);
    expect((await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root)).status).toBe(204);
    expect((await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root)).body).toEqual({
      errors: ['path is already in use at approle/'],
    });
    const auths = (await h.call('GET', 'sys/auth', undefined, root)).body.data;
    expect(auths['token/']).toMatchObject({ type: 'token', config: { token_type: 'default-service' } });
    expect(auths['approle/'].accessor).toMatch(/^auth_approle_[0-9a-f]{8}$/);
  });
});

describe('KV', () => {
  it('v1: list sorts children with folders, empty mount 404, missing fields 400, delete idempotent, ttl field sets lease', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    expect(await h.call('GET', 'kv?list=true', undefined, root)).toMatchObject({
      status: 404,
      body: { errors: [] },
    });
    await h.call('PUT', 'kv/b', { v: '1' }, root);
    await h.call('PUT', 'kv/a/x', { v: '1', ttl: '1h' }, root);
    expect((await h.call('GET', 'kv/?list=true', undefined, root)).body.data.keys).toEqual(['a/', 'b']);
    expect((await h.call('GET', 'kv/a/x', undefined, root)).body.lease_duration).toBe(3600);
    expect((await h.call('PUT', 'kv/c', {}, root)).body).toEqual({ errors: ['missing data fields'] });
    expect((await h.call('DELETE', 'kv/zzz', undefined, root)).status).toBe(204);
    expect((await h.call('DELETE', 'kv/a/x', undefined, root)).status).toBe(204);
    expect((await h.call('GET', 'kv/?list=true', undefined, root)).body.data.keys).toEqual(['b']);
  });

  it('v2: versions, cas, soft delete with metadata body, undelete, destroy, metadata', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root);
    const w1 = await h.call('PUT', 'secret/data/app', { data: { a: '1' }, options: { cas: 0 } }, root);
    expect(w1.status).toBe(200);
    expect(w1.body.data).toMatchObject({
      version: 1,
      destroyed: false,
      deletion_time: '',
      custom_metadata: null,
    });
    expect(
      (await h.call('PUT', 'secret/data/app', { data: { a: '2' }, options: { cas: 0 } }, root)).body,
    ).toEqual({
      errors: ['check-and-set parameter did not match the current version'],
    });
    await h.call('PUT', 'secret/data/app', { data: { a: '2' } }, root);
    expect((await h.call('GET', 'secret/data/app', undefined, root)).body.data.data).toEqual({ a: '2' });
    expect((await h.call('GET', 'secret/data/app?version=1', undefined, root)).body.data.data).toEqual({
      a: '1',
    });
    expect((await h.call('DELETE', 'secret/data/app', undefined, root)).status).toBe(204);
    const gone = await h.call('GET', 'secret/data/app', undefined, root);
    expect(gone.status).toBe(404);
    expect(gone.body.data).toMatchObject({ data: null, metadata: { version: 2 } });
    expect(gone.body.data.metadata.deletion_time).not.toBe('');
    await h.call('POST', 'secret/undelete/app', { versions: [2] }, root);
    expect((await h.call('GET', 'secret/data/app', undefined, root)).body.data.data).toEqual({ a: '2' });
    await h.call('PUT', 'secret/destroy/app', { versions: [1] }, root);
    const meta = (await h.call('GET', 'secret/metadata/app', undefined, root)).body.data;
    expect(meta).toMatchObject({
      current_version: 2,
      // 0 until the max_versions window first moves (the KV plugin's AddVersion).
      oldest_version: 0,
      max_versions: 0,
      delete_version_after: '0s',
    });
    expect(meta.versions['1'].destroyed).toBe(true);
    expect((await h.call('GET', 'secret/metadata?list=true', undefined, root)).body.data.keys).toEqual([
      'app',
    ]);
    expect((await h.call('PUT', 'secret/data/x', { nodata: 1 }, root)).body).toEqual({
      errors: ['no data provided'],
    });
    expect((await h.call('DELETE', 'secret/metadata/app', undefined, root)).status).toBe(204);
    expect((await h.call('GET', 'secret/data/app?version=2', undefined, root)).status).toBe(404);
  });

  it('v2 max_versions window: the larger of key and mount limits; oldest_version moves as the plugin moves it', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } }, root);
    await h.call('POST', 'kv2/metadata/w', { max_versions: 2 }, root);
    const oldest: number[] = [];
    for (let i = 1; i <= 4; i++) {
      await h.call('PUT', 'kv2/data/w', { data: { i } }, root);
      oldest.push((await h.call('GET', 'kv2/metadata/w', undefined, root)).body.data.oldest_version);
    }
    expect(oldest).toEqual([0, 1, 2, 3]);
    const meta = (await h.call('GET', 'kv2/metadata/w', undefined, root)).body.data;
    expect(Object.keys(meta.versions).sort()).toEqual(['3', '4']);
    expect((await h.call('GET', 'kv2/data/w?version=2', undefined, root)).status).toBe(404);
    expect((await h.call('GET', 'kv2/data/w?version=3', undefined, root)).body.data.data).toEqual({ i: 3 });
    // The mount's limit counts when it is the larger one.
    await h.call('POST', 'kv2/config', { max_versions: 3 }, root);
    await h.call('PUT', 'kv2/data/w', { data: { i: 5 } }, root);
    expect(
      Object.keys((await h.call('GET', 'kv2/metadata/w', undefined, root)).body.data.versions).sort(),
    ).toEqual(['3', '4', '5']);
  });

  it('v2 patch needs merge-patch content type', async () => {
    const { root } = await ready();
    await h.call('POST', 'sys/mounts/secret', { type: 'kv-v2' }, root);
    await h.call('PUT', 'secret/data/p', { data: { a: '1', b: '2' } }, root);
    const wrong = await h.call('PATCH', 'secret/data/p', { data: { a: null } }, root);
    expect(wrong.status).toBe(415);
    const res = await h.app.inject({
      method: 'PATCH',
      url: '/v1/secret/data/p',
      headers: { 'x-vault-token': root, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ data: { a: null, c: '3' } }),
    });
    expect(res.statusCode).toBe(200);
    expect((await h.call('GET', 'secret/data/p', undefined, root)).body.data.data).toEqual({
      b: '2',
      c: '3',
    });
  });
});

describe('AppRole', () => {
  async function approle() {
    const r = await ready();
    await h.call('POST', 'sys/auth/approle', { type: 'approle' }, r.root);
    return r;
  }

  it('role defaults, token_policies alias handling, 404 for missing, constraint rule', async () => {
    const { root } = await approle();
    await h.call('PUT', 'auth/approle/role/r1', { token_policies: 'a,b', policies: 'c' }, root);
    const r1 = (await h.call('GET', 'auth/approle/role/r1', undefined, root)).body.data;
    expect(r1).toMatchObject({
      token_policies: ['a', 'b'],
      policies: ['c'],
      bind_secret_id: true,
      token_type: 'default',
      token_ttl: 0,
    });
    await h.call('PUT', 'auth/approle/role/r1', { token_policies: 'd' }, root);
    const r1b = (await h.call('GET', 'auth/approle/role/r1', undefined, root)).body.data;
    expect(r1b.token_policies).toEqual(['d']);
    expect(r1b.policies).toBeUndefined();
    expect(await h.call('GET', 'auth/approle/role/nope', undefined, root)).toMatchObject({
      status: 404,
      body: { errors: [] },
    });
    expect((await h.call('PUT', 'auth/approle/role/r2', { bind_secret_id: false }, root)).body).toEqual({
      errors: ['at least one constraint should be enabled on the role'],
    });
    expect(
      (await h.call('PUT', 'auth/approle/role/r3', { token_ttl: '2h', token_max_ttl: '1h' }, root)).body,
    ).toEqual({
      errors: ["'token_ttl' cannot be greater than 'token_max_ttl'"],
    });
    expect((await h.call('GET', 'auth/approle/role?list=true', undefined, root)).body.data.keys).toEqual([
      'r1',
    ]);
  });

  it('login errors are 400 invalid role or secret ID; secret_id num_uses run out; lockout after 5 failures', async () => {
    const { root } = await approle();
    await h.call('PUT', 'auth/approle/role/r', { secret_id_num_uses: 2, token_ttl: '1m' }, root);
    const roleId = (await h.call('GET', 'auth/approle/role/r/role-id', undefined, root)).body.data.role_id;
    const s = (await h.call('PUT', 'auth/approle/role/r/secret-id', null, root)).body.data;
    expect(s).toMatchObject({ secret_id_num_uses: 2, secret_id_ttl: 0 });
    expect((await h.call('PUT', 'auth/approle/login', {})).body).toEqual({ errors: ['missing role_id'] });
    expect((await h.call('PUT', 'auth/approle/login', { role_id: roleId })).body).toEqual({
      errors: ['missing secret_id'],
    });
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: 'nope', secret_id: s.secret_id })).body,
    ).toEqual({ errors: ['invalid role or secret ID'] });
    const one = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id });
    expect(one.body.auth).toMatchObject({
      lease_duration: 60,
      policies: ['default'],
      metadata: { role_name: 'r' },
      orphan: true,
    });
    expect(one.body.mount_type).toBe('approle');
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id })).status,
    ).toBe(200);
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id })).body,
    ).toEqual({ errors: ['invalid role or secret ID'] });
    // Guessed role IDs are never locked out (and never tracked): still 400 after many tries.
    for (let i = 0; i < 6; i++)
      await h.call('PUT', 'auth/approle/login', { role_id: 'guess', secret_id: 'x' });
    expect((await h.call('PUT', 'auth/approle/login', { role_id: 'guess', secret_id: 'x' })).status).toBe(
      400,
    );
    for (let i = 0; i < 4; i++)
      await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: 'bad' });
    const s2 = (await h.call('PUT', 'auth/approle/role/r/secret-id', {}, root)).body.data;
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s2.secret_id })).status,
    ).toBe(403);
  });

  it('secret-id lookup/destroy by value and accessor; renew of an approle token re-reads the role', async () => {
    const { root } = await approle();
    await h.call('PUT', 'auth/approle/role/r', { period: '5m' }, root);
    const roleId = (await h.call('GET', 'auth/approle/role/r/role-id', undefined, root)).body.data.role_id;
    const s = (await h.call('PUT', 'auth/approle/role/r/secret-id', { metadata: '{"env":"test"}' }, root))
      .body.data;
    const look = await h.call(
      'POST',
      'auth/approle/role/r/secret-id/lookup',
      { secret_id: s.secret_id },
      root,
    );
    expect(look.body.data).toMatchObject({
      metadata: { env: 'test' },
      secret_id_accessor: s.secret_id_accessor,
    });
    expect(
      (await h.call('GET', 'auth/approle/role/r/secret-id?list=true', undefined, root)).body.data.keys,
    ).toEqual([s.secret_id_accessor]);
    const tok = (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id })).body
      .auth.client_token;
    await h.call('PUT', 'auth/approle/role/r', { period: '10m' }, root);
    expect((await h.call('PUT', 'auth/token/renew-self', {}, tok)).body.auth.lease_duration).toBe(600);
    await h.call(
      'POST',
      'auth/approle/role/r/secret-id-accessor/destroy',
      { secret_id_accessor: s.secret_id_accessor },
      root,
    );
    expect(
      (await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: s.secret_id })).status,
    ).toBe(400);
    await h.call('DELETE', 'auth/approle/role/r', undefined, root);
    expect((await h.call('PUT', 'auth/token/renew-self', {}, tok)).status).toBe(400);
  });
});

describe('key-status and rotate', () => {
  it('rotate adds a term; old data stays readable across a restart', async () => {
    const { root, keys } = await ready();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('PUT', 'kv/old', { v: 'before' }, root);
    expect((await h.call('GET', 'sys/key-status', undefined, root)).body.data.term).toBe(1);
    expect((await h.call('PUT', 'sys/rotate', undefined, root)).status).toBe(204);
    await h.call('PUT', 'kv/new', { v: 'after' }, root);
    const ks = (await h.call('GET', 'sys/key-status', undefined, root)).body.data;
    expect(ks.term).toBe(2);
    expect(ks.encryptions).toBeGreaterThan(0);
    await h.restart();
    for (const k of keys.slice(0, 2)) await h.call('PUT', 'sys/unseal', { key: k });
    expect((await h.call('GET', 'kv/old', undefined, root)).body.data).toEqual({ v: 'before' });
    expect((await h.call('GET', 'kv/new', undefined, root)).body.data).toEqual({ v: 'after' });
    expect((await h.call('GET', 'sys/key-status', undefined, root)).body.data.term).toBe(2);
  });
});
