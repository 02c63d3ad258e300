// Attacks on Vault policy parameter constraints, against the built `vault` bin over loopback
// HTTP: a token whose policy limits which request parameters (and values) it may send tries to
// write or read past those limits. allowed_parameters, denied_parameters and required_parameters
// must hold on the JSON body of writes and on the query parameters of reads, with Vault's value
// globs and its merge of several policies; every refusal is Vault's 403 permission-denied body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlainVault, plainVault, plainVaultApi } from './chain-support.js';

const DENIED = { errors: ['1 error occurred:\n\t* permission denied\n\n'] };

const POLICIES: Record<string, string> = {
  allowed: `path "kv/allowed/*" {
  capabilities = ["create", "read", "update"]
  allowed_parameters = {
    "color" = ["red", "blue*", "*-green"]
    "note"  = []
  }
}`,
  denied: `path "kv/denied/*" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "secret" = []
    "mode"   = ["admin*", "root"]
  }
}`,
  required: `path "kv/required/*" {
  capabilities = ["create", "read", "update"]
  required_parameters = ["owner"]
}`,
  nothing: `path "kv/nothing/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "*" = [] }
}`,
  precedence: `path "kv/precedence/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "*" = [] }
  denied_parameters = { "level" = ["high"] }
}`,
  merge1:
    'path "kv/merged/*" { capabilities = ["create", "update"] allowed_parameters = { "env" = ["dev"] } }',
  merge2: 'path "kv/merged/*" { capabilities = ["update"] allowed_parameters = { "env" = ["test"] } }',
  merge3: 'path "kv/merged/*" { capabilities = ["update"] allowed_parameters = { "env" = [] } }',
  versions: `path "secret/data/app" {
  capabilities = ["read"]
  allowed_parameters = { "version" = ["1"] }
}`,
  needversion: 'path "secret/data/app" { capabilities = ["read"] required_parameters = ["version"] }',
  kv2write: `path "secret/data/w/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "data" = [] }
}`,
};

/** Token name → the policies it holds. */
const TOKENS: Record<string, string[]> = {
  allowed: ['allowed'],
  denied: ['denied'],
  required: ['required'],
  nothing: ['nothing'],
  precedence: ['precedence'],
  merge1: ['merge1'],
  merge12: ['merge1', 'merge2'],
  merge123: ['merge1', 'merge2', 'merge3'],
  versions: ['versions'],
  needversion: ['needversion'],
  kv2write: ['kv2write'],
};

let vault: PlainVault;
let root: string;
const tokens: Record<string, string> = {};
const api = plainVaultApi(() => vault.port);

beforeAll(async () => {
  vault = await plainVault('security-vault-acl-');
  await vault.start();
  ({ root } = await vault.init());
  expect((await api('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
  const v2 = await api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root);
  expect(v2.status).toBe(204);
  for (const [name, policy] of Object.entries(POLICIES)) {
    expect((await api('PUT', `sys/policies/acl/${name}`, { policy }, root)).status).toBe(204);
  }
  for (const [name, policies] of Object.entries(TOKENS)) {
    tokens[name] = (await api('POST', 'auth/token/create', { policies }, root)).json.auth.client_token;
  }
  await api('PUT', 'kv/allowed/x', { color: 'red' }, root);
  await api('PUT', 'kv/required/x', { owner: 'ops' }, root);
  await api('PUT', 'secret/data/app', { data: { v: 1 } }, root);
  await api('PUT', 'secret/data/app', { data: { v: 2 } }, root);
}, 60_000);

afterAll(async () => {
  await vault?.dispose('SIGKILL');
});

describe('vault policy parameter constraints over HTTP', { timeout: 60_000 }, () => {
  it.each([
    // allowed_parameters: listed values and prefix/suffix globs pass, anything else is refused
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'red', note: 'any text' }, 204],
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'blue-sky' }, 204],
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'dark-green' }, 204],
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'green' }, 403],
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'red', admin: 'true' }, 403],
    ['allowed', 'PUT', 'kv/allowed/x', { color: ['red', 'purple'] }, 403],
    ['allowed', 'PUT', 'kv/allowed/x', { color: 'red,purple' }, 403],
    ['allowed', 'GET', 'kv/allowed/x?color=purple', undefined, 403],
    ['allowed', 'GET', 'kv/allowed/x?color=red', undefined, 200],
    // denied_parameters: an empty list denies every value; globs in value lists
    ['denied', 'PUT', 'kv/denied/x', { mode: 'user' }, 204],
    ['denied', 'PUT', 'kv/denied/x', { mode: 'admin-all' }, 403],
    ['denied', 'PUT', 'kv/denied/x', { mode: 'root' }, 403],
    ['denied', 'PUT', 'kv/denied/x', { mode: ['user', 'root'] }, 403],
    ['denied', 'PUT', 'kv/denied/x', { MODE: 'root' }, 403],
    ['denied', 'PUT', 'kv/denied/x', { secret: 'x' }, 403],
    // required_parameters: the write that names its owner passes, the others are refused
    ['required', 'PUT', 'kv/required/x', { owner: 'ops' }, 204],
    ['required', 'PUT', 'kv/required/x', { data: 'no owner' }, 403],
    ['required', 'GET', 'kv/required/x', undefined, 403],
    ['required', 'GET', 'kv/required/x?owner=ops', undefined, 200],
    // "*" keys; denied beats allowed
    ['nothing', 'PUT', 'kv/nothing/x', { a: 'b' }, 403],
    ['precedence', 'PUT', 'kv/precedence/x', { level: 'low', other: 'x' }, 204],
    ['precedence', 'PUT', 'kv/precedence/x', { level: 'high' }, 403],
    // several policies on one pattern: value lists unite, an empty list means any value
    ['merge1', 'PUT', 'kv/merged/x', { env: 'test' }, 403],
    ['merge12', 'PUT', 'kv/merged/x', { env: 'test' }, 204],
    ['merge12', 'PUT', 'kv/merged/x', { env: 'prod' }, 403],
    ['merge123', 'PUT', 'kv/merged/x', { env: 'prod' }, 204],
    // KV v2 reads: query parameters are the request data
    ['versions', 'GET', 'secret/data/app?version=1', undefined, 200],
    ['versions', 'GET', 'secret/data/app?version=2', undefined, 403],
    ['versions', 'GET', 'secret/data/app?version=1&version=2', undefined, 403],
    ['needversion', 'GET', 'secret/data/app', undefined, 403],
    ['needversion', 'GET', 'secret/data/app?version=2', undefined, 200],
    // KV v2 writes: the constraints see the top-level `data` and `options` keys
    ['kv2write', 'PUT', 'secret/data/w/x', { data: { password: 'p' } }, 200],
    ['kv2write', 'PUT', 'secret/data/w/x', { data: { password: 'p' }, options: { cas: 1 } }, 403],
  ] as const)('%s token: %s %s %j → %i', async (token, method, path, body, status) => {
    const res = await api(method, path, body, tokens[token]);
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    if (status === 403) expect(res.json).toEqual(DENIED);
  });

  it('the root token and sys/capabilities-self are not subject to parameter constraints', async () => {
    expect((await api('PUT', 'kv/required/y', { anything: 'goes' }, root)).status).toBe(204);
    const caps = await api('POST', 'sys/capabilities-self', { paths: ['kv/required/x'] }, tokens['required']);
    expect(caps.status).toBe(200);
    expect(caps.json.data.capabilities).toEqual(['create', 'read', 'update']);
  });
});
