// `npm start`: the chain (minio → kes → vault) on loopback with TLS, set up as the MinIO KMS guide
// does on the first run and reused afterwards. Everything lives under .data/ (or
// $KMS_CHAIN_DATA_DIR): a dev PKI, Vault's file storage, the KES config, the object store, and a
// prometheus.yml that scrapes vault and kes with metrics-only credentials.
// Ports: $KMS_CHAIN_VAULT_PORT (8200), $KMS_CHAIN_KES_PORT (7373), $KMS_CHAIN_MINIO_PORT (9000).
// `npm start -- --ha` (or KMS_CHAIN_HA=1): Vault in HA instead — a 3-member etcd cluster and 3 Vault
// nodes on it (ports 8200, 8202, 8204 from $KMS_CHAIN_VAULT_PORT), initialised through the first and
// unsealed on each, KES listing all three; its own state in .data/ha/ (etcd's data and ports kept
// in .data/ha/etcd/ across runs).
// Ctrl-C / SIGTERM stops minio, kes and vault (and etcd) in that order.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const env = process.env;
const root = resolve(import.meta.dirname, '..');
const binDir = join(root, 'node_modules', '.bin');
const usage = 'usage: npm start [-- --ha]';
const args = process.argv.slice(2);
for (const a of args)
  if (a !== '--ha') {
    process.stderr.write(`npm start: unknown argument ${a}\n${usage}\n`);
    process.exit(2);
  }
const ha = args.includes('--ha') || env['KMS_CHAIN_HA'] === '1';
// An HA chain keeps its own state: its Vault is another Vault (other shares, other storage).
const data = join(resolve(env['KMS_CHAIN_DATA_DIR'] || join(root, '.data')), ha ? 'ha' : '');
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

/** `text` as one shell word: bare when it is only safe characters, else single-quoted. */
function shq(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

/** Builds the workspaces when a dist the chain runs from is missing (a clone without `npm install`). */
function buildIfNeeded() {
  // Every package and tools/ (the apps and this script import them built), then the three apps.
  const needed = [
    ...readdirSync(join(root, 'packages')).map((name) => join('packages', name, 'dist', 'index.js')),
    'tools/dist/index.js',
    'apps/vault/dist/cli.js',
    'apps/kes/dist/cli.js',
    'apps/minio/dist/cli.js',
  ];
  if (needed.every((f) => existsSync(join(root, f)))) return;
  say('npm start: building the workspaces (first run) …');
  const run = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) fail('the build failed; run `npm install` first');
}

/** @type {import('@kms-chain/tools').Chain | undefined} */
let chain;
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await chain?.stop();
  say(
    code !== 0
      ? 'kms-chain: stopped.'
      : `kms-chain: stopped minio, kes${ha ? ', vault and etcd' : ' and vault'}.`,
  );
  process.exit(code);
}

const watched = new Set();

/** After start-up, any server that exits takes the chain down, naming its log. */
function watch(name, proc, log) {
  watched.add(proc);
  void proc.exited.then((status) => {
    if (stopping) return;
    const tail = proc.out().trimEnd().split('\n').slice(-15).join('\n');
    process.stderr.write(
      `npm start: ${name} exited unexpectedly (${typeof status === 'string' ? status : `code ${status}`}); last lines of ${log}:\n${tail}\n`,
    );
    void stopAll(1);
  });
}

