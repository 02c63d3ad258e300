// Attacks on the token and AppRole rules, each as a request sequence an attacker could send:
// root from an auth method, use counts under parallel requests, child tokens from use-limited
// tokens, root children of expiring roots, and traversal through the LIST verb.
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import {
  closeAfterEach,
  ENVELOPE_KEYS,
  type Harness,
  harness,
  initAndUnseal,
  serveOnLoopback,
} from './helpers.js';

let h: Harness;
closeAfterEach(() => h);

const ROOT_REFUSED = 'auth methods cannot create root tokens';

let unsealKey = '';

async function setup(): Promise<string> {
  h = await harness();
  const { root, keys } = await initAndUnseal(h, 1, 1);
  unsealKey = keys[0]!;
  return root;
}

async function initAndUnsealAgain(): Promise<void> {
  expect((await h.call('PUT', 'sys/unseal', { key: unsealKey })).body.sealed).toBe(false);
}

/** A token (child of root) holding one policy with the given HCL; extra create fields allowed. */
async function tokenWith(root: string, name: string, hcl: string, extra: Record<string, unknown> = {}) {
  expect((await h.call('PUT', `sys/policies/acl/${name}`, { policy: hcl }, root)).status).toBe(204);
  const res = await h.call('POST', 'auth/token/create', { policies: [name], ...extra }, root);
  expect(res.status).toBe(200);
  return res.body.auth.client_token as string;
}

async function approle(root: string, role: string, fields: Record<string, unknown> = {}) {
  await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root);
  expect((await h.call('POST', `auth/approle/role/${role}`, fields, root)).status).toBe(204);
  const roleId = (await h.call('GET', `auth/approle/role/${role}/role-id`, undefined, root)).body.data
    .role_id;
  const secretId = (await h.call('POST', `auth/approle/role/${role}/secret-id`, {}, root)).body.data
    .secret_id;
  return { roleId: roleId as string, secretId: secretId as string };
}

/** One AppRole login of `roleId` per secret ID, all sent at once. */
const parallelLogins = (roleId: string, secretIds: string[]) =>
  Promise.all(
    secretIds.map((sid) => h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: sid })),
  );

const statuses = (rs: Array<{ status: number }>) => rs.map((r) => r.status).sort();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The next read of a barrier key matching `re` answers `ms` late: it widens one handler's window
 * between reading an entry and writing it back, where a racing request slips in unless the two
 * are atomic.
 */
function slowNextRead(re: RegExp, ms = 60): void {
  const barrier = h.core.barrier;
  const getJson = barrier.getJson.bind(barrier);
  let armed = true;
  barrier.getJson = (async (path: string) => {
    const value = await getJson(path);
    if (armed && re.test(path)) {
      armed = false;
      await sleep(ms);
    }
    return value;
  }) as typeof barrier.getJson;
}

describe('auth methods never issue root tokens', () => {
  it.each([
    ['token_policies', { token_policies: 'root' }],
    ['policies', { policies: ['default', 'root'] }],
    ['mixed case', { token_policies: 'app,ROOT' }],
  ])('a role write with %s = root is refused with 400', async (_n, fields) => {
    const root = await setup();
    await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root);
    const admin = await tokenWith(
      root,
      'role-admin',
      'path "auth/approle/role/*" { capabilities = ["create", "update", "read"] }',
    );
    const res = await h.call('POST', 'auth/approle/role/evil', fields, admin);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([ROOT_REFUSED]);
    expect((await h.call('GET', 'auth/approle/role/evil', undefined, root)).status).toBe(404);
  });

  it('the per-field paths refuse root too, and leave the role as it was', async () => {
    const root = await setup();
    await approle(root, 'app', { token_policies: 'app' });
    for (const [sub, field] of [
      ['policies', 'policies'],
      ['token-policies', 'token_policies'],
    ] as const) {
      const res = await h.call('POST', `auth/approle/role/app/${sub}`, { [field]: 'root' }, root);
      expect(res.status, sub).toBe(400);
      expect(res.body.errors).toEqual([ROOT_REFUSED]);
    }
    const role = (await h.call('GET', 'auth/approle/role/app', undefined, root)).body.data;
    expect(role.token_policies).toEqual(['app']);
  });

  it('login refuses a stored role that names root (the core check, whatever the backend says)', async () => {
    const root = await setup();
    const { roleId, secretId } = await approle(root, 'app', { token_policies: 'app' });
    // A role stored without the write-time check (e.g. by an older build): edit it in storage.
    const mount = h.core.auths.find((m) => m.type === 'approle')!;
    const key = `auth/${mount.uuid}/role/app`;
    const stored = (await h.core.barrier.getJson<Record<string, unknown>>(key))!;
    await h.core.barrier.putJson(key, { ...stored, token_policies: ['root'], policies: ['root'] });
    const tokensBefore = (await h.storage.list('sys/token/id/')).length;
    const res = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([ROOT_REFUSED]);
    expect((await h.storage.list('sys/token/id/')).length).toBe(tokensBefore);
  });

  it('a normal login answers with the same auth block as before', async () => {
    const root = await setup();
    const { roleId, secretId } = await approle(root, 'app', { token_policies: 'app', period: '5m' });
    const res = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(ENVELOPE_KEYS);
    expect(res.body.mount_type).toBe('approle');
    const auth = res.body.auth;
    expect(Object.keys(auth)).toEqual([
      'client_token',
      'accessor',
      'policies',
      'token_policies',
      'metadata',
      'lease_duration',
      'renewable',
      'entity_id',
      'token_type',
      'orphan',
      'mfa_requirement',
      'num_uses',
    ]);
    expect(auth).toMatchObject({
      policies: ['app', 'default'],
      token_policies: ['app', 'default'],
      metadata: { role_name: 'app' },
      lease_duration: 300,
      renewable: true,
      token_type: 'service',
      orphan: true,
      num_uses: 0,
    });
    const self = await h.call('GET', 'auth/token/lookup-self', undefined, auth.client_token);
    expect(self.body.data).toMatchObject({
      path: 'auth/approle/login',
      display_name: 'approle',
      period: 300,
    });
  });
});

