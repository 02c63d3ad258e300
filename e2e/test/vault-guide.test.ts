// Section 3 of the MinIO KMS guide, run verbatim with our `vault` on PATH: certificates, config,
// server, init, unseal ×3, kv, approle, policy, the two role writes, role-id, secret-id. Then what
// KES will do with them: AppRole login, write+read under kv/minio/, 403 elsewhere, and a restart
// that comes back sealed and serves the same data after unsealing.
// The guide's command lines come from guide-text.ts, shared with guide.test.ts.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, type Shell, shell, shOk, startVaultServer, tempDir } from './chain-support.js';
import { guideVaultSetup, makeGuideCert, writeGuideVaultConfig } from './guide-text.js';

let dir: string;
let sh: Shell;
let server: Proc | undefined;
let port: number;

beforeAll(async () => {
  dir = await tempDir('vault-guide-');
  port = await freePort();
  sh = shell(dir, { VAULT_ADDR: `https://127.0.0.1:${port}` });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const unsealKeys: string[] = [];
let rootToken = '';
let roleId = '';
let secretId = '';
let appToken = '';

function ok(cmd: string, env: Record<string, string> = {}): string {
  return shOk(dir, cmd, { ...sh.env, ...env });
}

describe('guide section 3 with our vault', { timeout: 120_000 }, () => {
  it('2.1 generates the Vault TLS certificate with openssl', () => {
    makeGuideCert(ok, 'vault');
  });

  it('3 writes the config and starts the server (banner in Vault shape)', async () => {
    writeGuideVaultConfig(ok, port);
    server = await startVaultServer(dir, ['-config', 'vault-config.json']);
    const banner = server.out();
    expect(banner).toMatch(/^==> Vault server configuration:\n\n/);
    expect(banner).toContain(
      `     Listener 1: tcp (addr: "0.0.0.0:${port}", cluster address: "0.0.0.0:${port + 1}", max_request_duration: "1m30s", max_request_size: "33554432", tls: "enabled")`,
    );
    expect(banner).toContain('        Storage: file\n');
  });

  it('3.1 initializes (5 shares, threshold 3) and prints keys and root token as Vault does', () => {
    sh.env['VAULT_SKIP_VERIFY'] = 'true';
    const out = ok('vault operator init');
    const lines = out.split('\n');
    for (let i = 0; i < 5; i++) {
      const m = new RegExp(`^Unseal Key ${i + 1}: ([A-Za-z0-9+/]{44})$`).exec(lines[i]!);
      expect(m, lines[i]).not.toBeNull();
      unsealKeys.push(m![1]!);
    }
    expect(lines[5]).toBe('');
    const root = /^Initial Root Token: (hvs\.[A-Za-z0-9]{24})$/.exec(lines[6]!);
    expect(root).not.toBeNull();
    rootToken = root![1]!;
    expect(out).toContain(
      'Vault initialized with 5 key shares and a key threshold of 3. Please securely\ndistribute the key shares printed above.',
    );
    expect(out).toContain('See "vault operator rekey" for more information.\n');
  });

  it('3.1 unseals with three of the shares', () => {
    sh.env['VAULT_TOKEN'] = rootToken;
    const first = ok(`vault operator unseal ${unsealKeys[0]}`);
    expect(first).toMatch(/^Key {16}Value\n--- {16}-----\nSeal Type {10}shamir\n/);
    expect(first).toContain('Unseal Progress    1/3\n');
    ok(`vault operator unseal ${unsealKeys[1]}`);
    const last = ok(`vault operator unseal ${unsealKeys[2]}`);
    expect(last).toContain('Sealed          false\n');
    expect(last).toContain('HA Enabled      false');
  });

  it('3.2–3.5 enables kv and approle, uploads the policy, creates the role, reads its IDs', () => {
    guideVaultSetup(ok);
    const roleOut = ok('vault read auth/approle/role/kes-role/role-id ');
    const rid = /^role_id {4}([0-9a-f-]{36})$/m.exec(roleOut);
    expect(roleOut.startsWith('Key        Value\n---        -----\n')).toBe(true);
    roleId = rid![1]!;
    const secretOut = ok('vault write -f auth/approle/role/kes-role/secret-id');
    expect(secretOut).toMatch(/^Key {19}Value\n--- {19}-----\nsecret_id {13}[0-9a-f-]{36}\n/);
    expect(secretOut).toContain('secret_id_num_uses    0\nsecret_id_ttl         0s\n');
    secretId = /^secret_id {13}(\S+)$/m.exec(secretOut)![1]!;
    const role = ok('vault read auth/approle/role/kes-role');
    expect(role).toContain('token_period               5m\n');
    expect(role).toContain('token_policies             [minio-key-policy]\n');
  });

  it('logs in with AppRole as KES does and gets a periodic token with the policy', () => {
    const out = ok(`vault write auth/approle/login role_id=${roleId} secret_id=${secretId}`);
    expect(out).toContain('token_duration          5m\n');
    expect(out).toContain('token_policies          ["default" "minio-key-policy"]\n');
    expect(out).toContain('token_meta_role_name    kes-role');
    appToken = /^token {19}(hvs\.\S+)$/m.exec(out)![1]!;
  });

  it('writes and reads kv/minio/k1 with that token; kv/other/x is 403', () => {
    const env = { VAULT_TOKEN: appToken };
    expect(ok('vault write kv/minio/k1 key=c2VjcmV0LW1hc3Rlci1rZXk=', env)).toBe(
      'Success! Data written to: kv/minio/k1\n',
    );
    expect(ok('vault read kv/minio/k1', env)).toBe(
      'Key                 Value\n---                 -----\nrefresh_interval    168h\nkey                 c2VjcmV0LW1hc3Rlci1rZXk=\n',
    );
    const denied = sh.run('vault write kv/other/x key=nope', env);
    expect(denied.status).toBe(2);
    expect(denied.stderr).toBe(
      `Error writing data to kv/other/x: Error making API request.\n\nURL: PUT https://127.0.0.1:${port}/v1/kv/other/x\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n\n`,
    );
    expect(sh.run('vault read kv/other/x', env).status).toBe(2);
  });

  it('restarts sealed, unseals with other shares and serves the same data', async () => {
    await server!.stop();
    server = await startVaultServer(dir, ['-config', 'vault-config.json']);
    const status = sh.run('vault status');
    expect(status.status).toBe(2);
    expect(status.stdout).toContain('Sealed             true\n');
    const sealed = sh.run('vault read kv/minio/k1', { VAULT_TOKEN: appToken });
    expect(sealed.status).toBe(2);
    expect(sealed.stderr).toContain('Code: 503. Errors:\n\n* Vault is sealed');
    for (const k of [unsealKeys[4], unsealKeys[3], unsealKeys[1]]) ok(`vault operator unseal ${k}`);
    expect(ok('vault status')).toContain('Sealed          false\n');
    expect(ok('vault read -field=key kv/minio/k1', { VAULT_TOKEN: appToken })).toBe(
      'c2VjcmV0LW1hc3Rlci1rZXk=',
    );
  });

  it('verifies the guide certificate with VAULT_CACERT instead of VAULT_SKIP_VERIFY', () => {
    const strict = { VAULT_SKIP_VERIFY: '', VAULT_CACERT: 'vault-tls.crt' };
    // The guide's certificate names only CN=localhost (no SAN), so 127.0.0.1 does not match it...
    const mismatch = sh.run('vault status', strict);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toContain('tls: failed to verify certificate: x509: ');
    // ...but the server name localhost does.
    expect(sh.run('vault status', { ...strict, VAULT_TLS_SERVER_NAME: 'localhost' }).status).toBe(0);
    const unknown = sh.run('vault status', { VAULT_SKIP_VERIFY: '' });
    expect(unknown.stderr).toContain('x509: certificate signed by unknown authority');
  });

  it('left no secret, token or policy text in plaintext under vault/file', () => {
    const grep = sh.run(
      `grep -rl -e c2VjcmV0LW1hc3Rlci1rZXk -e ${rootToken} -e ${appToken} -e ${secretId} -e capabilities -e minio-key-policy vault/file; echo "rc=$?"`,
    );
    expect(grep.stdout.trim()).toBe('rc=1');
    const perms = sh.run(
      'find vault/file -type f ! -perm 600 | head -3; find vault/file -type d ! -perm 700 | head -3',
    );
    expect(perms.stdout.trim()).toBe('');
  });
});
