// Attacks on the built `vault` bin over loopback HTTP: a sealed server answers nothing but
// "Vault is sealed"; no token or a bad one is 403; an auth method never hands out root; use
// counts of tokens and secret IDs hold under parallel requests; a use-limited token makes no
// children; traversal in a request target — also through the LIST verb and percent-encoded — is
// refused before anything resolves it. Targets with `..` go over a raw socket, since fetch
// would resolve them client-side.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlainVault, plainVault, plainVaultApi } from './chain-support.js';

const DENIED = { errors: ['1 error occurred:\n\t* permission denied\n\n'] };
const SEALED = { errors: ['Vault is sealed'] };

let vault: PlainVault;
let unsealKey = '';
let root = '';
const api = plainVaultApi(() => vault.port);

/** One request over a fresh socket, the target exactly as written. */
function rawRequest(method: string, target: string, token = root): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(vault.port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('error', reject);
    sock.on('close', () => {
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      });
    });
    const body = method === 'PUT' ? '{"v":"x"}' : '';
    sock.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** A token (child of root) holding one new policy with the given HCL. */
async function tokenWith(name: string, hcl: string, extra: Record<string, unknown> = {}): Promise<string> {
  expect((await api('PUT', `sys/policies/acl/${name}`, { policy: hcl }, root)).status).toBe(204);
  const res = await api('POST', 'auth/token/create', { policies: [name], ...extra }, root);
  expect(res.status).toBe(200);
  return res.json.auth.client_token;
}

async function newSecretId(role: string): Promise<string> {
  return (await api('POST', `auth/approle/role/${role}/secret-id`, {}, root)).json.data.secret_id;
}

async function roleIdOf(role: string): Promise<string> {
  return (await api('GET', `auth/approle/role/${role}/role-id`, undefined, root)).json.data.role_id;
}

beforeAll(async () => {
  vault = await plainVault('vault-security-');
  await vault.start();
  ({ unsealKey, root } = await vault.init({ sealed: true }));
}, 60_000);

afterAll(async () => {
  await vault?.dispose('SIGKILL');
});

