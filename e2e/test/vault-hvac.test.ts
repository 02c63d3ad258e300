// hvac (Debian's python3-hvac 0.11.2, through /usr/bin/python3) drives our `vault` bin over TLS:
// init, unseal, seal status, kv + approle, a JSON policy, role, role-id, secret-id, AppRole login,
// KV v1 write/read/list (the LIST verb), a denied path, KV v2 (patch, cas, versions, metadata),
// tokens (create, lookup, accessor, renew, revoke), secret-id read/destroy, teardown, health, seal;
// a file audit device records all of it, and holds none of the tokens and secrets in the clear.
// hvac is a real client nobody here wrote: what it sends and how it reads replies is the test.
// Skipped, with the reason printed, when `import hvac` fails (CI installs python3-hvac).
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, shOk, startVaultServer, tempDir } from './chain-support.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import hvac'], { encoding: 'utf8' });
const hvacMissing =
  probe.status === 0
    ? ''
    : `${PYTHON} -c 'import hvac' failed: ${(probe.stderr || String(probe.error)).trim()}`;
if (hvacMissing) console.log(`vault-hvac: skipped — ${hvacMissing} (install python3-hvac)`);

// Each step records what hvac returned (or the exception it raised) under its name; the test
// then checks every observation, so one failure shows all the others too.
const SCRIPT = `
import json, os, sys, traceback
import hvac
from hvac import exceptions

addr, ca = os.environ["VAULT_ADDR"], os.environ["VAULT_CACERT"]
obs = {}

def step(name, fn):
    try:
        obs[name] = fn()
    except exceptions.VaultError as e:
        obs[name] = {"raised": type(e).__name__, "errors": getattr(e, "errors", None) or str(e)}
    except Exception as e:
        obs[name] = {"crashed": type(e).__name__, "text": traceback.format_exc()}

client = hvac.Client(url=addr, verify=ca)
step("initialized_before", lambda: client.sys.is_initialized())
init = client.sys.initialize(secret_shares=5, secret_threshold=3)
obs["init"] = {"keys": len(init["keys"]), "keys_base64": len(init["keys_base64"]),
               "root_token_prefix": init["root_token"][:4]}
step("initialized_after", lambda: client.sys.is_initialized())
step("sealed_before", lambda: client.sys.is_sealed())
step("unseal_one", lambda: {k: client.sys.submit_unseal_key(init["keys"][0])[k] for k in ("sealed", "t", "n", "progress")})
step("unseal_reset", lambda: client.sys.submit_unseal_key(reset=True)["progress"])
step("unseal_all", lambda: client.sys.submit_unseal_keys(init["keys_base64"][1:4])["sealed"])
step("seal_status", lambda: {k: client.sys.read_seal_status()[k] for k in ("type", "initialized", "sealed", "t", "n", "progress", "version")})

client.token = init["root_token"]
step("root_authenticated", lambda: client.is_authenticated())
audit_log = os.path.join(os.getcwd(), "audit", "vault_audit.log")
step("audit_enable", lambda: client.sys.enable_audit_device(device_type="file", options={"file_path": audit_log}).status_code)
step("audit_list", lambda: client.sys.list_enabled_audit_devices()["data"]["file/"])
step("enable_kv", lambda: client.sys.enable_secrets_engine(backend_type="kv", path="kv").status_code)
step("enable_kv2", lambda: client.sys.enable_secrets_engine(backend_type="kv", path="kv2", options={"version": "2"}).status_code)
step("enable_approle", lambda: client.sys.enable_auth_method(method_type="approle").status_code)
step("mounts", lambda: sorted(client.sys.list_mounted_secrets_engines()["data"].keys()))
step("auth_methods", lambda: sorted(client.sys.list_auth_methods()["data"].keys()))
policy = {"path": {"kv/app/*": {"capabilities": ["create", "read", "update", "delete", "list"]},
                   "kv2/data/app/*": {"capabilities": ["create", "read", "update"]},
                   "auth/token/renew-self": {"capabilities": ["update"]}}}
step("policy_write", lambda: client.sys.create_or_update_policy(name="app", policy=policy).status_code)
step("policy_list", lambda: client.sys.list_policies()["data"]["policies"])
step("policy_read", lambda: json.loads(client.sys.read_policy(name="app")["data"]["rules"]) == policy)
step("role_write", lambda: client.auth.approle.create_or_update_approle(
    role_name="app-role", token_policies=["app"], token_ttl="10m", token_max_ttl="30m",
    secret_id_num_uses=0, token_num_uses=0).status_code)
step("role_read", lambda: {k: client.auth.approle.read_role(role_name="app-role")["data"][k]
                           for k in ("token_policies", "token_ttl", "token_max_ttl", "bind_secret_id")})
step("role_list", lambda: client.auth.approle.list_roles()["data"]["keys"])
role_id = client.auth.approle.read_role_id(role_name="app-role")["data"]["role_id"]
gen = client.auth.approle.generate_secret_id(role_name="app-role")["data"]
obs["secret_id_fields"] = sorted(gen.keys())
step("secret_id_accessors", lambda: client.auth.approle.list_secret_id_accessors(role_name="app-role")["data"]["keys"] == [gen["secret_id_accessor"]])

app = hvac.Client(url=addr, verify=ca)
step("bad_login", lambda: app.auth.approle.login(role_id=role_id, secret_id="not-the-secret"))
login = app.auth.approle.login(role_id=role_id, secret_id=gen["secret_id"])
obs["login"] = {"policies": login["auth"]["policies"], "lease_duration": login["auth"]["lease_duration"],
                "renewable": login["auth"]["renewable"], "prefix": login["auth"]["client_token"][:4],
                "uses_token": app.token == login["auth"]["client_token"]}
step("app_authenticated", lambda: app.is_authenticated())
step("kv_write", lambda: app.secrets.kv.v1.create_or_update_secret(path="app/k1", secret={"key": "s3cr3t"}, mount_point="kv").status_code)
step("kv_write2", lambda: app.secrets.kv.v1.create_or_update_secret(path="app/k2", secret={"n": 2}, mount_point="kv").status_code)
step("kv_read", lambda: app.secrets.kv.v1.read_secret(path="app/k1", mount_point="kv")["data"])
step("kv_list", lambda: app.secrets.kv.v1.list_secrets(path="app", mount_point="kv")["data"]["keys"])
step("kv_read_missing", lambda: app.secrets.kv.v1.read_secret(path="app/none", mount_point="kv"))
step("kv_denied_write", lambda: app.secrets.kv.v1.create_or_update_secret(path="other/x", secret={"a": "b"}, mount_point="kv"))
step("kv_denied_read", lambda: app.secrets.kv.v1.read_secret(path="other/x", mount_point="kv"))
step("sys_denied", lambda: app.sys.list_policies())
step("kv2_write", lambda: app.secrets.kv.v2.create_or_update_secret(path="app/v", secret={"x": "1"}, mount_point="kv2")["data"]["version"])
step("kv2_write_again", lambda: app.secrets.kv.v2.create_or_update_secret(path="app/v", secret={"x": "2"}, mount_point="kv2")["data"]["version"])
step("kv2_read", lambda: app.secrets.kv.v2.read_secret_version(path="app/v", mount_point="kv2")["data"]["data"])
step("lookup_self", lambda: {k: app.auth.token.lookup_self()["data"][k] for k in ("policies", "path", "display_name", "meta")})
step("renew_self", lambda: app.auth.token.renew_self(increment="5m")["auth"]["lease_duration"])
step("kv_delete", lambda: app.secrets.kv.v1.delete_secret(path="app/k2", mount_point="kv").status_code)
step("kv_list_after", lambda: app.secrets.kv.v1.list_secrets(path="app", mount_point="kv")["data"]["keys"])
# KV v2 beyond read/write, with the root token: patch (read + cas write), cas refusal, list,
# metadata, soft delete, undelete, destroy, delete of all versions.
kv2 = client.secrets.kv.v2
step("kv2_patch", lambda: kv2.patch(path="app/v", secret={"y": "3"}, mount_point="kv2")["data"]["version"])
step("kv2_after_patch", lambda: kv2.read_secret_version(path="app/v", mount_point="kv2")["data"]["data"])
step("kv2_cas_refused", lambda: kv2.create_or_update_secret(path="app/v", secret={"x": "9"}, cas=1, mount_point="kv2"))
step("kv2_list", lambda: kv2.list_secrets(path="app", mount_point="kv2")["data"]["keys"])
step("kv2_metadata", lambda: {k: kv2.read_secret_metadata(path="app/v", mount_point="kv2")["data"][k] for k in ("current_version", "oldest_version")})
step("kv2_delete_latest", lambda: kv2.delete_latest_version_of_secret(path="app/v", mount_point="kv2").status_code)
step("kv2_read_deleted", lambda: kv2.read_secret_version(path="app/v", mount_point="kv2"))
step("kv2_undelete", lambda: kv2.undelete_secret_versions(path="app/v", versions=[3], mount_point="kv2").status_code)
step("kv2_read_undeleted", lambda: kv2.read_secret_version(path="app/v", mount_point="kv2")["data"]["data"])
step("kv2_destroy", lambda: kv2.destroy_secret_versions(path="app/v", versions=[1], mount_point="kv2").status_code)
step("kv2_read_destroyed", lambda: kv2.read_secret_version(path="app/v", version=1, mount_point="kv2"))
step("kv2_delete_all", lambda: kv2.delete_metadata_and_all_versions(path="app/v", mount_point="kv2").status_code)
step("kv2_list_after", lambda: kv2.list_secrets(path="app", mount_point="kv2"))

# Tokens made by root: create with policies and TTL, lookup by id and by accessor, revoke.
made = client.auth.token.create(policies=["app"], ttl="1h", num_uses=0)["auth"]
obs["token_create"] = {"policies": made["policies"], "lease_duration": made["lease_duration"], "prefix": made["client_token"][:4]}
step("token_lookup", lambda: {k: client.auth.token.lookup(made["client_token"])["data"][k] for k in ("policies", "ttl", "path")})
step("token_lookup_accessor", lambda: client.auth.token.lookup_accessor(made["accessor"])["data"]["accessor"] == made["accessor"])
other = hvac.Client(url=addr, verify=ca, token=made["client_token"])
step("token_revoke_self", lambda: other.auth.token.revoke_self().status_code)
step("token_after_revoke", lambda: other.is_authenticated())

# Secret IDs: read by value, destroy, and a login with the destroyed one.
step("secret_id_read", lambda: {k: client.auth.approle.read_secret_id(role_name="app-role", secret_id=gen["secret_id"])["data"][k] for k in ("secret_id_num_uses", "secret_id_accessor")} == {"secret_id_num_uses": 0, "secret_id_accessor": gen["secret_id_accessor"]})
step("secret_id_destroy", lambda: client.auth.approle.destroy_secret_id(role_name="app-role", secret_id=gen["secret_id"]).status_code)
step("login_destroyed", lambda: hvac.Client(url=addr, verify=ca).auth.approle.login(role_id=role_id, secret_id=gen["secret_id"]))

# Tearing down: a policy, a mount.
step("policy_delete", lambda: client.sys.delete_policy(name="app").status_code)
step("policy_list_after", lambda: "app" in client.sys.list_policies()["data"]["policies"])
step("disable_kv2", lambda: client.sys.disable_secrets_engine(path="kv2").status_code)
step("mounts_after", lambda: "kv2/" in client.sys.list_mounted_secrets_engines()["data"])

step("key_term", lambda: client.sys.get_encryption_key_status()["term"])
step("rotate", lambda: client.sys.rotate_encryption_key().status_code)
step("key_term_after", lambda: client.sys.get_encryption_key_status()["term"])
step("audit_hash", lambda: client.sys.calculate_hash(path="file", input_to_hash="s3cr3t")["data"]["hash"])
obs["raw"] = {"root": init["root_token"], "app_token": login["auth"]["client_token"], "secret_id": gen["secret_id"],
              "accessor": login["auth"]["accessor"], "log": audit_log}
step("audit_disable", lambda: client.sys.disable_audit_device(path="file").status_code)
step("audit_list_after", lambda: client.sys.list_enabled_audit_devices()["data"])
step("health", lambda: {k: client.sys.read_health_status(method="GET")[k] for k in ("initialized", "sealed", "standby")})
step("seal", lambda: client.sys.seal().status_code)
step("sealed_after", lambda: client.sys.is_sealed())
step("read_while_sealed", lambda: app.secrets.kv.v1.read_secret(path="app/k1", mount_point="kv"))
print(json.dumps(obs))
`;

