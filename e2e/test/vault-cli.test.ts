// The `vault` CLI beyond the guide, against `vault server -dev`: dev banner and token helper,
// KV v2 through `kv put/get`, policy read/list/delete, token lookup/create, unseal prompt on
// stdin, -format=json, usage and API errors with Vault's exit codes.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, type Shell, shell, startVaultServer, tempDir } from './chain-support.js';

let dir: string;
let sh: Shell;
let server: Proc;
let rootToken: string;
let unsealKey: string;

beforeAll(async () => {
  dir = await tempDir('vault-cli-');
  const port = await freePort();
  server = await startVaultServer(dir, [
    '-dev',
    `-dev-listen-address=127.0.0.1:${port}`,
    '-dev-root-token-id=dev-root',
  ]);
  const out = server.out();
  await new Promise((r) => setTimeout(r, 300));
  const full = server.out();
  unsealKey = /^Unseal Key: (\S+)$/m.exec(full)![1]!;
  rootToken = /^Root Token: (\S+)$/m.exec(full)![1]!;
  expect(out).toContain('Storage: inmem');
  sh = shell(dir, { VAULT_ADDR: `http://127.0.0.1:${port}` });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('vault CLI against -dev', { timeout: 120_000 }, () => {
  it('dev mode: banner, chosen root token, token helper file, secret/ is KV v2', () => {
    expect(server.out()).toContain('WARNING! dev mode is enabled!');
    // Dev mode does not lock memory, as Vault's: the platform supports it, it is not enabled.
    expect(server.out()).toMatch(/^ {10}Mlock: supported: true, enabled: false$/m);
    expect(rootToken).toBe('dev-root');
    const lookup = sh.run('vault token lookup -format=json');
    expect(lookup.status).toBe(0);
    expect(JSON.parse(lookup.stdout).data).toMatchObject({ id: 'dev-root', policies: ['root'] });
    const mounts = sh.run('vault secrets list');
    expect(mounts.stdout).toMatch(/^secret\/\s+kv\s+kv_[0-9a-f]{8}\s+key\/value secret storage$/m);
  });

  it('kv put/get on a v2 mount, with metadata and -field', () => {
    const put = sh.run('vault kv put secret/app user=alice pass=s3cr3t');
    expect(put.status).toBe(0);
    expect(
      put.stdout.startsWith(
        '= Secret Path =\nsecret/data/app\n\n======= Metadata =======\nKey                Value\n',
      ),
    ).toBe(true);
    expect(put.stdout).toMatch(/^version {12}1$/m);
    const get = sh.run('vault kv get secret/app');
    expect(get.stdout).toMatch(/=+ Data =+\nKey {5}Value\n--- {5}-----\npass {4}s3cr3t\nuser {4}alice\n$/);
    expect(sh.run('vault kv get -field=user secret/app').stdout).toBe('alice');
    expect(sh.run('vault kv list secret/').stdout).toBe('Keys\n----\napp\n');
    expect(sh.run('vault kv get secret/none').status).toBe(2);
  });

  it('policy write from stdin, read, list, delete', () => {
    const hcl = 'path "secret/data/app" {\n  capabilities = ["read"]\n}\n';
    expect(sh.run(`printf '%s' '${hcl}' | vault policy write app -`).stdout).toBe(
      'Success! Uploaded policy: app\n',
    );
    expect(sh.run('vault policy read app').stdout).toBe(hcl);
    expect(sh.run('vault policy list').stdout).toBe('app\ndefault\nroot\n');
    expect(sh.run('vault policy delete app').stdout).toBe('Success! Deleted policy: app\n');
  });

  it('token create with a policy; reads allowed and denied by it', () => {
    sh.run(
      `printf 'path "secret/data/app" {\\n  capabilities = ["read"]\\n}\\n' | vault policy write reader -`,
    );
    const created = sh.run('vault token create -policy=reader -format=json');
    const token = JSON.parse(created.stdout).auth.client_token;
    expect(sh.run('vault kv get -field=pass secret/app', { VAULT_TOKEN: token }).stdout).toBe('s3cr3t');
    const denied = sh.run('vault kv put secret/app x=y', { VAULT_TOKEN: token });
    expect(denied.status).toBe(2);
    expect(denied.stderr).toContain('Code: 403. Errors:');
  });

  it('login -method=approle stores the token in ~/.vault-token', () => {
    expect(sh.run('vault auth enable approle').status).toBe(0);
    expect(sh.run('vault write auth/approle/role/app token_policies=reader token_ttl=1h').status).toBe(0);
    const roleId = sh.run('vault read -field=role_id auth/approle/role/app/role-id').stdout;
    const secretId = sh.run('vault write -f -field=secret_id auth/approle/role/app/secret-id').stdout;
    const login = sh.run(`vault login -method=approle role_id=${roleId} secret_id=${secretId}`, {
      VAULT_TOKEN: '',
    });
    expect(login.status).toBe(0);
    expect(login.stdout).toMatch(/^Success! You are now authenticated\./);
    expect(login.stdout).toContain('token_policies          ["default" "reader"]\n');
    expect(login.stdout).toContain('token_duration          1h\n');
    const who = sh.run('vault token lookup -field=display_name', { VAULT_TOKEN: '' });
    expect(who.stdout).toBe('approle');
    expect(sh.run(`vault login -no-print ${rootToken}`, { VAULT_TOKEN: '' }).status).toBe(0);
  });

  it('seal, then unseal with the key read from stdin (prompt), status exit codes', () => {
    expect(sh.run('vault operator seal').stdout).toBe('Success! Vault is sealed.\n');
    expect(sh.run('vault status').status).toBe(2);
    const unseal = sh.run(`echo ${unsealKey} | vault operator unseal`);
    expect(unseal.status).toBe(0);
    expect(unseal.stdout.startsWith('Unseal Key (will be hidden): \n')).toBe(true);
    expect(unseal.stdout).toContain('Sealed          false');
    expect(sh.run('vault status').status).toBe(0);
  });

  it('VAULT_FORMAT=json and -format=json print the response JSON; init -status', () => {
    const r = sh.run('vault read secret/data/app', { VAULT_FORMAT: 'json' });
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'request_id',
      'lease_id',
      'lease_duration',
      'renewable',
      'data',
      'warnings',
      'mount_type',
    ]);
    expect(j.data.data).toEqual({ pass: 's3cr3t', user: 'alice' });
    expect(JSON.parse(sh.run('vault list -format=json secret/metadata').stdout)).toEqual(['app']);
    expect(sh.run('vault operator init -status')).toMatchObject({
      status: 0,
      stdout: 'Vault is initialized\n',
    });
    expect(sh.run('vault read -format=yamlish secret/data/app').status).toBe(1);
  });

  it('usage errors exit 1, missing data exit 1, unknown commands 127, no args 2', () => {
    expect(sh.run('vault write secret/x').status).toBe(1);
    expect(sh.run('vault write secret/x').stderr).toBe('Must supply data or use -force\n');
    expect(sh.run('vault read -bogus x').stderr).toBe('flag provided but not defined: -bogus\n');
    expect(sh.run('vault nosuch').status).toBe(127);
    expect(sh.run('vault').status).toBe(2);
  });

  it('reports an unreachable server as Go does', () => {
    const r = sh.run('vault status', { VAULT_ADDR: 'http://127.0.0.1:1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'Error checking seal status: Get "http://127.0.0.1:1/v1/sys/seal-status": dial tcp 127.0.0.1:1: connect: connection refused\n',
    );
  });
});

describe('vault server config errors', { timeout: 120_000 }, () => {
  it('refuses a bad config naming file and field, exit 1', async () => {
    const s = shell(dir, {});
    s.run(`cat > bad.json <<EOF
{"storage": {"file": {"path": "d"}}, "listener": {"tcp": {"address": "127.0.0.1:0", "tls_min_version": "tls99", "tls_disable": true}}}
EOF`);
    const r = s.run('vault server -config bad.json');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'Error loading configuration from bad.json: bad.json: listener.tcp.tls_min_version: expected one of tls10, tls11, tls12, tls13\n',
    );
  });
});
