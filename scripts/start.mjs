// `npm start`: the chain (minio → kes → vault) on loopback with TLS, set up as the MinIO KMS guide
// does on the first run and reused afterwards. Everything lives under .data/ (or
// $KMS_CHAIN_DATA_DIR): a dev PKI, Vault's file storage, the KES config, the object store.
// Ports: $KMS_CHAIN_VAULT_PORT (8200), $KMS_CHAIN_KES_PORT (7373), $KMS_CHAIN_MINIO_PORT (9000).
// Ctrl-C / SIGTERM stops minio, kes and vault in that order.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  chainKesConfigToml,
  chainMinioEnv,
  configureVaultForKes,
  createKesKey,
  initAndUnseal,
  KEY_NAME,
  prepareChainMinio,
  writePrivateJson,
} from './lib/guide-setup.mjs';
import { waitForHttps } from './lib/https-json.mjs';

const env = process.env;
const root = resolve(import.meta.dirname, '..');
const binDir = join(root, 'node_modules', '.bin');
const data = resolve(env['KMS_CHAIN_DATA_DIR'] || join(root, '.data'));
const host = '127.0.0.1';
const port = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name}: expected a TCP port, got "${v}"`);
  return n;
};
const ports = {
  vault: port('KMS_CHAIN_VAULT_PORT', 8200),
  kes: port('KMS_CHAIN_KES_PORT', 7373),
  minio: port('KMS_CHAIN_MINIO_PORT', 9000),
};
const urls = {
  vault: `https://${host}:${ports.vault}`,
  kes: `https://${host}:${ports.kes}`,
  minio: `https://${host}:${ports.minio}`,
};

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

/** Builds the workspaces when a dist the chain runs from is missing (a clone without `npm install`). */
function buildIfNeeded() {
  // Every package (the apps and these scripts import them built), then the three apps.
  const needed = [
    ...readdirSync(join(root, 'packages')).map((name) => join('packages', name, 'dist', 'index.js')),
    'apps/vault/dist/cli.js',
    'apps/kes/dist/cli.js',
    'apps/minio/dist/cli.js',
  ];
  if (needed.every((f) => existsSync(join(root, f)))) return;
  say('npm start: building the workspaces (first run) …');
  const run = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) fail('the build failed; run `npm install` first');
}

/** @type {Map<string, { child: import('node:child_process').ChildProcess, log: string }>} */
const procs = new Map();
let stopping = false;

function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

function tail(path, lines = 15) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function startProcess(name, args, env = {}) {
  const log = join(data, 'logs', `${name}.log`);
  const fd = openSync(log, 'a', 0o600);
  const child = spawn(join(binDir, name), args, {
    cwd: data,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  procs.set(name, { child, log });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(
      `npm start: ${name} exited unexpectedly (${signal ?? `code ${code}`}); last lines of ${log}:\n${tail(log)}\n`,
    );
    void stopAll(1);
  });
  child.on('error', (err) => {
    if (stopping) return;
    process.stderr.write(`npm start: cannot run ${name}: ${err.message}\n`);
    void stopAll(1);
  });
  return child;
}

async function stopOne(name) {
  const p = procs.get(name);
  if (!p || !isRunning(p.child)) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (isRunning(p.child)) p.child.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const name of ['minio', 'kes', 'vault']) await stopOne(name);
  say(code === 0 ? 'kms-chain: stopped minio, kes and vault.' : 'kms-chain: stopped.');
  process.exit(code);
}

async function waitUp(name, url, tls) {
  const child = procs.get(name).child;
  try {
    await waitForHttps(url, { tls, timeoutMs: 60_000, isDead: () => !isRunning(child) });
  } catch (err) {
    if (stopping) return new Promise(() => {});
    process.stderr.write(
      `npm start: ${name} did not come up: ${err.message}; see ${procs.get(name).log}:\n${tail(procs.get(name).log)}\n`,
    );
    await stopAll(1);
  }
}

