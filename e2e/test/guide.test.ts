// The MinIO KMS guide (docs/guide.md#steps) from section 2 to Appendix B, verbatim, in a
// temp dir with our vault, kes and minio first on PATH; each step asserts what the guide says it
// prints or does. Then a Vault outage under a running KES (cached keys serve, KES recovers once
// Vault is unsealed), and the restart story: all three stopped and started again, Vault sealed,
// unsealed, KES re-authenticates, every object reads back byte-identical.
// Filled in, as docs/guide.md#gaps-in-the-guide-text says: the literals the guide copy lost (closing
// braces, EOF lines, TOML table headers, addresses, MINIO_KMS_AUTO_ENCRYPTION=on). Changed for
// parallel test files: free ports instead of 8200/7373/9000 (VAULT_ADDR, KES_SERVER, the KES
// endpoint and `minio server --address` carry them). The guide's `mc cp`/`mc stat` are done with
// the AWS SDK (a real S3 client). Not run: the `sudo setcap cap_ipc_lock=+ep …` lines — our bins
// are Node scripts, on which file capabilities have no effect (vault locks its key arena with the
// root's CAP_IPC_LOCK here; kes cannot lock memory in a Node process: see the apps' READMEs).
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  freePort,
  killAll,
  type Proc,
  type ShellResult,
  s3Client,
  sh,
  shOk,
  startProc,
  tempDir,
} from './chain-support.js';
import { guideVaultSetup, makeGuideCert, writeGuideVaultConfig } from './guide-text.js';

// xxd (Appendix B's key generator) comes with vim on Debian, not with a minimal image.
const hasXxd = spawnSync('xxd', ['-v'], { encoding: 'utf8' }).status === 0;
if (!hasXxd) console.warn('guide.test: xxd is not installed; the Appendix B key-generation step is skipped');

let dir: string;
const env: Record<string, string> = {};
let ports: { vault: number; kes: number; minio: number; minio2: number };
let vault: Proc | undefined;
let kes: Proc | undefined;
let minio: Proc | undefined;
let s3: S3Client | undefined;
const unsealKeys: string[] = [];
let identity = '';
const objects = new Map<string, Buffer>();

const run = (cmd: string, extra?: Record<string, string>): ShellResult => sh(dir, cmd, { ...env, ...extra });
const ok = (cmd: string, extra?: Record<string, string>): string => shOk(dir, cmd, { ...env, ...extra });
/** Starts a guide command in the background (`exec` so signals reach the server itself). */
const background = (cmd: string, extra: Record<string, string> = {}): Proc =>
  startProc('bash', ['-c', `exec ${cmd}`], { cwd: dir, env: { HOME: dir, ...env, ...extra } });

beforeAll(async () => {
  dir = await tempDir('kms-guide-');
  ports = {
    vault: await freePort(),
    kes: await freePort(),
    minio: await freePort(),
    minio2: await freePort(),
  };
});

afterAll(async () => {
  s3?.destroy();
  await killAll();
  await rm(dir, { recursive: true, force: true });
});

async function startVault(): Promise<void> {
  vault = background('vault server -config vault-config.json');
  await vault.waitFor(/==> Vault server started!/);
}

async function startKes(): Promise<void> {
  kes = background('kes server --config=kes-config.toml --mlock --root=disabled --mtls-auth=ignore');
  await kes.waitFor(/Endpoint/);
}

const MINIO_ENV = (): Record<string, string> => ({
  MINIO_KMS_KES_ENDPOINT: `https://localhost:${ports.kes}`,
  MINIO_KMS_KES_KEY_FILE: 'minio.key',
  MINIO_KMS_KES_CERT_FILE: 'minio.cert',
  MINIO_KMS_KES_KEY_NAME: 'minio-key-1',
  MINIO_KMS_KES_CAPATH: 'kes-tls.crt',
  MINIO_KMS_AUTO_ENCRYPTION: 'on',
  MINIO_ACCESS_KEY: 'minio',
  MINIO_SECRET_KEY: 'minio123',
});

async function startMinio(): Promise<void> {
  minio = background(`minio server ~/export --address 127.0.0.1:${ports.minio}`, MINIO_ENV());
  await minio.waitFor(/API: http:\/\/127\.0\.0\.1:\d+/);
}

