// Child process for bench.mjs: serves either our vault (file storage, TLS, initialised, unsealed,
// kv + approle set up) or a bare fastify TLS endpoint, then prints one JSON line with its facts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';

const [mode, dir] = process.argv.slice(2);
const tls = { cert: readFileSync(join(dir, 'c.pem')), key: readFileSync(join(dir, 'k.pem')) };

if (mode === 'bare') {
  const app = Fastify({ https: tls });
  app.get('/v1/kv/bench/k', async () => ({ data: { key: 'value' } }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
} else {
  const { Core } = await import('../dist/core.js');
  const { FileStorage } = await import('../dist/storage/file.js');
  const { buildServer } = await import('../dist/http/server.js');
  const { listen } = await import('../dist/http/listen.js');
  const core = new Core({
    storage: new FileStorage(join(dir, 'file')),
    defaultLeaseTtl: 604800,
    maxLeaseTtl: 2592000,
  });
  const { keys, rootToken } = await core.init(1, 1);
  await core.unseal(keys[0].toString('base64'), false);
  const call = (operation, path, data = {}) =>
    core.handle({ operation, path, data, token: rootToken, clientAddr: '127.0.0.1' });
  await call('update', 'sys/mounts/kv', { type: 'kv' });
  await call('update', 'sys/auth/approle', { type: 'approle' });
  await call('update', 'sys/policies/acl/bench', {
    policy: 'path "kv/bench/*" { capabilities = ["create","read","update","delete"] }',
  });
  await call('update', 'auth/approle/role/bench', { policies: 'bench', token_ttl: '10m' });
  const roleId = (await call('read', 'auth/approle/role/bench/role-id')).data.role_id;
  const secretId = (await call('update', 'auth/approle/role/bench/secret-id')).data.secret_id;
  const login = await core.handle({
    operation: 'update',
    path: 'auth/approle/login',
    data: { role_id: roleId, secret_id: secretId },
    clientAddr: '127.0.0.1',
  });
  const token = login.auth.client_token;
  await core.handle({
    operation: 'update',
    path: 'kv/bench/k',
    data: { key: 'value' },
    token,
    clientAddr: '127.0.0.1',
  });
  const l = await listen(buildServer({ core, tls: true }), { host: '127.0.0.1', port: 0, tls });
  process.stdout.write(`${JSON.stringify({ port: l.address.port, token, roleId, secretId })}\n`);
}
