// The init steps of docker-compose.yml, run in the kes image (which carries @kms-chain/tls-identity):
//   node scripts/compose-init.mjs pki     dev PKI in $PKI_DIR (server cert for vault, kes, minio,
//                                         localhost; client certs `minio`, and `prometheus` and
//                                         `health` for KES /v1/metrics and /v1/ready) and minio's certs dir
//   node scripts/compose-init.mjs setup   the guide's Vault set-up (init, unseal, kv, approle,
//                                         policy, role) and the KES config, like `npm start`; with
//                                         several VAULT_ADDR (comma-separated, the `ha` profile's
//                                         nodes) it initialises through the first, unseals each and
//                                         lists them all in the KES config, like `npm start -- --ha`
// Both are idempotent: on later `docker compose up` runs `pki` reuses the certificates and `setup`
// only unseals Vault from the dev-only share file in $STATE_DIR.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  configureVaultForKes,
  initAndUnsealNodes,
  KEY_NAME,
  kesConfigToml,
  waitForHttps,
  writePrivateJson,
} from '@kms-chain/tools';

const env = process.env;
const pkiDir = env['PKI_DIR'] || '/pki';
const stateDir = env['STATE_DIR'] || '/state';
const kesConfigDir = env['KES_CONFIG_DIR'] || '/kes-config';
const vaultAddr = env['VAULT_ADDR'] || 'https://vault:8200';
const vaultNodes = vaultAddr.split(',').map((a) => a.trim());
const kesAddress = env['KES_ADDRESS'] || '0.0.0.0:7373';
const publicEndpoint = env['PUBLIC_S3_ENDPOINT'] || 'https://127.0.0.1:9000';

async function pki() {
  const { createDevPki } = await import('@kms-chain/tls-identity');
  const made = await createDevPki(pkiDir, {
    clients: ['minio', 'prometheus', 'health'],
    // The default services, and the `ha` profile's (etcd members, Vault nodes, its kes and minio).
    serverDns: [
      'localhost',
      'vault',
      'kes',
      'minio',
      ...['etcd-1', 'etcd-2', 'etcd-3', 'vault-1', 'vault-2', 'vault-3', 'kes-ha', 'minio-ha'],
    ],
  });
  const certs = join(pkiDir, 'minio-certs');
  await mkdir(certs, { recursive: true, mode: 0o700 });
  await copyFile(made.server.certPath, join(certs, 'public.crt'));
  await copyFile(made.server.keyPath, join(certs, 'private.key'));
  process.stdout.write(`pki: ready in ${pkiDir} (MinIO identity ${made.clients.minio.identity})\n`);
}

async function setup() {
  const ca = await readFile(join(pkiDir, 'ca.crt'), 'utf8');
  for (const node of vaultNodes)
    await waitForHttps(`${node}/v1/sys/health`, { tls: { ca }, timeoutMs: 120_000 });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const shareFile = join(stateDir, 'DEV-ONLY-vault-unseal-keys.json');
  const { rootToken, initializedNow } = await initAndUnsealNodes(vaultNodes, ca, shareFile, 120_000);
  process.stdout.write(
    initializedNow
      ? `vault: initialised (5 shares, threshold 3); shares in the state volume at ${shareFile} (DEV ONLY)\n`
      : `vault: unsealed with the DEV-ONLY shares in ${shareFile}\n`,
  );
  const approleFile = join(stateDir, 'approle.json');
  let approle;
  try {
    approle = JSON.parse(await readFile(approleFile, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    approle = await configureVaultForKes(vaultNodes[0], ca, rootToken);
    await writePrivateJson(approleFile, approle);
    process.stdout.write(
      'vault: kv and approle enabled, policy minio-key-policy and role kes-role written\n',
    );
  }
  const { identityOf } = await import('@kms-chain/tls-identity');
  const identityIn = async (name) => identityOf(await readFile(join(pkiDir, `${name}.crt`), 'utf8'));
  const identity = await identityIn('minio');
  // Metrics and health identities (docs/observability.md): one KES path each.
  const monitors = { metrics: await identityIn('prometheus'), ready: await identityIn('health') };
  await mkdir(kesConfigDir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(kesConfigDir, 'kes-config.toml'),
    kesConfigToml({
      address: kesAddress,
      tlsKey: join(pkiDir, 'server.key'),
      tlsCert: join(pkiDir, 'server.crt'),
      tlsCa: join(pkiDir, 'ca.crt'),
      identity,
      vaultAddr,
      roleId: approle.roleId,
      secretId: approle.secretId,
      vaultCa: join(pkiDir, 'ca.crt'),
      monitors,
    }),
    { mode: 0o600 },
  );
  process.stdout.write(
    `kes: config written; MinIO creates ${KEY_NAME} at its first start.\n` +
      `S3 endpoint ${publicEndpoint} (credentials: MINIO_ROOT_USER / MINIO_ROOT_PASSWORD of the compose file; ` +
      'CA: docker compose cp minio:/pki/ca.crt .)\n',
  );
}

const step = process.argv[2];
const steps = { pki, setup };
if (!Object.hasOwn(steps, step)) {
  process.stderr.write('usage: node scripts/compose-init.mjs pki|setup\n');
  process.exit(2);
}
steps[step]().catch((err) => {
  process.stderr.write(`compose-init ${step}: ${err.message}\n`);
  process.exit(1);
});
