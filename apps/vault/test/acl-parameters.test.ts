// Policy parameter constraints (allowed_parameters, denied_parameters, required_parameters) are
// applied to each request's data as Vault applies them: the JSON body of create/update/patch
// writes, the query parameters of reads. KV v2 constraints apply to the top-level `data` and
// `options` keys, not to the secret's fields. Root tokens, sys/capabilities-self and
// sys/internal/ui/mounts are unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, initAndUnseal } from './helpers.js';

const DENIED = { errors: ['1 error occurred:\n\t* permission denied\n\n'] };

const POLICIES: Record<string, string> = {
  allow: `path "kv/allow/*" {
  capabilities = ["create", "read", "update"]
  allowed_parameters = { "color" = ["red", "blue*"], "size" = [] }
}`,
  deny: `path "kv/deny/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "secret" = [], "mode" = ["admin*", "root"] }
}`,
  req: `path "kv/req/*" {
  capabilities = ["create", "read", "update"]
  required_parameters = ["owner"]
}`,
  both: `path "kv/both/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "*" = [] }
  denied_parameters = { "color" = ["red"] }
}`,
  none: `path "kv/none/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "*" = [] }
}`,
  m1: 'path "kv/merge/*" { capabilities = ["create"] allowed_parameters = { "color" = ["red"] } }',
  m2: `path "kv/merge/*" {
  capabilities = ["update"]
  allowed_parameters = { "color" = ["green"], "size" = ["s"] }
}`,
  m3: 'path "kv/merge/*" { capabilities = ["update"] allowed_parameters = { "color" = [] } }',
  num: `path "kv/num/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "n" = [1], "flag" = [true], "s" = ["1"] }
}`,
  numdeny: `path "kv/numdeny/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "n" = [1], "t" = ["0"] }
}`,
  kv2read: `path "secret/data/a" {
  capabilities = ["read"]
  allowed_parameters = { "version" = ["1"] }
}`,
  kv2req: 'path "secret/data/a" { capabilities = ["read"] required_parameters = ["version"] }',
  kv2deny: 'path "secret/data/a" { capabilities = ["read"] denied_parameters = { "version" = ["2"] } }',
  kv2write: `path "secret/data/w/*" {
  capabilities = ["create", "update", "patch"]
  allowed_parameters = { "data" = [] }
}`,
  kv2fields: `path "secret/data/f/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "password" = [] }
}`,
};

let h: Harness;
let root: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await harness({ inmem: true });
  ({ root } = await initAndUnseal(h, 1, 1));
  await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
  await h.call('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root);
  for (const [name, policy] of Object.entries(POLICIES)) {
    const put = await h.call('PUT', `sys/policies/acl/${name}`, { policy }, root);
    expect(put.status, `${name}: ${put.raw}`).toBe(204);
  }
  const sets: Record<string, string[]> = {
    ...Object.fromEntries(Object.keys(POLICIES).map((n) => [n, [n]])),
    m12: ['m1', 'm2'],
    m123: ['m1', 'm2', 'm3'],
  };
  for (const [name, policies] of Object.entries(sets)) {
    const res = await h.call('POST', 'auth/token/create', { policies }, root);
    tokens[name] = res.body.auth.client_token;
  }
  await h.call('PUT', 'kv/allow/x', { color: 'red' }, root);
  await h.call('PUT', 'kv/req/x', { owner: 'me' }, root);
  await h.call('PUT', 'secret/data/a', { data: { v: 1 } }, root);
  await h.call('PUT', 'secret/data/a', { data: { v: 2 } }, root);
});

afterAll(async () => h?.close());

