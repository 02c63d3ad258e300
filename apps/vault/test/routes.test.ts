// Every engine's answer to a fixed matrix of paths × operations, against a table recorded from the
// hand-written routing that the path router replaced: status and error texts for refusals (404
// unknown path, 405 unserved operation, 400 bad name …), the data keys for successes. A change in
// what any backend answers for any of these paths shows up here as a diff of the table.
//
// To re-record after a deliberate change: ROUTES_RECORD=1 npx vitest run --project vault test/routes.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Core } from '../src/core.js';
import { VaultError } from '../src/errors.js';
import { InmemStorage } from '../src/storage/inmem.js';

const TABLE = join(import.meta.dirname, 'testdata', 'routes.json');

const ENGINE_PATHS = [
  '',
  'a',
  'a/',
  'd/',
  'd/b',
  'config',
  'config/',
  'data',
  'data/',
  'data/a',
  'data/d/b',
  'data/zz',
  'metadata',
  'metadata/',
  'metadata/a',
  'metadata/d/',
  'metadata/zz',
  'delete',
  'delete/',
  'delete/a',
  'undelete/a',
  'destroy/a',
  'destroy/',
  'foo',
  'foo/bar',
  'login',
  'login/',
  'role',
  'role/',
  'role/r1',
  'role/R1',
  'role/zz',
  'role/bad!',
  'role/bad!/x',
  'role/r1/',
  'role/r1/role-id',
  'role/zz/role-id',
  'role/r1/secret-id',
  'role/r1/secret-id/',
  'role/r1/custom-secret-id',
  'role/r1/secret-id/lookup',
  'role/r1/secret-id/destroy',
  'role/r1/secret-id-accessor/lookup',
  'role/r1/secret-id-accessor/destroy',
  'role/r1/policies',
  'role/zz/policies',
  'role/r1/token-ttl',
  'role/r1/unknown',
  'role/bad!/policies',
];
const SYS_PATHS = [
  '',
  'mounts',
  'mounts/',
  'mounts/kv1',
  'mounts/kv1/tune',
  'mounts/zz/tune',
  'mounts/zz',
  'mounts/tune',
  'auth',
  'auth/',
  'auth/approle',
  'auth/approle/tune',
  'auth/zz',
  'policy',
  'policy/',
  'policy/p1',
  'policy/zz',
  'policy/bad name',
  'policies/acl',
  'policies/acl/',
  'policies/acl/p1',
  'policies/acl/zz',
  'capabilities-self',
  'internal/ui/mounts/kv1',
  'internal/ui/mounts/',
  'internal/ui/mounts/zz',
  'key-status',
  'unknown',
];
const TOKEN_PATHS = [
  'lookup-self',
  'lookup',
  'lookup-accessor',
  'renew-self',
  'renew',
  'revoke',
  'create',
  'unknown',
  '',
];

const PATHS = [
  ...['kv1/', 'kv2/', 'auth/approle/', 'cubbyhole/'].flatMap((m) => ENGINE_PATHS.map((p) => m + p)),
  ...SYS_PATHS.map((p) => `sys/${p}`),
  ...TOKEN_PATHS.map((p) => `auth/token/${p}`),
  'sys',
  'identity/x',
  'nope/x',
];
const OPERATIONS = ['read', 'list', 'update', 'delete', 'patch'] as const;
const BODIES: Record<string, unknown>[] = [{}, { data: { y: '2' } }];

/** What a request answered, without ids, times or tokens: `<status> <errors>` or `ok <data keys>`. */
async function answer(core: Core, req: Parameters<Core['handle']>[0]): Promise<string> {
  try {
    const res = await core.handle(req);
    if (!res) return 'ok null';
    const keys = (o: unknown) => (o && typeof o === 'object' ? Object.keys(o).sort().join(',') : String(o));
    return `ok data=${keys(res.data)}${res.auth ? ` auth=${res.auth.policies.join(',')}` : ''}${res.warnings?.length ? ` warnings=${JSON.stringify(res.warnings)}` : ''}`;
  } catch (err) {
    return err instanceof VaultError
      ? `${err.status} ${JSON.stringify(err.errors)}`
      : '500 ["internal error"]';
  }
}

it('every engine answers the path × operation matrix as the table records', async () => {
  const core = new Core({ storage: new InmemStorage(), defaultLeaseTtl: 604800, maxLeaseTtl: 2592000 });
  const { keys, rootToken } = await core.init(1, 1);
  await core.unseal(keys[0]!.toString('base64'), false);
  const run = (operation: (typeof OPERATIONS)[number], path: string, data: Record<string, unknown>) =>
    answer(core, {
      operation,
      path,
      data,
      token: rootToken,
      clientAddr: '127.0.0.1',
      contentType: 'application/merge-patch+json',
    });
  const setup: [string, Record<string, unknown>][] = [
    ['sys/mounts/kv1', { type: 'kv' }],
    ['sys/mounts/kv2', { type: 'kv', options: { version: '2' } }],
    ['sys/auth/approle', { type: 'approle' }],
    ['kv1/a', { x: '1' }],
    ['kv1/d/b', { x: '1' }],
    ['kv2/data/a', { data: { x: '1' } }],
    ['kv2/data/d/b', { data: { x: '1' } }],
    ['auth/approle/role/r1', { token_policies: 'default' }],
    ['cubbyhole/c', { x: '1' }],
    ['sys/policy/p1', { policy: 'path "kv1/*" { capabilities = ["read"] }' }],
  ];
  for (const [path, data] of setup) expect(await run('update', path, data)).toMatch(/^ok /);
  const got: Record<string, string> = {};
  for (const p of PATHS) {
    for (const op of OPERATIONS) {
      // Changing the mount tables would change every later answer; those paths are tested elsewhere.
      if (/^sys\/(mounts|auth)\/./.test(p) && op !== 'read' && op !== 'list') continue;
      for (const data of op === 'read' || op === 'list' ? [{}] : BODIES) {
        const path = op === 'list' && !p.endsWith('/') ? `${p}/` : p;
        got[`${op} ${path} ${JSON.stringify(data)}`] = await run(op, path, data);
      }
    }
  }
  if (process.env['ROUTES_RECORD']) {
    writeFileSync(TABLE, `${JSON.stringify(got, null, 0).replaceAll('","', '",\n"')}\n`);
  }
  expect(got).toEqual(JSON.parse(readFileSync(TABLE, 'utf8')));
  // Bad input is the client's error, never the server's: no path × operation × body answers 5xx.
  expect(Object.entries(got).filter(([, answer]) => answer.startsWith('5'))).toEqual([]);
});
