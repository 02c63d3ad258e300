// Section 4 of the MinIO KMS guide, verbatim, with our `kes` and our `vault` bins on PATH (after
// sections 2 and 3 set Vault up). Only what the guide copy lost or what parallel tests need is
// filled in: the TOML table headers and paths (DESIGN.md), free ports instead of 8200/7373, and
// KES_SERVER for the client (the guide relies on the default 127.0.0.1:7373).
// Then the outage story: Vault stopped → cached keys serve, uncached → 502; Vault restarted (sealed)
// and unsealed → KES recovers without a restart.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildKes, removeKesBuild } from './helpers/build.js';

const root = join(import.meta.dirname, '..', '..', '..');
// `vault` from the workspace's bins; `kes` from a private build of this tree (helpers/build.ts).
let binDir = join(root, 'node_modules', '.bin');
let dir: string;
let vaultPort: number;
let kesPort: number;
let env: Record<string, string>;
const procs: ChildProcess[] = [];
let vault: { child: ChildProcess; out: () => string } | undefined;
let kes: { child: ChildProcess; out: () => string } | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function run(
  cmd: string,
  extra: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', cmd], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, HOME: dir, PATH: `${binDir}:${process.env.PATH}`, ...env, ...extra },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, extra?: Record<string, string>): string {
  const r = run(cmd, extra);
  if (r.status !== 0) throw new Error(`${cmd} → exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function background(cmd: string, ready: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn('bash', ['-c', `exec ${cmd}`], {
    cwd: dir,
    env: { ...process.env, HOME: dir, PATH: `${binDir}:${process.env.PATH}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (ready.test(out)) {
        clearInterval(timer);
        resolve({ child, out: () => out });
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${cmd} exited ${code}:\n${out}`));
    });
  });
}

async function stop(p: { child: ChildProcess } | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.removeAllListeners('exit');
  const done = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await done;
}

const unsealKeys: string[] = [];

beforeAll(async () => {
  binDir = `${(await buildKes()).binDir}:${binDir}`;
  dir = await mkdtemp(join(tmpdir(), 'kes-guide-'));
  vaultPort = await freePort();
  kesPort = await freePort();
  env = { VAULT_ADDR: `https://127.0.0.1:${vaultPort}`, VAULT_SKIP_VERIFY: 'true' };
}, 120_000);

afterAll(async () => {
  await stop(kes);
  await stop(vault);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
  await removeKesBuild();
});

async function startVault(): Promise<void> {
  vault = await background('vault server -config vault-config.json', /==> Vault server started!/);
}

function unseal(): void {
  for (const k of unsealKeys.slice(0, 3)) ok(`vault operator unseal ${k}`);
}

describe('guide sections 2–3 (set-up with our vault)', () => {
  it('creates the certificates and a running, unsealed, configured Vault', async () => {
    ok('openssl ecparam -genkey -name prime256v1 | openssl ec -out vault-tls.key');
    ok(
      'openssl req -new -x509 -days 365 -key vault-tls.key -out vault-tls.crt -subj "/C=US/ST=state/L=location/O=organization/CN=localhost"',
    );
    ok('openssl ecparam -genkey -name prime256v1 | openssl ec -out kes-tls.key');
    ok(
      'openssl req -new -x509 -days 365 -key kes-tls.key -out kes-tls.crt -subj "/C=US/ST=state/L=location/O=organization/CN=localhost"',
    );
    ok(`cat > vault-config.json <<EOF
{
  "api_addr": "https://127.0.0.1:${vaultPort}",
  "backend": {
    "file": {
      "path": "vault/file"
    }
  },
  "default_lease_ttl": "168h",
  "max_lease_ttl": "720h",
  "listener": {
    "tcp": {
      "address": "127.0.0.1:${vaultPort}",
      "tls_cert_file": "vault-tls.crt",
      "tls_key_file": "vault-tls.key",
      "tls_min_version": "tls12"
    }
  }
}
EOF`);
    await startVault();
    const init = ok('vault operator init');
    for (const m of init.matchAll(/^Unseal Key \d+: (\S+)$/gm)) unsealKeys.push(m[1]!);
    env.VAULT_TOKEN = /^Initial Root Token: (\S+)$/m.exec(init)![1]!;
    unseal();
    ok('vault secrets enable kv');
    ok('vault auth enable approle');
    ok(`cat > minio-kes-policy.hcl <<EOF
path "kv/minio/*" {
  capabilities = [ "create", "read", "delete" ]
}
EOF`);
    ok('vault policy write minio-key-policy ./minio-kes-policy.hcl');
    ok('vault write auth/approle/role/kes-role token_num_uses=0  secret_id_num_uses=0  period=5m');
    ok('vault write auth/approle/role/kes-role policies=minio-key-policy');
    env.ROLE_ID = /^role_id\s+(\S+)$/m.exec(ok('vault read auth/approle/role/kes-role/role-id '))![1]!;
    env.SECRET_ID = /^secret_id\s+(\S+)$/m.exec(
      ok('vault write -f auth/approle/role/kes-role/secret-id'),
    )![1]!;
  });
});

describe('guide section 4 with our kes', () => {
  let identity = '';

  it('4.1 creates the MinIO identity and prints it', () => {
    ok('kes tool identity new MinIO --key=minio.key --cert=minio.cert --time=8760h');
    const out = ok('kes tool identity of minio.cert');
    identity = out.trim().replace(/^Identity:\s*/, '');
    expect(identity).toMatch(/^[0-9a-f]{64}$/);
  });

  it('4.2 writes the TOML config and starts the server with the guide flags', async () => {
    ok(`cat > kes-config.toml <<EOF
# The address:port of the kes server - i.e. on the local machine.
address = "0.0.0.0:${kesPort}"

[tls]
key  = "./kes-tls.key"
cert = "./kes-tls.crt" 

[policy.minio]
paths = [ "/v1/key/create/minio-*", "/v1/key/generate/minio-*", "/v1/key/decrypt/minio-*" ]
identities = [ "${identity}" ]

[cache.expiry]
all    = "5m" 
unused = "20s" 

[keystore.vault]
address   = "https://127.0.0.1:${vaultPort}"  # The Vault endpoint - i.e.
name      = "minio"                   # The domain resp. prefix at Vault's K/V backend 

[keystore.vault.approle]
id     = "${env.ROLE_ID}"    # Your AppRole Role ID 
secret = "${env.SECRET_ID}"    # Your AppRole Secret ID
retry  = "15s" # Duration until the server tries to re-authenticate after connection loss.

[keystore.vault.tls]
ca = "./vault-tls.crt" # Since we use self-signed certificates

[keystore.vault.status]
ping = "10s"
EOF`);
    kes = await background(
      'kes server --config=kes-config.toml --mlock --root=disabled --mtls-auth=ignore',
      /Endpoint/,
    );
    expect(kes.out()).toContain('WARNING: --mlock: memory locking is not supported by this KES build');
    env.KES_SERVER = `https://127.0.0.1:${kesPort}`;
  });

  it('4.3 kes key create minio-key-1 -k succeeds as MinIO and lands at kv/minio/minio-key-1', () => {
    env.KES_CLIENT_TLS_KEY_FILE = 'minio.key';
    env.KES_CLIENT_TLS_CERT_FILE = 'minio.cert';
    const r = run('kes key create minio-key-1 -k');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    const stored = ok('vault read -format=json kv/minio/minio-key-1');
    const value = JSON.parse(JSON.parse(stored).data['minio-key-1']);
    expect(Buffer.from(value.bytes, 'base64')).toHaveLength(32);
    expect(value.created_by).toBe(identity);
  });

  it('4.3 kes key create my-key-1 -k fails with "prohibited by policy" and exit 1', () => {
    const r = run('kes key create my-key-1 -k');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: failed to create key "my-key-1": prohibited by policy\n');
  });

  it('MinIO-style data keys survive a Vault outage and KES recovers after restart + unseal', async () => {
    const dek = JSON.parse(ok('kes key dek minio-key-1 -k'));
    await stop(vault);
    const dec = JSON.parse(ok(`kes key decrypt minio-key-1 ${dek.ciphertext} -k`));
    expect(dec.plaintext).toBe(dek.plaintext);
    const down = run('kes key create minio-key-2 -k');
    expect([down.status, down.stderr]).toEqual([
      1,
      'Error: failed to create key "minio-key-2": failed to create key\n',
    ]);
    await startVault();
    unseal();
    await vi.waitFor(() => expect(run('kes key create minio-key-2 -k').status).toBe(0), {
      timeout: 30_000,
      interval: 500,
    });
    expect(JSON.parse(ok('kes key dek minio-key-2 -k')).plaintext).toBeTruthy();
    expect(await readFile(join(dir, 'minio.key'), 'utf8')).toContain('PRIVATE KEY');
  }, 60_000);
});
