// The npm `node-vault` client (nobody here wrote it) drives our vault over TLS: init, unseal,
// mounts, policy, AppRole, login, KV write/read/list (node-vault sends the LIST verb, which
// Node's own HTTP parser would refuse), 403 and 404 mapping, seal-status and health.
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import Mustache from 'mustache';
import type NodeVaultFactory from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, shell, startVaultServer, tempDir } from './chain-support.js';

// Loaded through Node's require. Under vitest's resolve conditions (`import` first) node-vault's
// own `require('mustache')` gets the ESM build, so its documented `mustache` option is given.
const NodeVault = createRequire(import.meta.url)('node-vault') as typeof NodeVaultFactory;

let dir: string;
let server: Proc;
let endpoint: string;

beforeAll(async () => {
  dir = await tempDir('vault-node-vault-');
  const port = await freePort();
  endpoint = `https://127.0.0.1:${port}`;
  const sh = shell(dir, {});
  const gen = sh.run(
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -keyout tls.key -out tls.crt -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>&1',
  );
  expect(gen.status, gen.stdout).toBe(0);
  sh.run(`cat > vault.hcl <<EOF
storage "file" {
  path = "data"
}
listener "tcp" {
  address         = "127.0.0.1:${port}"
  tls_cert_file   = "tls.crt"
  tls_key_file    = "tls.key"
  tls_min_version = "tls12"
}
default_lease_ttl = "1h"
max_lease_ttl     = "24h"
disable_mlock     = true
ui                = true
EOF`);
  server = await startVaultServer(dir, ['-config', 'vault.hcl']);
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const client = (token?: string) =>
  NodeVault({
    apiVersion: 'v1',
    endpoint,
    ...(token ? { token } : {}),
    requestOptions: { strictSSL: false },
    mustache: Mustache,
  });

describe('node-vault against our vault', { timeout: 120_000 }, () => {
  it('drives init, unseal, kv, policy, approle login, read/write/list and errors', async () => {
    const admin = client();
    expect(await admin.initialized()).toEqual({ initialized: false });
    const init = await admin.init({ secret_shares: 3, secret_threshold: 2 });
    expect(init.keys).toHaveLength(3);
    expect(init.root_token).toMatch(/^hvs\./);
    admin.token = init.root_token;

    const first = await admin.unseal({ secret_shares: 1, key: init.keys[0] });
    expect(first).toMatchObject({ sealed: true, progress: 1, t: 2, n: 3 });
    const second = await admin.unseal({ secret_shares: 1, key: init.keys_base64[2] });
    expect(second).toMatchObject({ sealed: false, progress: 0 });
    expect(await admin.status()).toMatchObject({ sealed: false, initialized: true, type: 'shamir' });
    expect(await admin.health()).toMatchObject({ initialized: true, sealed: false, standby: false });

    await admin.mount({ mount_point: 'kv', type: 'kv', description: 'test' });
    const mounts = await admin.mounts();
    expect(mounts['kv/']).toMatchObject({ type: 'kv' });
    await admin.enableAuth({ mount_point: 'approle', type: 'approle' });
    await admin.addPolicy({
      name: 'app',
      rules: 'path "kv/app/*" { capabilities = ["create","read","update","list"] }',
    });
    expect((await admin.getPolicy({ name: 'app' })).rules).toContain('kv/app/*');

    await admin.addApproleRole({ role_name: 'app-role', policies: 'app', token_ttl: 600 });
    const { data: roleId } = await admin.getApproleRoleId({ role_name: 'app-role' });
    const { data: secret } = await admin.getApproleRoleSecret({ role_name: 'app-role' });
    const app = client();
    const login = await app.approleLogin({ role_id: roleId.role_id, secret_id: secret.secret_id });
    expect(login.auth.policies).toEqual(['app', 'default']);
    expect(login.auth.lease_duration).toBe(600);
    expect(app.token).toBe(login.auth.client_token);

    await app.write('kv/app/db', { password: 's3cr3t', port: 5432 });
    const read = await app.read('kv/app/db');
    expect(read.data).toEqual({ password: 's3cr3t', port: 5432 });
    expect(read.lease_duration).toBe(3600);
    const listed = await app.list('kv/app');
    expect(listed.data.keys).toEqual(['db']);

    await expect(app.write('kv/other/x', { a: 'b' })).rejects.toThrow(/permission denied/);
    await expect(app.read('kv/app/missing')).rejects.toThrow('Status 404');
    const lookup = await app.tokenLookupSelf();
    expect(lookup.data.policies).toEqual(['app', 'default']);
    expect(lookup.data.meta).toEqual({ role_name: 'app-role' });

    await admin.seal();
    expect(await admin.status()).toMatchObject({ sealed: true, progress: 0 });
    await expect(app.read('kv/app/db')).rejects.toThrow('Vault is sealed');
  });
});