/** MinIO credentials: the environment's, else a random secret made on the first run and kept 0600. */
async function minioCredentials() {
  if (env['MINIO_ROOT_USER'] && env['MINIO_ROOT_PASSWORD'])
    return { accessKey: env['MINIO_ROOT_USER'], secretKey: env['MINIO_ROOT_PASSWORD'] };
  const file = join(data, 'minio', 'credentials.json');
  try {
    const c = JSON.parse(await readFile(file, 'utf8'));
    return { accessKey: c.access_key, secretKey: c.secret_key };
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const c = { access_key: 'minio', secret_key: randomBytes(18).toString('base64url') };
  await writePrivateJson(file, c);
  return { accessKey: c.access_key, secretKey: c.secret_key };
}

/** Whether this minio build reads the MINIO_KMS_KES_* variables (issue 6). */
function minioHasKes() {
  const help = spawnSync(join(binDir, 'minio'), ['server', '--help'], { encoding: 'utf8' });
  return `${help.stdout}${help.stderr}`.includes('MINIO_KMS_KES_ENDPOINT');
}

async function main() {
  buildIfNeeded();
  const { createDevPki } = await import('@kms-chain/tls-identity');
  for (const dir of ['', 'vault', 'kes', 'minio', 'minio/certs', 'minio/export', 'logs'])
    await mkdir(join(data, dir), { recursive: true, mode: 0o700 });

  const pki = await createDevPki(join(data, 'pki'), { clients: ['minio'] });
  const ca = pki.ca.certPem;
  const minioTls = { ca, cert: pki.clients.minio.certPem, key: pki.clients.minio.keyPem };

  // Vault (guide §3): file storage, TLS listener on loopback.
  const vaultConfig = join(data, 'vault', 'vault-config.json');
  await writeFile(
    vaultConfig,
    `${JSON.stringify(
      {
        api_addr: urls.vault,
        backend: { file: { path: join(data, 'vault', 'file') } },
        default_lease_ttl: '168h',
        max_lease_ttl: '720h',
        // vault would refuse to start where it cannot lock its key arena (no CAP_IPC_LOCK, small
        // RLIMIT_MEMLOCK); the dev chain runs on such machines too (apps/vault/README.md).
        disable_mlock: true,
        listener: {
          tcp: {
            address: `${host}:${ports.vault}`,
            tls_cert_file: pki.server.certPath,
            tls_key_file: pki.server.keyPath,
            tls_min_version: 'tls12',
          },
        },
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  startProcess('vault', ['server', '-config', vaultConfig]);
  await waitUp('vault', `${urls.vault}/v1/sys/health`, { ca });
  const shareFile = join(data, 'DEV-ONLY-vault-unseal-keys.json');
  const { rootToken, initializedNow } = await initAndUnseal(urls.vault, ca, shareFile);
  if (initializedNow)
    say(`vault: initialised (5 shares, threshold 3); shares kept in ${shareFile} (DEV ONLY)`);
  else say(`vault: unsealed with the DEV-ONLY shares in ${shareFile}`);

  // AppRole for KES (guide §3.2–3.5), once; the role and secret IDs are kept 0600.
  const approleFile = join(data, 'kes', 'approle.json');
  let approle;
  try {
    approle = JSON.parse(await readFile(approleFile, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    approle = await configureVaultForKes(urls.vault, ca, rootToken);
    await writePrivateJson(approleFile, approle);
    say('vault: kv and approle enabled, policy minio-key-policy and role kes-role written');
  }

  // KES (guide §4): the TOML config, verifying MinIO's client certificate against the dev CA.
  const kesConfig = join(data, 'kes', 'kes-config.toml');
  await writeFile(
    kesConfig,
    chainKesConfigToml(pki, { address: `${host}:${ports.kes}`, vaultAddr: urls.vault, approle }),
    { mode: 0o600 },
  );
  startProcess('kes', ['server', `--config=${kesConfig}`, '--root=disabled', '--mtls-auth=verify']);
  await waitUp('kes', `${urls.kes}/version`, minioTls);
  if (await createKesKey(urls.kes, minioTls, KEY_NAME)) say(`kes: created master key ${KEY_NAME}`);

  // MinIO (guide §5 and Appendix A).
  const minioArgs = await prepareChainMinio(pki, data, `${host}:${ports.minio}`);
  const creds = await minioCredentials();
  const hasKes = minioHasKes();
  startProcess('minio', minioArgs, chainMinioEnv(pki, { kesUrl: urls.kes, ...creds, autoEncryption: true }));
  await waitUp('minio', `${urls.minio}/minio/health/live`, { ca });

  say('');
  say('kms-chain is running (development set-up, loopback only):');
  say(`  S3 endpoint   ${urls.minio}`);
  say(`  Access key    ${creds.accessKey}`);
  say(`  Secret key    ${creds.secretKey}`);
  say(`  CA bundle     ${pki.ca.certPath}`);
  say(`  KES           ${urls.kes}  (master key ${KEY_NAME}, client cert ${pki.clients.minio.certPath})`);
  say(`  Vault         ${urls.vault}  (root token in the DEV-ONLY share file)`);
  say(`  Logs          ${join(data, 'logs')}/{vault,kes,minio}.log`);
  if (hasKes) say('  Encryption    SSE via KES, auto-encryption on (MINIO_KMS_AUTO_ENCRYPTION=on)');
  else
    say(
      '  Encryption    NOT ACTIVE: this minio build does not read MINIO_KMS_KES_* yet (issue 6); objects are stored unencrypted',
    );
  say('');
  say('Try (copy-paste):');
  say(
    `  export AWS_ACCESS_KEY_ID=${creds.accessKey} AWS_SECRET_ACCESS_KEY=${creds.secretKey} AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE=${pki.ca.certPath}`,
  );
  say(
    `  aws --endpoint-url ${urls.minio} s3 mb s3://demo && echo hello | aws --endpoint-url ${urls.minio} s3 cp - s3://demo/hello.txt && aws --endpoint-url ${urls.minio} s3api head-object --bucket demo --key hello.txt`,
  );
  say('');
  say('kms-chain: ready. Press Ctrl-C to stop.');
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Orphaned (npm or the terminal killed without a signal reaching us): stop the chain too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll(0);
}, 1_000).unref();
process.on('exit', () => {
  for (const { child } of procs.values()) if (isRunning(child)) child.kill('SIGKILL');
});

main().catch((err) => {
  process.stderr.write(`npm start: ${err.message}\n`);
  void stopAll(1);
});