describe('vault bin: sealed, unauthenticated and traversal', { timeout: 60_000 }, () => {
  it('a sealed vault refuses reads, writes, logins and token lookups with 503 "Vault is sealed"', async () => {
    // Freshly initialised: sealed.
    const attempts = async () => [
      await api('GET', 'kv/app', undefined, root),
      await api('PUT', 'kv/app', { v: 'x' }, root),
      await api('PUT', 'auth/approle/login', { role_id: 'r', secret_id: 's' }),
      await api('GET', 'auth/token/lookup-self', undefined, root),
      await api('POST', 'sys/mounts/kv', { type: 'kv' }, root),
      await api('GET', 'sys/policies/acl/default', undefined, root),
    ];
    for (const r of await attempts()) expect(r).toEqual({ status: 503, json: SEALED });
    expect((await api('PUT', 'sys/unseal', { key: unsealKey })).json.sealed).toBe(false);
    // Set up what the later tests use, then seal again and try once more.
    expect((await api('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
    expect((await api('POST', 'sys/auth/approle', { type: 'approle' }, root)).status).toBe(204);
    expect((await api('PUT', 'kv/app', { v: 'x' }, root)).status).toBe(204);
    expect((await api('PUT', 'sys/seal', undefined, root)).status).toBe(204);
    for (const r of await attempts()) expect(r).toEqual({ status: 503, json: SEALED });
    expect((await rawRequest('LIST', '/v1/kv/')).status).toBe(503);
    expect((await api('PUT', 'sys/unseal', { key: unsealKey })).json.sealed).toBe(false);
    expect((await api('GET', 'kv/app', undefined, root)).json.data).toEqual({ v: 'x' });
  });

  it('no token, an unknown token and a revoked token are all 403 permission denied', async () => {
    const t = (await api('POST', 'auth/token/create', {}, root)).json.auth.client_token;
    expect((await api('POST', 'auth/token/revoke-self', {}, t)).status).toBe(204);
    for (const token of [undefined, 'hvs.NotARealTokenAtAll00000', t, `${root}x`]) {
      expect(await api('GET', 'kv/app', undefined, token)).toEqual({ status: 403, json: DENIED });
      expect(await api('GET', 'auth/token/lookup-self', undefined, token)).toEqual({
        status: 403,
        json: DENIED,
      });
    }
  });

  it.each([
    ['PUT', '/v1/kv/app/../escape'],
    ['GET', '/v1/kv/../sys/policy'],
    ['GET', '/v1/kv/%2e%2e/sys/policy'],
    ['GET', '/v1/kv/../sys/policy?list=true'],
    ['GET', '/v1/kv/%2E%2e/sys/policy/?list=1'],
    ['LIST', '/v1/kv/../sys/policy'],
    ['LIST', '/v1/kv/%2e%2e/sys/policy/'],
    ['LIST', '/v1/kv/./app'],
    ['LIST', '/v1/kv/app%2f..%2f..%2fsys/policy'],
    ['DELETE', '/v1/kv/app/..'],
  ])('%s %s is refused with 400 before anything resolves it', async (method, target) => {
    const res = await rawRequest(method, target);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors[0]).toMatch(/^invalid path/);
    expect((await api('GET', 'kv/app', undefined, root)).json.data).toEqual({ v: 'x' });
  });
});

describe('vault bin: tokens and AppRole', { timeout: 60_000 }, () => {
  it('an auth method never issues root: role writes naming root are 400, logins never get root', async () => {
    const admin = await tokenWith(
      'role-admin',
      'path "auth/approle/role/*" { capabilities = ["create", "read", "update"] }',
    );
    for (const body of [
      { token_policies: 'root' },
      { policies: 'default,root' },
      { token_policies: ['ROOT'] },
    ]) {
      const res = await api('POST', 'auth/approle/role/escalate', body, admin);
      expect(res).toEqual({ status: 400, json: { errors: ['auth methods cannot create root tokens'] } });
    }
    expect(
      (await api('POST', 'auth/approle/role/escalate/policies', { policies: 'root' }, admin)).status,
    ).toBe(400);
    // A role that is allowed: its login holds exactly its policies.
    expect((await api('POST', 'auth/approle/role/escalate', { token_policies: 'app' }, admin)).status).toBe(
      204,
    );
    const login = await api('PUT', 'auth/approle/login', {
      role_id: await roleIdOf('escalate'),
      secret_id: await newSecretId('escalate'),
    });
    expect(login.status).toBe(200);
    expect(login.json.auth.policies).toEqual(['app', 'default']);
    expect((await api('GET', 'sys/policies/acl', undefined, login.json.auth.client_token)).status).toBe(403);
  });

  it('a token with num_uses=3 answers exactly 3 of 12 parallel requests', async () => {
    const t = (await api('POST', 'auth/token/create', { num_uses: 3, policies: ['default'] }, root)).json.auth
      .client_token;
    const rs = await Promise.all(
      Array.from({ length: 12 }, () => api('GET', 'auth/token/lookup-self', undefined, t)),
    );
    expect(rs.filter((r) => r.status === 200).length).toBe(3);
    expect(rs.filter((r) => r.status === 403).length).toBe(9);
  });

  it('a secret ID with secret_id_num_uses=3 allows exactly 3 of 12 parallel logins', async () => {
    expect(
      (await api('POST', 'auth/approle/role/limited', { token_policies: 'app', secret_id_num_uses: 3 }, root))
        .status,
    ).toBe(204);
    const roleId = await roleIdOf('limited');
    const secretId = await newSecretId('limited');
    const rs = await Promise.all(
      Array.from({ length: 12 }, () =>
        api('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId }),
      ),
    );
    expect(rs.filter((r) => r.status === 200).length).toBe(3);
    // The rest: used up (400), then locked out after five failures (403).
    expect(rs.filter((r) => r.status === 400 || r.status === 403).length).toBe(9);
  });

  it('parallel wrong secret IDs get exactly 5 answers, then the role ID is locked out', async () => {
    expect((await api('POST', 'auth/approle/role/guarded', { token_policies: 'app' }, root)).status).toBe(
      204,
    );
    const roleId = await roleIdOf('guarded');
    const good = await newSecretId('guarded');
    const rs = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        api('PUT', 'auth/approle/login', { role_id: roleId, secret_id: `guess-${i}` }),
      ),
    );
    expect(rs.filter((r) => r.status === 400).length).toBe(5);
    expect(rs.filter((r) => r.status === 403).length).toBe(11);
    expect((await api('PUT', 'auth/approle/login', { role_id: roleId, secret_id: good })).status).toBe(403);
  });

  it('a use-limited token cannot create child tokens (400)', async () => {
    const t = await tokenWith('creator', 'path "auth/token/create" { capabilities = ["update"] }', {
      num_uses: 10,
    });
    const res = await api('POST', 'auth/token/create', { policies: ['creator'] }, t);
    expect(res).toEqual({
      status: 400,
      json: { errors: ['restricted use token cannot generate child tokens'] },
    });
    const orphan = await api('POST', 'auth/token/create-orphan', {}, t);
    expect(orphan.status).toBe(403);
  });

  it('a non-root token cannot mint root or periodic children', async () => {
    const t = await tokenWith('creator2', 'path "auth/token/create" { capabilities = ["update"] }');
    expect((await api('POST', 'auth/token/create', { policies: ['root'] }, t)).json).toEqual({
      errors: ['child policies must be subset of parent'],
    });
    expect((await api('POST', 'auth/token/create', { period: '1h' }, t)).json).toEqual({
      errors: ['root or sudo privileges required to create periodic token'],
    });
  });
});