/** MinIO credentials: the environment's, else a random secret made on the first run and kept 0600. */
async function minioCredentials() {
  if (env['MINIO_ROOT_USER'] && env['MINIO_ROOT_PASSWORD'])
    return { accessKey: env['MINIO_ROOT_USER'], secretKey: env['MINIO_ROOT_PASSWORD'] };
  const { writePrivateJson } = await import('@kms-chain/tools');
  await mkdir(join(data, 'minio'), { recursive: true, mode: 0o700 });
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
  // Imported once built: the chain launcher and the guide set-up, shared with e2e and bench.
  const { createChain, KEY_NAME, KV_PREFIX } = await import('@kms-chain/tools');
  const creds = await minioCredentials();
  const shareNote = (c) =>
    c.setup.initializedNow
      ? `vault: initialised (5 shares, threshold 3); shares kept in ${c.files.shareFile} (DEV ONLY)`
      : `vault: unsealed with the DEV-ONLY shares in ${c.files.shareFile}`;
  chain = await createChain({
    dir: data,
    credentials: creds,
    ports,
    autoEncryption: true,
    // AppRole for KES (guide §3.2–3.5), once; the role and secret IDs are kept 0600.
    approleFile: join(data, 'kes', 'approle.json'),
    ...(ha ? { ha: {} } : {}),
    onPhase(phase, c) {
      if (phase === 'vault up')
        c.vaults.forEach((v, i) => {
          if (v && !watched.has(v)) watch(i === 0 ? 'vault' : `vault-${i}`, v, c.logOf('vault', i));
        });
      else if (phase === 'kes up') watch('kes', c.kes[0], c.logOf('kes'));
      else if (phase === 'minio up') watch('minio', c.minio, c.logOf('minio'));
      else if (phase === 'kes key created' && c.setup.keyCreatedNow)
        say(`kes: created master key ${KEY_NAME}`);
      else if (phase === 'vault set up') {
        say(shareNote(c));
        if (c.setup.approleCreatedNow)
          say('vault: kv and approle enabled, policy minio-key-policy and role kes-role written');
      }
    },
  });
  if (stopping) return;
  await chain.start();
  const { pki, urls } = chain;
  const hasKes = minioHasKes();

  say('');
  say('kms-chain is running (development set-up, loopback only):');
  say(`  S3 endpoint   ${urls.minio}`);
  say(`  Access key    ${creds.accessKey}`);
  say(`  Secret key    ${creds.secretKey}`);
  say(`  CA bundle     ${pki.ca.certPath}`);
  say(`  KES           ${urls.kes}  (master key ${KEY_NAME}, client cert ${pki.clients['minio'].certPath})`);
  if (ha) {
    const { httpsJson } = await import('@kms-chain/tools');
    for (const [i, url] of chain.vaultUrls.entries()) {
      const health = await httpsJson(`${url}/v1/sys/health`, { ca: pki.ca.certPem }).catch(() => undefined);
      const role = health?.status === 200 ? 'active' : health?.status === 429 ? 'standby' : 'not answering';
      say(`  Vault node ${i}  ${url}  (${role}${i === 0 ? '; root token in the DEV-ONLY share file' : ''})`);
    }
    say(
      `  etcd          ${chain.etcd.address}  (Vault's storage and HA lock; data in ${join(data, 'etcd')})`,
    );
    say(`  Logs          ${join(data, 'logs')}/{vault,vault-1,vault-2,etcd-0,etcd-1,etcd-2,kes,minio}.log`);
  } else {
    say(`  Vault         ${urls.vault}  (root token in the DEV-ONLY share file)`);
    say(`  Logs          ${join(data, 'logs')}/{vault,kes,minio}.log`);
  }
  say(
    `  Audit         ${join(data, 'logs')}/{minio,kes,vault}-audit.log  (one request across them: npm run trace -- <x-amz-request-id>${ha ? ' --ha' : ''})`,
  );
  say(
    `  Prometheus    ${chain.files.prometheusConfig}  (scrape config for vault and kes: prometheus --config.file=<it>; docs/observability.md)`,
  );
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
  // The vault and kes CLIs against this chain. The root token is not printed (this output may end
  // up in a CI log): the export reads it from the 0600 share file when the line is pasted. KES runs
  // without an admin identity; minio's identity may list keys and read the status. KES_CLIENT_CA is
  // this kes CLI's; the Go kes trusts SSL_CERT_FILE instead (kept out of here: it would replace
  // the shell's trust store for every other tool).
  const minioId = pki.clients['minio'];
  say('');
  say('Operate it with the vault and kes CLIs (copy-paste; the root token is read from its file):');
  say(`  export PATH=${shq(binDir)}:"$PATH"  # this repo's vault, kes and minio`);
  say(`  export VAULT_ADDR=${urls.vault} VAULT_CACERT=${shq(pki.ca.certPath)}`);
  say(
    `  export VAULT_TOKEN="$(node -p 'require(process.argv[1]).root_token' ${shq(chain.files.shareFile)})"`,
  );
  say(
    `  export KES_SERVER=${urls.kes} KES_CLIENT_CERT=${shq(minioId.certPath)} KES_CLIENT_KEY=${shq(minioId.keyPath)} KES_CLIENT_CA=${shq(pki.ca.certPath)}`,
  );
  say(`  vault status && vault kv list kv/${KV_PREFIX} && kes key ls && kes status`);
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
  const etcd = chain?.etcd?.members.map((m) => m.proc) ?? [];
  for (const proc of [chain?.minio, ...(chain?.kes ?? []), ...(chain?.vaults ?? []), ...etcd])
    if (proc?.isRunning()) proc.child.kill('SIGKILL');
});

main().catch((err) => {
  if (stopping) return;
  process.stderr.write(`npm start: ${err.message}\n`);
  void stopAll(1);
});
