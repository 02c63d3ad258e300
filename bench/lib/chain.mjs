// The chain under test — vault, kes and minio from their built bins, all TLS on loopback — set up
// the way `npm start` does it (its guide-setup module: init + unseal, kv, approle, policy, role,
// KES config, master key), on free ports in a directory of its own. Unlike `npm start`, minio runs
// without auto-encryption so the plaintext rows stay plaintext; SSE is asked for per request.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDevPki } from '@kms-chain/tls-identity';
import {
  chainKesConfigToml,
  chainMinioEnv,
  configureVaultForKes,
  createKesKey,
  initAndUnseal,
  KEY_NAME,
  prepareChainMinio,
} from '../../scripts/lib/guide-setup.mjs';
import { waitForHttps } from '../../scripts/lib/https-json.mjs';
import { freePort, isRunning, startNode, stopChild } from './proc.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const host = '127.0.0.1';

/** The guide's master key name, which the KES policy lets minio use. */
export const CHAIN_KEY_NAME = KEY_NAME;

function bin(app) {
  return join(root, 'apps', app, 'bin', `${app}.js`);
}

/**
 * Starts the chain in `dir` (created; holds the PKI, data and logs/). `mark(phase)` is called as
 * each server answers, for the cold-start breakdown. `profileDir` runs each server under
 * `node --cpu-prof` writing to `<profileDir>/<server>/` (written when the server exits). Resolves
 * with the endpoints, TLS material, credentials, the server processes and `stop()`; on failure stops
 * what it started and rejects naming the server and its log.
 */
export async function startChain(dir, mark = () => {}, { profileDir } = {}) {
  for (const sub of ['logs', 'vault', 'kes', 'minio/certs', 'minio/export'])
    await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
  const ca = pki.ca.certPem;
  const minioTls = { ca, cert: pki.clients.minio.certPem, key: pki.clients.minio.keyPem };
  // Each server's port is picked just before it starts: a port found free is only free until another
  // process binds it, and the test suite starts servers in parallel.
  const urls = {};
  const address = async (name) => {
    const at = `${host}:${await freePort()}`;
    urls[name] = `https://${at}`;
    return at;
  };
  const procs = {};
  const chain = { dir, pki, ca, minioTls, urls, procs, stop: () => stopChain(procs) };
  const specs = {};
  const launch = async (name, args, env, health, tls) => {
    specs[name] = [args, env, health, tls];
    const log = join(dir, 'logs', `${name}.log`);
    const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : [];
    const { child } = await startNode(name, [...flags, bin(name), ...args], { env, log });
    procs[name] = child;
    await waitForHttps(health, { tls, timeoutMs: 60_000, isDead: () => !isRunning(child) }).catch(
      async (err) => {
        // The work directory, log included, is removed when the run ends: keep the log's last lines.
        const lines = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n');
        throw new Error(
          `${name} did not come up: ${err.message} (log: ${log}; ends: ${lines.slice(-5).join(' | ')})`,
        );
      },
    );
    mark(`${name} up`);
  };
  try {
    const vaultConfig = join(dir, 'vault', 'vault-config.json');
    const vaultAddress = await address('vault');
    await writeFile(
      vaultConfig,
      JSON.stringify({
        api_addr: urls.vault,
        backend: { file: { path: join(dir, 'vault', 'file') } },
        disable_mlock: true,
        listener: {
          tcp: {
            address: vaultAddress,
            tls_cert_file: pki.server.certPath,
            tls_key_file: pki.server.keyPath,
          },
        },
      }),
      { mode: 0o600 },
    );
    await launch('vault', ['server', '-config', vaultConfig], {}, `${urls.vault}/v1/sys/health`, { ca });
    const { rootToken } = await initAndUnseal(urls.vault, ca, join(dir, 'vault', 'DEV-ONLY-shares.json'));
    chain.rootToken = rootToken;
    chain.approle = await configureVaultForKes(urls.vault, ca, rootToken);
    mark('vault set up');
    const kesConfig = join(dir, 'kes', 'kes-config.toml');
    await writeFile(
      kesConfig,
      chainKesConfigToml(pki, {
        address: await address('kes'),
        vaultAddr: urls.vault,
        approle: chain.approle,
      }),
      { mode: 0o600 },
    );
    await launch(
      'kes',
      ['server', `--config=${kesConfig}`, '--root=disabled', '--mtls-auth=verify'],
      {},
      `${urls.kes}/version`,
      minioTls,
    );
    await createKesKey(urls.kes, minioTls, KEY_NAME);
    mark('kes key created');
    const minioArgs = await prepareChainMinio(pki, dir, await address('minio'));
    chain.creds = ['bench-access', 'bench-secret-key'];
    await launch(
      'minio',
      minioArgs,
      chainMinioEnv(pki, {
        kesUrl: urls.kes,
        accessKey: chain.creds[0],
        secretKey: chain.creds[1],
        autoEncryption: false,
      }),
      `${urls.minio}/minio/health/live`,
      { ca },
    );
    /**
     * kill -9 of `name` (minio or kes), then the same server again on the same port, config and data;
     * resolves with the new process once it answers. (Vault would need unsealing: not offered.)
     */
    chain.killAndRestart = async (name) => {
      if (name !== 'minio' && name !== 'kes') throw new Error(`cannot restart ${name}`);
      const old = procs[name];
      if (isRunning(old)) {
        const exited = new Promise((resolve) => old.once('exit', resolve));
        old.kill('SIGKILL');
        await exited;
      }
      await launch(name, ...specs[name]);
      return procs[name];
    };
    return chain;
  } catch (err) {
    await stopChain(procs);
    throw err;
  }
}

/** Stops minio, kes and vault in that order (SIGTERM, SIGKILL after 10 s). */
export async function stopChain(procs) {
  for (const name of ['minio', 'kes', 'vault']) await stopChild(procs[name]);
}