describe('use counts hold under parallel requests', () => {
  it.each([
    [1, 8],
    [3, 12],
  ])('a token with num_uses=%i answers exactly that many of %i parallel requests', async (uses, n) => {
    const root = await setup();
    const t = (await h.call('POST', 'auth/token/create', { num_uses: uses }, root)).body.auth.client_token;
    const rs = await Promise.all(
      Array.from({ length: n }, () => h.call('GET', 'auth/token/lookup-self', undefined, t)),
    );
    expect(rs.filter((r) => r.status === 200).length).toBe(uses);
    expect(rs.filter((r) => r.status === 403).length).toBe(n - uses);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('a denied request spends a use too (as in Vault), so probing is not free', async () => {
    const root = await setup();
    const t = (await h.call('POST', 'auth/token/create', { num_uses: 2, policies: ['default'] }, root)).body
      .auth.client_token;
    expect((await h.call('GET', 'kv/x', undefined, t)).status).toBe(403);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(200);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('renewals racing requests cannot give uses back', async () => {
    const root = await setup();
    const t = (await h.call('POST', 'auth/token/create', { num_uses: 4, ttl: '1h' }, root)).body.auth
      .client_token;
    const rs = await Promise.all([
      h.call('POST', 'auth/token/renew-self', {}, t),
      h.call('POST', 'auth/token/renew-self', {}, t),
      ...Array.from({ length: 8 }, () => h.call('GET', 'auth/token/lookup-self', undefined, t)),
    ]);
    expect(rs.filter((r) => r.status === 200).length).toBe(4);
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
  });

  it('a renewal racing a revocation never brings the token back', async () => {
    const root = await setup();
    for (let i = 0; i < 3; i++) {
      const t = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, root)).body.auth.client_token;
      // The renewal reads the token, then the revocation runs to its end, then the renewal writes.
      slowNextRead(new RegExp(`^sys/token/id/${h.core.tokens.hash(t)}$`));
      const renew = h.call('POST', 'auth/token/renew-self', {}, t);
      await sleep(10);
      await h.call('POST', 'auth/token/revoke', { token: t }, root);
      await renew;
      expect((await h.call('GET', 'auth/token/lookup-self', undefined, t)).status).toBe(403);
    }
  });

  it('a child created while its parent is revoked does not outlive the parent', async () => {
    const root = await setup();
    for (let i = 0; i < 5; i++) {
      const parent = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, root)).body.auth.client_token;
      const [child] = await Promise.all([
        h.call('POST', 'auth/token/create', { ttl: '1h' }, parent),
        h.call('POST', 'auth/token/revoke', { token: parent }, root),
      ]);
      if (child.status === 200) {
        const c = child.body.auth.client_token;
        expect((await h.call('GET', 'auth/token/lookup-self', undefined, c)).status).toBe(403);
      }
    }
  });

  it('a secret ID with secret_id_num_uses=3 allows exactly 3 of 12 parallel logins', async () => {
    const root = await setup();
    const { roleId, secretId } = await approle(root, 'app', { token_policies: 'app', secret_id_num_uses: 3 });
    const rs = await parallelLogins(roleId, Array(12).fill(secretId));
    expect(rs.filter((r) => r.status === 200).length).toBe(3);
    // The others fail as used up (400) until the lockout counts five of them (403).
    for (const r of rs.filter((x) => x.status === 400))
      expect(r.body.errors).toEqual(['invalid role or secret ID']);
    expect(rs.filter((r) => r.status === 400 || r.status === 403).length).toBe(9);
  });

  it('a destroyed secret ID stays destroyed when a login races the destroy', async () => {
    const root = await setup();
    const { roleId } = await approle(root, 'app', { token_policies: 'app', secret_id_num_uses: 5 });
    for (let i = 0; i < 3; i++) {
      const sid = (await h.call('POST', 'auth/approle/role/app/secret-id', {}, root)).body.data.secret_id;
      // The login reads the secret ID, then the destroy runs to its end, then the login writes.
      slowNextRead(/\/secret_id\//);
      const login = h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: sid });
      await sleep(10);
      await h.call('POST', 'auth/approle/role/app/secret-id/destroy', { secret_id: sid }, root);
      await login;
      const after = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: sid });
      expect(after.status).toBe(400);
    }
  });

  it('parallel wrong secret IDs get at most 5 answers before the lockout', async () => {
    const root = await setup();
    const { roleId, secretId } = await approle(root, 'app', { token_policies: 'app' });
    const rs = await parallelLogins(
      roleId,
      Array.from({ length: 20 }, (_, i) => `wrong-${i}`),
    );
    expect(rs.filter((r) => r.status === 400).length).toBe(5);
    expect(rs.filter((r) => r.status === 403).length).toBe(15);
    const good = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(good.status).toBe(403);
  });

  it('parallel good logins of one role all succeed (the lockout gate does not refuse them)', async () => {
    const root = await setup();
    const { roleId, secretId } = await approle(root, 'app', { token_policies: 'app' });
    const rs = await parallelLogins(roleId, Array(16).fill(secretId));
    expect(statuses(rs)).toEqual(Array(16).fill(200));
  });
});