describe('policy parameter constraints on the request data', () => {
  it.each([
    // allowed_parameters: value lists, globs, empty list = any value, unlisted keys refused
    ['allow', 'PUT', 'kv/allow/x', { color: 'red' }, 204],
    ['allow', 'PUT', 'kv/allow/x', { color: 'blue-ish', size: 99 }, 204],
    ['allow', 'PUT', 'kv/allow/x', { COLOR: 'red' }, 204],
    ['allow', 'PUT', 'kv/allow/x', { color: 'green' }, 403],
    ['allow', 'PUT', 'kv/allow/x', { color: 'red', other: 1 }, 403],
    ['allow', 'PUT', 'kv/allow/new', { color: 'navy-blue' }, 403],
    ['allow', 'GET', 'kv/allow/x?color=red', undefined, 200],
    ['allow', 'GET', 'kv/allow/x', undefined, 200],
    ['allow', 'GET', 'kv/allow/x?color=green', undefined, 403],
    ['allow', 'GET', 'kv/allow/x?foo=1', undefined, 403],
    // denied_parameters: empty list = every value; value lists with globs
    ['deny', 'PUT', 'kv/deny/x', { mode: 'user' }, 204],
    ['deny', 'PUT', 'kv/deny/x', { mode: 'admin-x' }, 403],
    ['deny', 'PUT', 'kv/deny/x', { mode: 'root' }, 403],
    ['deny', 'PUT', 'kv/deny/x', { mode: ['user', 'root'] }, 403],
    ['deny', 'PUT', 'kv/deny/x', { mode: 'user,admin' }, 403],
    ['deny', 'PUT', 'kv/deny/x', { secret: '' }, 403],
    ['deny', 'PUT', 'kv/deny/x', { Secret: null }, 403],
    // required_parameters (lower-cased name, exact request key)
    ['req', 'PUT', 'kv/req/x', { owner: 'me' }, 204],
    ['req', 'PUT', 'kv/req/x', { owner: 'me', more: 1 }, 204],
    ['req', 'PUT', 'kv/req/x', { more: 1 }, 403],
    ['req', 'PUT', 'kv/req/x', { Owner: 'me' }, 403],
    ['req', 'GET', 'kv/req/x?owner=me', undefined, 200],
    ['req', 'GET', 'kv/req/x', undefined, 403],
    ['req', 'DELETE', 'kv/req/x2', undefined, 403], // no delete capability at all
    // denied beats allowed; "*" keys
    ['both', 'PUT', 'kv/both/x', { color: 'blue', any: 'thing' }, 204],
    ['both', 'PUT', 'kv/both/x', { color: 'red' }, 403],
    ['none', 'PUT', 'kv/none/x', { a: 1 }, 403],
    // several policies on one pattern: value lists unite, an empty list means any value
    ['m12', 'PUT', 'kv/merge/x', { color: 'red' }, 204],
    ['m12', 'PUT', 'kv/merge/x', { color: 'green', size: 's' }, 204],
    ['m12', 'PUT', 'kv/merge/x', { color: 'blue' }, 403],
    ['m12', 'PUT', 'kv/merge/x', { size: 'm' }, 403],
    ['m123', 'PUT', 'kv/merge/x', { color: 'blue' }, 204],
    ['m1', 'PUT', 'kv/merge/y', { color: 'green' }, 403],
    // non-string values: booleans compare by value; a JSON number never equals a policy entry
    // in an allowed list (Vault compares json.Number with the policy's int) …
    ['num', 'PUT', 'kv/num/x', { flag: true }, 204],
    ['num', 'PUT', 'kv/num/x', { flag: false }, 403],
    ['num', 'PUT', 'kv/num/x', { n: 1 }, 403],
    ['num', 'PUT', 'kv/num/x', { s: 1 }, 403],
    ['num', 'PUT', 'kv/num/x', { s: '1' }, 204],
    // … while a denied list also catches a number or boolean by its text (stricter than Vault)
    ['numdeny', 'PUT', 'kv/numdeny/x', { n: 1 }, 403],
    ['numdeny', 'PUT', 'kv/numdeny/x', { n: '1' }, 403],
    ['numdeny', 'PUT', 'kv/numdeny/x', { t: 0 }, 403],
    ['numdeny', 'PUT', 'kv/numdeny/x', { n: 2, t: 1 }, 204],
    // KV v2 reads: the query parameters are the request data
    ['kv2read', 'GET', 'secret/data/a?version=1', undefined, 200],
    ['kv2read', 'GET', 'secret/data/a', undefined, 200],
    ['kv2read', 'GET', 'secret/data/a?version=2', undefined, 403],
    ['kv2req', 'GET', 'secret/data/a', undefined, 403],
    ['kv2req', 'GET', 'secret/data/a?version=2', undefined, 200],
    ['kv2deny', 'GET', 'secret/data/a?version=1', undefined, 200],
    ['kv2deny', 'GET', 'secret/data/a?version=2', undefined, 403],
    // a repeated query key is a list, as in Vault; one denied value refuses it
    ['kv2deny', 'GET', 'secret/data/a?version=2&version=1', undefined, 403],
    // KV v2 writes: constraints see the top-level `data` and `options` keys
    ['kv2write', 'PUT', 'secret/data/w/x', { data: { anything: 1 } }, 200],
    ['kv2write', 'PUT', 'secret/data/w/x', { data: { a: 1 }, options: { cas: 1 } }, 403],
    ['kv2fields', 'PUT', 'secret/data/f/x', { data: { password: 'p' } }, 403],
  ] as const)('%s: %s %s %j → %i', async (token, method, path, body, status) => {
    const res = await h.call(method, path, body, tokens[token]);
    expect(res.status, res.raw).toBe(status);
    if (status === 403) expect(res.body).toEqual(DENIED);
  });

  it('applies them to PATCH bodies', async () => {
    const res = await fetchPatch('secret/data/w/x', { data: { b: 2 }, options: {} }, tokens['kv2write']!);
    expect(res.status, res.body).toBe(403);
    const ok = await fetchPatch('secret/data/w/x', { data: { b: 2 } }, tokens['kv2write']!);
    expect(ok.status, ok.body).toBe(200);
  });

  it('leaves the root token, sys/capabilities-self and sys/internal/ui/mounts alone', async () => {
    expect((await h.call('PUT', 'kv/req/x', { no: 'owner' }, root)).status).toBe(204);
    expect((await h.call('PUT', 'kv/allow/x', { color: 'green' }, root)).status).toBe(204);
    const caps = await h.call('POST', 'sys/capabilities-self', { paths: ['kv/req/x'] }, tokens['req']);
    expect(caps.status, caps.raw).toBe(200);
    expect(caps.body.data.capabilities).toEqual(['create', 'read', 'update']);
    const ui = await h.call('GET', 'sys/internal/ui/mounts/kv?x=1', undefined, tokens['req']);
    expect(ui.status, ui.raw).toBe(200);
  });
});

async function fetchPatch(path: string, body: unknown, token: string) {
  const res = await h.app.inject({
    method: 'PATCH',
    url: `/v1/${path}`,
    headers: { 'x-vault-token': token, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.body };
}