let dir: string;
let server: Proc | undefined;
let obs: Record<string, unknown> = {};

beforeAll(async () => {
  if (hvacMissing) return;
  dir = await tempDir('vault-hvac-');
  const port = await freePort();
  // A certificate that names 127.0.0.1, so hvac (requests) verifies it against itself as CA.
  shOk(
    dir,
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -keyout vault.key -out vault.crt -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null',
  );
  await writeFile(
    join(dir, 'vault.hcl'),
    `storage "file" { path = "vault/file" }
listener "tcp" {
  address       = "127.0.0.1:${port}"
  tls_cert_file = "vault.crt"
  tls_key_file  = "vault.key"
}
disable_mlock = true
`,
  );
  server = await startVaultServer(dir, ['-config', 'vault.hcl']);
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, VAULT_ADDR: `https://127.0.0.1:${port}`, VAULT_CACERT: join(dir, 'vault.crt') },
  });
  if (run.status !== 0) throw new Error(`hvac script failed (${run.status}):\n${run.stderr}\n${run.stdout}`);
  obs = JSON.parse(run.stdout.trim().split('\n').pop()!);
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(hvacMissing !== '')('hvac 0.11 against our vault', () => {
  it('init, unseal (one share, reset, then three), seal status', () => {
    expect(obs['initialized_before']).toBe(false);
    expect(obs['init']).toEqual({ keys: 5, keys_base64: 5, root_token_prefix: 'hvs.' });
    expect(obs['initialized_after']).toBe(true);
    expect(obs['sealed_before']).toBe(true);
    expect(obs['unseal_one']).toEqual({ sealed: true, t: 3, n: 5, progress: 1 });
    expect(obs['unseal_reset']).toBe(0);
    expect(obs['unseal_all']).toBe(false);
    expect(obs['seal_status']).toMatchObject({
      type: 'shamir',
      initialized: true,
      sealed: false,
      t: 3,
      n: 5,
      progress: 0,
    });
  });

  it('mounts, auth methods and a JSON policy as hvac writes them', () => {
    expect(obs['root_authenticated']).toBe(true);
    expect(obs['enable_kv']).toBe(204);
    expect(obs['enable_kv2']).toBe(204);
    expect(obs['enable_approle']).toBe(204);
    expect(obs['mounts']).toEqual(expect.arrayContaining(['kv/', 'kv2/', 'sys/', 'cubbyhole/']));
    expect(obs['auth_methods']).toEqual(expect.arrayContaining(['approle/', 'token/']));
    expect(obs['policy_write']).toBe(204);
    expect(obs['policy_list']).toEqual(expect.arrayContaining(['app', 'default', 'root']));
    expect(obs['policy_read']).toBe(true);
  });

  it('AppRole: role, role-id, secret-id, a wrong secret refused, login', () => {
    expect(obs['role_write']).toBe(204);
    expect(obs['role_read']).toEqual({
      token_policies: ['app'],
      token_ttl: 600,
      token_max_ttl: 1800,
      bind_secret_id: true,
    });
    expect(obs['role_list']).toEqual(['app-role']);
    expect(obs['secret_id_fields']).toEqual([
      'secret_id',
      'secret_id_accessor',
      'secret_id_num_uses',
      'secret_id_ttl',
    ]);
    expect(obs['secret_id_accessors']).toBe(true);
    expect(obs['bad_login']).toEqual({ raised: 'InvalidRequest', errors: ['invalid role or secret ID'] });
    expect(obs['login']).toEqual({
      policies: ['app', 'default'],
      lease_duration: 600,
      renewable: true,
      prefix: 'hvs.',
      uses_token: true,
    });
    expect(obs['app_authenticated']).toBe(true);
  });

  it('KV v1 and v2 through the AppRole token; other paths are 403 Forbidden, missing ones 404', () => {
    expect(obs['kv_write']).toBe(204);
    expect(obs['kv_write2']).toBe(204);
    expect(obs['kv_read']).toEqual({ key: 's3cr3t' });
    expect(obs['kv_list']).toEqual(['k1', 'k2']);
    expect(obs['kv_read_missing']).toMatchObject({ raised: 'InvalidPath' });
    expect(obs['kv_denied_write']).toEqual({
      raised: 'Forbidden',
      errors: ['1 error occurred:\n\t* permission denied\n\n'],
    });
    expect(obs['kv_denied_read']).toMatchObject({ raised: 'Forbidden' });
    expect(obs['sys_denied']).toMatchObject({ raised: 'Forbidden' });
    expect(obs['kv2_write']).toBe(1);
    expect(obs['kv2_write_again']).toBe(2);
    expect(obs['kv2_read']).toEqual({ x: '2' });
    expect(obs['kv_delete']).toBe(204);
    expect(obs['kv_list_after']).toEqual(['k1']);
  });

  it('token lookup-self, and renew-self with an increment', () => {
    expect(obs['lookup_self']).toEqual({
      policies: ['app', 'default'],
      path: 'auth/approle/login',
      display_name: 'approle',
      meta: { role_name: 'app-role' },
    });
    expect(obs['renew_self']).toBe(300);
  });

  it('KV v2 patch, cas, list, metadata, delete, undelete, destroy, delete of all versions', () => {
    expect(obs['kv2_patch']).toBe(3);
    expect(obs['kv2_after_patch']).toEqual({ x: '2', y: '3' });
    expect(obs['kv2_cas_refused']).toMatchObject({ raised: 'InvalidRequest' });
    expect(obs['kv2_list']).toEqual(['v']);
    expect(obs['kv2_metadata']).toEqual({ current_version: 3, oldest_version: 0 });
    expect(obs['kv2_delete_latest']).toBe(204);
    expect(obs['kv2_read_deleted']).toMatchObject({ raised: 'InvalidPath' });
    expect(obs['kv2_undelete']).toBe(204);
    expect(obs['kv2_read_undeleted']).toEqual({ x: '2', y: '3' });
    expect(obs['kv2_destroy']).toBe(204);
    expect(obs['kv2_read_destroyed']).toMatchObject({ raised: 'InvalidPath' });
    expect(obs['kv2_delete_all']).toBe(204);
    expect(obs['kv2_list_after']).toMatchObject({ raised: 'InvalidPath' });
  });

  it('tokens created by root: lookup by id and accessor, revoke-self', () => {
    expect(obs['token_create']).toEqual({
      policies: ['app', 'default'],
      lease_duration: 3600,
      prefix: 'hvs.',
    });
    expect(obs['token_lookup']).toEqual({
      policies: ['app', 'default'],
      ttl: 3600,
      path: 'auth/token/create',
    });
    expect(obs['token_lookup_accessor']).toBe(true);
    expect(obs['token_revoke_self']).toBe(204);
    expect(obs['token_after_revoke']).toBe(false);
  });

  it('secret-id read and destroy; the destroyed one no longer logs in', () => {
    expect(obs['secret_id_read']).toBe(true);
    expect(obs['secret_id_destroy']).toBe(204);
    expect(obs['login_destroyed']).toEqual({
      raised: 'InvalidRequest',
      errors: ['invalid role or secret ID'],
    });
  });

  it('policy delete and secrets-engine disable', () => {
    expect(obs['policy_delete']).toBe(204);
    expect(obs['policy_list_after']).toBe(false);
    expect(obs['disable_kv2']).toBe(204);
    expect(obs['mounts_after']).toBe(false);
  });

  it('health, seal, and a sealed vault answering hvac with 503', () => {
    expect(obs['health']).toEqual({ initialized: true, sealed: false, standby: false });
    expect(obs['seal']).toBe(204);
    expect(obs['sealed_after']).toBe(true);
    expect(obs['read_while_sealed']).toEqual({ raised: 'VaultDown', errors: ['Vault is sealed'] });
  });

  it('key status and rotation, the term read at the top level as hvac reads it', () => {
    expect(obs['rotate']).toBe(204);
    expect(obs['key_term_after']).toBe((obs['key_term'] as number) + 1);
  });

  it('a file audit device: enabled, listed, hashed, disabled; its log holds no raw token or secret', async () => {
    const raw = obs['raw'] as Record<string, string>;
    expect(obs['audit_enable']).toBe(204);
    expect(obs['audit_list']).toEqual({
      type: 'file',
      description: '',
      options: { file_path: raw['log'] },
      local: false,
      path: 'file/',
    });
    expect(obs['audit_hash']).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(obs['audit_disable']).toBe(204);
    expect(obs['audit_list_after']).toEqual({});
    const log = await readFile(raw['log']!, 'utf8');
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The kv write (through the AppRole token) is there, its value as the hash sys/audit-hash gave.
    const write = lines.find(
      (e) => e.type === 'request' && e.request.path === 'kv/app/k1' && e.request.operation === 'update',
    );
    expect(write.request.data.key).toBe(obs['audit_hash']);
    expect(write.auth.display_name).toBe('approle');
    expect(
      lines.some((e) => e.type === 'response' && e.request.path === 'auth/approle/login' && e.response.auth),
    ).toBe(true);
    for (const secret of [raw['root'], raw['app_token'], raw['secret_id'], raw['accessor'], 's3cr3t'])
      expect(log.includes(secret!)).toBe(false);
  });
});