describe('other read-modify-writes', () => {
  it('KV v2 check-and-set: of 8 parallel writes with cas=0 exactly one creates the key', async () => {
    const root = await setup();
    await h.call('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } }, root);
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.call('PUT', 'kv2/data/once', { data: { n: i }, options: { cas: 0 } }, root),
      ),
    );
    expect(rs.filter((r) => r.status === 200).length).toBe(1);
    for (const r of rs.filter((x) => x.status !== 200))
      expect(r.body.errors).toEqual(['check-and-set parameter did not match the current version']);
    const meta = await h.call('GET', 'kv2/metadata/once', undefined, root);
    expect(meta.body.data.current_version).toBe(1);
  });

  it('KV v2: parallel writes to one key each get their own version', async () => {
    const root = await setup();
    await h.call('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } }, root);
    const rs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => h.call('PUT', 'kv2/data/k', { data: { n: i } }, root)),
    );
    expect(rs.map((r) => r.body.data.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('parallel mounts of one path: one wins, the others conflict, the table stays whole', async () => {
    const root = await setup();
    const rs = await Promise.all([
      h.call('POST', 'sys/mounts/same', { type: 'kv' }, root),
      h.call('POST', 'sys/mounts/same', { type: 'kv' }, root),
      h.call('POST', 'sys/mounts/other', { type: 'kv' }, root),
    ]);
    expect(statuses(rs)).toEqual([204, 204, 409]);
    await h.restart();
    await initAndUnsealAgain();
    const mounts = Object.keys((await h.call('GET', 'sys/mounts', undefined, root)).body.data);
    expect(mounts.filter((m) => m === 'same/' || m === 'other/').sort()).toEqual(['other/', 'same/']);
  });
});

describe('token create', () => {
  it('a use-limited token cannot create child tokens', async () => {
    const root = await setup();
    const t = await tokenWith(root, 'creator', 'path "auth/token/create" { capabilities = ["update"] }', {
      num_uses: 5,
    });
    const res = await h.call('POST', 'auth/token/create', { policies: ['creator'] }, t);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(['restricted use token cannot generate child tokens']);
  });

  it('a non-root parent cannot ask for root, nor for policies it lacks (default included)', async () => {
    const root = await setup();
    const t = await tokenWith(root, 'creator', 'path "auth/token/create" { capabilities = ["update"] }', {
      no_default_policy: true,
    });
    for (const policies of [['root'], ['creator', 'admin'], ['default']]) {
      const res = await h.call('POST', 'auth/token/create', { policies }, t);
      expect(res.status, policies.join()).toBe(400);
      expect(res.body.errors).toEqual(['child policies must be subset of parent']);
    }
    const ok = await h.call('POST', 'auth/token/create', {}, t);
    expect(ok.body.auth.policies).toEqual(['creator']);
  });

  it('a non-root parent cannot create periodic tokens (400, as in Vault)', async () => {
    const root = await setup();
    const t = await tokenWith(root, 'creator', 'path "auth/token/create" { capabilities = ["update"] }');
    const res = await h.call('POST', 'auth/token/create', { period: '1h' }, t);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(['root or sudo privileges required to create periodic token']);
  });

  it('an expiring root token cannot create a non-expiring root token', async () => {
    const root = await setup();
    const shortRoot = (await h.call('POST', 'auth/token/create', { policies: ['root'], ttl: '1h' }, root))
      .body.auth.client_token;
    const res = await h.call('POST', 'auth/token/create', { policies: ['root'] }, shortRoot);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(['expiring root tokens cannot create non-expiring root tokens']);
    const bounded = await h.call('POST', 'auth/token/create', { policies: ['root'], ttl: '10m' }, shortRoot);
    expect(bounded.status).toBe(200);
  });

  it('a root token with explicit_max_ttl expires at it', async () => {
    const root = await setup();
    const res = await h.call(
      'POST',
      'auth/token/create',
      { policies: ['root'], explicit_max_ttl: '1h' },
      root,
    );
    expect(res.body.auth.lease_duration).toBe(3600);
  });
});

describe('beyond the list', () => {
  it('a body that is not JSON is refused without quoting it back (it may hold a secret)', async () => {
    const root = await setup();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    for (const body of [
      '{"password": hunter2-supersecret}',
      '{"password": "hunter2-supersecret"',
      'hunter2',
    ]) {
      const res = await h.call('PUT', 'kv/app', body, root);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatch(/^failed to parse JSON input: /);
      expect(res.raw).not.toContain('hunter2');
      expect(res.raw).not.toContain('supersecret');
    }
  });

  it('a child token dies with its parent at the parent expiry, not at the next sweep', async () => {
    const root = await setup();
    const parent = (await h.call('POST', 'auth/token/create', { ttl: '1m' }, root)).body.auth.client_token;
    const child = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, parent)).body.auth.client_token;
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, child)).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(Date.now() + 61_000));
      expect((await h.call('GET', 'auth/token/lookup-self', undefined, child)).status).toBe(403);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a grandchild dies with its grandparent at the grandparent expiry, too', async () => {
    const root = await setup();
    const grand = (await h.call('POST', 'auth/token/create', { ttl: '1m' }, root)).body.auth.client_token;
    const parent = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, grand)).body.auth.client_token;
    const child = (await h.call('POST', 'auth/token/create', { ttl: '1h' }, parent)).body.auth.client_token;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(Date.now() + 61_000));
      expect((await h.call('GET', 'auth/token/lookup-self', undefined, child)).status).toBe(403);
      expect((await h.call('GET', 'auth/token/lookup-self', undefined, parent)).status).toBe(403);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** One request over a fresh socket with the target exactly as written; returns status and body. */