/** Runs `fn` against a second `minio server ~/<exportDir>` (no KES) started with `extra`, then stops it. */
async function withOtherMinio(
  exportDir: string,
  extra: Record<string, string>,
  fn: (client: S3Client) => Promise<void>,
): Promise<void> {
  const other = background(`minio server ~/${exportDir} --address 127.0.0.1:${ports.minio2}`, {
    ...extra,
    MINIO_ACCESS_KEY: 'minio',
    MINIO_SECRET_KEY: 'minio123',
  });
  await other.waitFor(/API: http:\/\/127\.0\.0\.1:\d+/);
  const client = s3Client(`http://127.0.0.1:${ports.minio2}`, 'minio', 'minio123');
  try {
    await fn(client);
  } finally {
    client.destroy();
    await other.stop();
  }
}

async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('KMS guide §2 → Appendix B with our bins', () => {
  it('2.1/2.2 generates the Vault and KES certificates with openssl', () => {
    for (const name of ['vault', 'kes']) {
      makeGuideCert(ok, name);
      expect(ok(`openssl x509 -in ${name}-tls.crt -noout -subject`)).toContain('CN = localhost');
    }
  });

  it('3 writes vault-config.json and starts `vault server -config vault-config.json`', async () => {
    writeGuideVaultConfig(ok, ports.vault);
    await startVault();
    expect(vault!.out()).toContain('Storage: file');
  });

  it('3.1 `vault operator init` prints 5 unseal key shares, the root token and the threshold 3', () => {
    env['VAULT_ADDR'] = `https://127.0.0.1:${ports.vault}`;
    env['VAULT_SKIP_VERIFY'] = 'true';
    const out = ok('vault operator init');
    for (const m of out.matchAll(/^Unseal Key (\d): (\S+)$/gm)) unsealKeys.push(m[2]!);
    expect(unsealKeys).toHaveLength(5);
    const root = /^Initial Root Token: (\S+)$/m.exec(out);
    expect(root).not.toBeNull();
    expect(out).toContain('Vault initialized with 5 key shares and a key threshold of 3.');
    env['VAULT_TOKEN'] = root![1]!;
  });

  it('3.1 unseals with three of the shares; Vault is then unsealed', () => {
    expect(ok(`vault operator unseal ${unsealKeys[0]}`)).toContain('Unseal Progress    1/3');
    expect(ok(`vault operator unseal ${unsealKeys[1]}`)).toContain('Unseal Progress    2/3');
    expect(ok(`vault operator unseal ${unsealKeys[2]}`)).toMatch(/^Sealed +false$/m);
  });

  it('3.2–3.5 kv, approle, the policy, the role, role-id and secret-id', () => {
    guideVaultSetup(ok);
    const roleId = /^role_id +(\S+)$/m.exec(ok('vault read auth/approle/role/kes-role/role-id '));
    expect(roleId?.[1]).toMatch(/^[0-9a-f-]{36}$/);
    const secretOut = ok('vault write -f auth/approle/role/kes-role/secret-id');
    const secretId = /^secret_id +(\S+)$/m.exec(secretOut);
    expect(secretId?.[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(secretOut).toMatch(/^secret_id_accessor +\S+$/m);
    env['ROLE_ID'] = roleId![1]!;
    env['SECRET_ID'] = secretId![1]!;
  });

  it('4.1 `kes tool identity new MinIO` writes minio.key/minio.cert; `identity of` prints its identity', async () => {
    ok('kes tool identity new MinIO --key=minio.key --cert=minio.cert --time=8760h');
    expect(ok('openssl x509 -in minio.cert -noout -subject')).toContain('CN = MinIO');
    const out = ok('kes tool identity of minio.cert');
    // On a terminal KES prints `Identity: <hex>` as the guide shows; piped (as here) just the hex.
    const m = /^(?:Identity:\s+)?([0-9a-f]{64})$/.exec(out.trim());
    expect(m, out).not.toBeNull();
    identity = m![1]!;
    // The identity is the SHA-256 of the certificate's public key (DER SubjectPublicKeyInfo).
    const spki = ok(
      'openssl x509 -in minio.cert -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum',
    );
    expect(spki.split(' ')[0]).toBe(identity);
    expect(await readFile(join(dir, 'minio.key'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('4.2 writes kes-config.toml and starts `kes server --config=kes-config.toml --mlock --root=disabled --mtls-auth=ignore`', async () => {
    ok(`cat > kes-config.toml <<EOF
# The address:port of the kes server - i.e. on the local machine.
address = "0.0.0.0:${ports.kes}"

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
address   = "https://127.0.0.1:${ports.vault}"  # The Vault endpoint - i.e.
name      = "minio"                   # The domain resp. prefix at Vault's K/V backend 

[keystore.vault.approle]
id     = "${env['ROLE_ID']}"    # Your AppRole Role ID 
secret = "${env['SECRET_ID']}"    # Your AppRole Secret ID
retry  = "15s" # Duration until the server tries to re-authenticate after connection loss.

[keystore.vault.tls]
ca = "./vault-tls.crt" # Since we use self-signed certificates

[keystore.vault.status]
ping = "10s"
EOF`);
    await startKes();
    // --mlock: our kes cannot lock memory in a Node process and says so (apps/kes/README.md).
    expect(kes!.out()).toContain('WARNING: --mlock: memory locking is not supported by this KES build');
    env['KES_SERVER'] = `https://127.0.0.1:${ports.kes}`;
  });

  it('4.3 as MinIO, `kes key create minio-key-1 -k` succeeds; `my-key-1` is prohibited by policy', () => {
    env['KES_CLIENT_TLS_KEY_FILE'] = 'minio.key';
    env['KES_CLIENT_TLS_CERT_FILE'] = 'minio.cert';
    const created = run('kes key create minio-key-1 -k');
    expect([created.status, created.stderr]).toEqual([0, '']);
    const refused = run('kes key create my-key-1 -k');
    expect([refused.status, refused.stderr]).toEqual([
      1,
      'Error: failed to create key "my-key-1": prohibited by policy\n',
    ]);
    // The master key is in Vault's K/V backend under the `minio` prefix the config names, as KES
    // stores it: 32 key bytes and the identity that created it.
    expect(ok('vault list kv/minio')).toContain('minio-key-1');
    const stored = JSON.parse(ok('vault read -format=json kv/minio/minio-key-1'));
    const value = JSON.parse(stored.data['minio-key-1']);
    expect(Buffer.from(value.bytes, 'base64')).toHaveLength(32);
    expect(value.created_by).toBe(identity);
  });

  it('5 exports MINIO_KMS_KES_* and auto-encryption, starts `minio server ~/export`, serves S3', async () => {
    await startMinio();
    expect(minio!.out()).toContain('RootUser: minio');
    s3 = s3Client(`http://127.0.0.1:${ports.minio}`, 'minio', 'minio123');
    await s3.send(new CreateBucketCommand({ Bucket: 'crypt' }));
    const body = Buffer.from('hello');
    await s3.send(new PutObjectCommand({ Bucket: 'crypt', Key: 'test.file', Body: body }));
    objects.set('test.file', body);
    expect((await getBytes(s3, 'crypt', 'test.file')).equals(body)).toBe(true);
  });

  it('Appendix A: a PUT without encryption headers comes back encrypted (mc stat)', async () => {
    const head = await s3!.send(new HeadObjectCommand({ Bucket: 'crypt', Key: 'test.file' }));
    // The guide's `mc stat` shows AES256; MinIO since PR #12295 (2021) injects SSE-KMS with the
    // default key for auto-encryption, so the header reads aws:kms (docs/minio-sse.md#default-encryption).
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain('minio-key-1');
    // Encrypted at rest: the plaintext is nowhere under the export dir.
    const secret = `plaintext-marker-${Date.now()}`;
    await s3!.send(new PutObjectCommand({ Bucket: 'crypt', Key: 'marker.txt', Body: secret }));
    objects.set('marker.txt', Buffer.from(secret));
    expect(run(`grep -rl ${secret} export; echo rc=$?`).stdout.trim()).toBe('rc=1');
    expect((await getBytes(s3!, 'crypt', 'marker.txt')).toString()).toBe(secret);
  });

  it.skipIf(!hasXxd)(
    `Appendix B: \`head -c 32 /dev/urandom | xxd -c 32 -ps\` makes a 256-bit hex master key${hasXxd ? '' : ' — skipped: xxd is not installed'}`,
    () => {
      expect(ok('head -c 32 /dev/urandom | xxd -c 32 -ps')).toMatch(/^[0-9a-f]{64}\n$/);
    },
  );

  it('Appendix B: a second object store with MINIO_KMS_MASTER_KEY encrypts objects', async () => {
    const env = {
      MINIO_KMS_MASTER_KEY: 'minio-demo-key:6368616e676520746869732070617373776f726420746f206120736563726574',
      MINIO_KMS_AUTO_ENCRYPTION: 'on',
    };
    await withOtherMinio('export2', env, async (client) => {
      await client.send(new CreateBucketCommand({ Bucket: 'static' }));
      const secret = `static-key-marker-${Date.now()}`;
      await client.send(
        new PutObjectCommand({
          Bucket: 'static',
          Key: 'a.txt',
          Body: secret,
          ServerSideEncryption: 'AES256',
        }),
      );
      const head = await client.send(new HeadObjectCommand({ Bucket: 'static', Key: 'a.txt' }));
      expect(head.ServerSideEncryption).toBe('AES256');
      expect(run(`grep -rl ${secret} export2; echo rc=$?`).stdout.trim()).toBe('rc=1');
      expect((await getBytes(client, 'static', 'a.txt')).toString()).toBe(secret);
    });
  });

  it("Appendix B: MINIO_KMS_MASTER_KEY_FILE names the key in a file (the guide's Docker secret)", async () => {
    // `docker secret create` needs a swarm; the secret is the file the echo writes, found by its name.
    ok(
      'echo "my-minio-key:6368616e676520746869732070617373776f726420746f206120736563726574" > my_kms_master_key',
    );
    await withOtherMinio('export3', { MINIO_KMS_MASTER_KEY_FILE: 'my_kms_master_key' }, async (client) => {
      await client.send(new CreateBucketCommand({ Bucket: 'secret' }));
      await client.send(
        new PutObjectCommand({
          Bucket: 'secret',
          Key: 'b.txt',
          Body: 'from a file key',
          ServerSideEncryption: 'AES256',
        }),
      );
      const head = await client.send(new HeadObjectCommand({ Bucket: 'secret', Key: 'b.txt' }));
      expect(head.ServerSideEncryption).toBe('AES256');
      expect((await getBytes(client, 'secret', 'b.txt')).toString()).toBe('from a file key');
    });
  });
});

describe('Vault outage while KES keeps running', () => {
  it('cached keys serve, uncached ones fail; after restart + unseal KES recovers without a restart', async () => {
    const dek = JSON.parse(ok('kes key dek minio-key-1 -k'));
    await vault!.stop();
    const dec = JSON.parse(ok(`kes key decrypt minio-key-1 ${dek.ciphertext} -k`));
    expect(dec.plaintext).toBe(dek.plaintext);
    const down = run('kes key create minio-key-2 -k');
    expect([down.status, down.stderr]).toEqual([
      1,
      'Error: failed to create key "minio-key-2": failed to create key\n',
    ]);
    await startVault();
    for (const k of unsealKeys.slice(0, 3)) ok(`vault operator unseal ${k}`);
    await vi.waitFor(() => expect(run('kes key create minio-key-2 -k').status).toBe(0), {
      timeout: 30_000,
      interval: 500,
    });
    expect(JSON.parse(ok('kes key dek minio-key-2 -k')).plaintext).toBeTruthy();
  }, 60_000);
});

describe('restart: all three stopped and started again', () => {
  it('Vault comes up sealed; unsealed, KES re-authenticates and every object reads back byte-identical', async () => {
    await minio!.stop();
    await kes!.stop();
    await vault!.stop();
    await startVault();
    const status = run('vault status');
    expect(status.status).toBe(2);
    expect(status.stdout).toMatch(/^Sealed +true$/m);
    await startKes();
    // Sealed Vault: KES cannot fetch the key it has not cached (fresh process, empty cache).
    expect(run('kes key dek minio-key-1 -k').status).not.toBe(0);
    for (const k of [unsealKeys[3], unsealKeys[4], unsealKeys[0]]) ok(`vault operator unseal ${k}`);
    expect(ok('vault status')).toMatch(/^Sealed +false$/m);
    await vi.waitFor(() => expect(run('kes key dek minio-key-1 -k').status).toBe(0), {
      timeout: 40_000,
      interval: 500,
    });
    await startMinio();
    for (const [key, body] of objects)
      expect((await getBytes(s3!, 'crypt', key)).equals(body), key).toBe(true);
  }, 120_000);
});