function rawRequest(port: number, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.write(head);
  });
}

describe('traversal in list paths', () => {
  it.each([
    ['LIST with ..', 'LIST', '/v1/kv/../sys/policy'],
    ['LIST with %2e%2e', 'LIST', '/v1/kv/%2e%2e/sys/policy'],
    ['LIST with %2E%2E and a trailing slash', 'LIST', '/v1/kv/%2E%2E/sys/policy/'],
    ['LIST with . segment', 'LIST', '/v1/kv/./dir'],
    ['LIST with a backslash', 'LIST', '/v1/kv/..%5csys/policy'],
    ['LIST of a KV v2 metadata path with ..', 'LIST', '/v1/kv2/metadata/../../sys/policy'],
    ['GET ?list=true with ..', 'GET', '/v1/kv/../sys/policy?list=true'],
    ['GET ?list=1 with %2e%2e', 'GET', '/v1/kv/%2e%2e/sys/policy/?list=1'],
  ])('%s is refused with 400', async (_name, method, target) => {
    const root = await setup();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await h.call('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } }, root);
    await h.call('PUT', 'kv/dir/a', { v: '1' }, root);
    const listener = await serveOnLoopback({ core: h.core });
    const res = await rawRequest(
      listener.address.port,
      `${method} ${target} HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${root}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors[0]).toMatch(/^invalid path/);
  });
});
