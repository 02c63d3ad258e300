// The chain — vault, kes and minio from their built bins (node_modules/.bin), all TLS on loopback —
// set up as the MinIO KMS guide does (guide-setup: init + unseal, kv, approle, policy, role, KES
// config, master key). One launcher for `npm start`, the e2e tests and the benchmark; each passes
// what differs: fixed or free ports, credentials, auto-encryption, CPU profiling, several KES.
//
// Layout under `dir` (the one `npm start` keeps in .data/ across runs):
//   pki/                               dev CA, server certificate, the client certificates `minio`,
//                                      `prometheus` (KES /v1/metrics) and `health` (KES /v1/ready)
//   DEV-ONLY-vault-unseal-keys.json    every unseal share and the root token (0600)
//   vault/vault-config.json, vault/file/
//   kes/kes-config.toml (kes-config-<i>.toml for the i-th extra KES)
//   minio/certs/, minio/export/
//   prometheus/prometheus.yml          a ready scrape config for vault, kes and minio (rewritten each start)
//   prometheus/vault-token             the scrape token: Vault policy prometheus-metrics only (0600)
//   prometheus/minio-token             the object store's metrics JWT (0600)
//   logs/<server>.log                  each server's stdout and stderr
//   logs/{minio,kes,vault}-audit.log   the audit logs the trace command joins (audit-logs.ts)
// With `ha`: etcd/ (the members' data and ports, logs/etcd-<i>.log) and one vault-config-<i>.json
// and logs/vault-<i>.log per further Vault node; no vault/file/.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDevPki, type DevPki } from '@kms-chain/tls-identity';
import { chainAuditFiles, enableVaultAudit, kesAuditFile, kesAuditToml } from './audit-logs.js';
import { type EtcdCluster, startEtcd } from './etcd.js';
import {
  type AppRole,
  chainKesConfigToml,
  chainMinioEnv,
  configureVaultForKes,
  createKesKey,
  KEY_NAME,
  type KesConfigOptions,
  prepareChainMinio,
  writePrivateJson,
} from './guide-setup.js';
import { waitForHttps } from './https-json.js';
import { freePort, freePortRange } from './ports.js';
import { type Proc, startProc } from './proc.js';
import {
  ensureVaultMetricsToken,
  KES_HEALTH_CLIENT,
  KES_METRICS_CLIENT,
  prometheusConfigYml,
  writeMinioMetricsToken,
} from './prometheus.js';
import { initAndUnsealNodes } from './vault-ha.js';

export type ServerName = 'vault' | 'kes' | 'minio';

/** The steps startChain reports, in order (`<server> up` again after each restart). */
export type ChainPhase = 'vault up' | 'vault set up' | 'kes up' | 'kes key created' | 'minio up';

export interface ChainOptions {
  /** Created when missing; see the layout above. A directory from an earlier run is reused. */
  dir: string;
  /** minio's root credentials. */
  credentials: { accessKey: string; secretKey: string };
  /** Fixed ports; a server without one gets a free port picked just before its first start. */
  ports?: { vault?: number; kes?: number; minio?: number };
  /** How many KES servers minio lists in MINIO_KMS_KES_ENDPOINT (default 1); they share the AppRole. */
  kesCount?: number;
  /** KES's cache expiries and Vault status probe interval (the guide's defaults otherwise). */
  cache?: KesConfigOptions['cache'];
  ping?: string;
  /** MINIO_KMS_AUTO_ENCRYPTION (default off, so plaintext objects can be written too). */
  autoEncryption?: boolean;
  /** Keep the AppRole's IDs here (0600) and reuse them on later runs instead of writing a new role. */
  approleFile?: string;
  /** Node flags per server (e.g. --cpu-prof): the bin then runs under `node <flags>`. */
  nodeFlags?: (server: ServerName) => string[];
  /** Called as each step completes, for timing and for messages. */
  onPhase?: (phase: ChainPhase, chain: Chain) => void;
  /** How long each server has to answer over HTTPS (default 60 s). */
  timeoutMs?: number;
  /** Where the bins are (default the repository's node_modules/.bin). */
  binDir?: string;
  /**
   * Vault in HA on etcd instead of one node on file storage (docs/vault.md#ha-on-etcd): an etcd
   * cluster of `etcdMembers` (default 3) kept in `<dir>/etcd`, and `nodes` (default 3) Vault nodes
   * on it with `lock_timeout` `lockTimeout` (default 5s), initialised through the first and each
   * unsealed on its own; every KES lists all of them. Node i listens on `ports.vault + 2i` when
   * that is fixed (its cluster_addr on the next port).
   */
  ha?: { nodes?: number; etcdMembers?: number; lockTimeout?: string };
  /** scrape_interval of the prometheus.yml written at start (Go duration, default 15s). */
  scrapeInterval?: string;
}

/** What the set-up did on this run, as opposed to finding done by an earlier one. */
export interface ChainSetup {
  initializedNow: boolean;
  approleCreatedNow: boolean;
  keyCreatedNow: boolean;
}

export interface Chain {
  dir: string;
  pki: DevPki;
  /** The dev CA (PEM) every server's certificate chains to. */
  ca: string;
  /** minio's mTLS client material for KES (PEM). */
  minioTls: { ca: string; cert: string; key: string };
  credentials: { accessKey: string; secretKey: string };
  files: {
    shareFile: string;
    vaultConfig: string;
    vaultData: string;
    kesConfigs: string[];
    minioData: string;
    /** The scrape config written at start, and the Vault token file it reads. */
    prometheusConfig: string;
    vaultMetricsToken: string;
  };
  /** Each server's port; 0 until it was first started. */
  ports: { vault: number; kes: number[]; minio: number };
  /** https://127.0.0.1:<port> of each server; `kes` is the first KES. */
  urls: { vault: string; kes: string; minio: string };
  kesUrls: string[];
  /** Set once Vault is initialised and unsealed. */
  rootToken: string;
  approle: AppRole;
  setup: ChainSetup;
  vault: Proc | undefined;
  /** Every Vault node (one without `ha`; `vault` is the first) and their URLs. */
  vaults: Array<Proc | undefined>;
  vaultUrls: string[];
  /** The etcd cluster under an HA Vault, once started. */
  etcd: EtcdCluster | undefined;
  kes: Proc[];
  minio: Proc | undefined;
  /** The log file of a server (`i`: which KES). */
  logOf(name: ServerName, i?: number): string;
  /** The whole start-up: vault, its set-up, the KES servers and their key, minio. */
  start(): Promise<void>;
  /** Starts vault (again, after a stop; with `ha` etcd and every node) and resolves once it answers; it comes up sealed. */
  startVault(): Promise<void>;
  /** Initialises Vault when it is not and unseals it from the share file. */
  unseal(): Promise<void>;
  /** Starts the i-th KES (again) on its port and config, resolving once it answers. */
  startKes(i?: number): Promise<void>;
  /** Starts minio (again) on its port and data, resolving once it answers. */
  startMinio(): Promise<void>;
  /** kill -9 of minio or one KES, then the same server again; resolves with the new process. */
  killAndRestart(name: 'kes' | 'minio', i?: number): Promise<Proc>;
  /** Stops minio, the KES servers, vault (and etcd) in that order (SIGTERM, SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const repoRoot = resolve(import.meta.dirname, '..', '..');

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/**
 * Prepares a chain in `opts.dir` (directories and the dev PKI, reused when present) without
 * starting anything: call `start()`, and `stop()` at any time, also while it starts.
 */
export async function createChain(opts: ChainOptions): Promise<Chain> {
  const dir = resolve(opts.dir);
  for (const sub of ['', 'vault', 'kes', 'minio', 'minio/certs', 'minio/export', 'logs', 'prometheus'])
    await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const pki = await createDevPki(join(dir, 'pki'), {
    clients: ['minio', KES_METRICS_CLIENT, KES_HEALTH_CLIENT],
  });
  const minio = pki.clients['minio']!;
  const binDir = opts.binDir ?? join(repoRoot, 'node_modules', '.bin');
  const kesCount = opts.kesCount ?? 1;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const url = (port: number) => `https://${host}:${port}`;
  const ca = pki.ca.certPem;
  const minioTls = { ca, cert: minio.certPem, key: minio.keyPem };
  const vaultNodes = opts.ha ? (opts.ha.nodes ?? 3) : 1;
  // HA nodes take two ports each (API, cluster): one block, so no node's port + 1 is taken already.
  const fixed = {
    ...opts.ports,
    ...(opts.ha && !opts.ports?.vault ? { vault: await freePortRange(2 * vaultNodes) } : {}),
  };
  let stopped = false;

  const chain: Chain = {
    dir,
    pki,
    ca,
    minioTls,
    credentials: opts.credentials,
    files: {
      shareFile: join(dir, 'DEV-ONLY-vault-unseal-keys.json'),
      vaultConfig: join(dir, 'vault', 'vault-config.json'),
      vaultData: join(dir, 'vault', 'file'),
      kesConfigs: Array.from({ length: kesCount }, (_, i) =>
        join(dir, 'kes', i === 0 ? 'kes-config.toml' : `kes-config-${i}.toml`),
      ),
      minioData: join(dir, 'minio', 'export'),
      prometheusConfig: join(dir, 'prometheus', 'prometheus.yml'),
      vaultMetricsToken: join(dir, 'prometheus', 'vault-token'),
    },
    ports: { vault: 0, kes: Array.from({ length: kesCount }, () => 0), minio: 0 },
    urls: { vault: '', kes: '', minio: '' },
    kesUrls: [],
    rootToken: '',
    approle: { roleId: '', secretId: '' },
    setup: { initializedNow: false, approleCreatedNow: false, keyCreatedNow: false },
    vault: undefined,
    vaults: [],
    vaultUrls: [],
    etcd: undefined,
    kes: [],
    minio: undefined,
    logOf: (name, i = 0) => join(dir, 'logs', i === 0 ? `${name}.log` : `${name}-${i}.log`),

    async start() {
      await chain.startVault();
      await chain.unseal();
      chain.approle = await approle();
      // Vault's audit log, with the request ids KES forwards (docs/observability.md#audit-and-trace).
      await enableVaultAudit(chain.urls.vault, ca, chain.rootToken, chainAuditFiles(dir).vault);
      await ensureVaultMetricsToken(chain.urls.vault, ca, chain.rootToken, chain.files.vaultMetricsToken);
      opts.onPhase?.('vault set up', chain);
      for (let i = 0; i < kesCount; i++) {
        await writeFile(
          chain.files.kesConfigs[i]!,
          chainKesConfigToml(pki, {
            address: `${host}:${await portOf('kes', i)}`,
            vaultAddr: chain.vaultUrls.join(','),
            approle: chain.approle,
            ...(opts.cache ? { cache: opts.cache } : {}),
            ...(opts.ping ? { ping: opts.ping } : {}),
          }) + kesAuditToml(kesAuditFile(dir, i)),
          { mode: 0o600 },
        );
        await chain.startKes(i);
      }
      chain.setup.keyCreatedNow = await createKesKey(chain.urls.kes, minioTls, KEY_NAME);
      opts.onPhase?.('kes key created', chain);
      await writePrometheusConfig();
      await chain.startMinio();
    },

    async startVault() {
      if (opts.ha && !chain.etcd)
        chain.etcd = await startEtcd(opts.ha.etcdMembers ?? 3, {
          dir: join(dir, 'etcd'),
          logDir: join(dir, 'logs'),
        });
      for (let i = 0; i < vaultNodes; i++) await startVaultNode(i);
    },

    async unseal() {
      const { rootToken, initializedNow } = await initAndUnsealNodes(
        chain.vaultUrls,
        ca,
        chain.files.shareFile,
        timeoutMs,
      );
      chain.rootToken = rootToken;
      chain.setup.initializedNow ||= initializedNow;
    },

    async startKes(i = 0) {
      await portOf('kes', i);
      chain.kes[i] = await launch(
        'kes',
        i,
        ['server', `--config=${chain.files.kesConfigs[i]}`, '--root=disabled', '--mtls-auth=verify'],
        {},
        `${chain.kesUrls[i]}/version`,
        minioTls,
      );
    },

    async startMinio() {
      const args = await prepareChainMinio(pki, dir, `${host}:${await portOf('minio')}`);
      const env = {
        ...chainMinioEnv(pki, {
          kesUrl: chain.kesUrls.join(','),
          accessKey: opts.credentials.accessKey,
          secretKey: opts.credentials.secretKey,
          autoEncryption: opts.autoEncryption ?? false,
        }),
        MINIO_AUDIT_FILE_ENABLE: 'on',
        MINIO_AUDIT_FILE_PATH: chainAuditFiles(dir).minio,
      };
      chain.minio = await launch('minio', 0, args, env, `${chain.urls.minio}/minio/health/live`, { ca });
    },

    async killAndRestart(name, i = 0) {
      const old = name === 'kes' ? chain.kes[i] : chain.minio;
      await old?.stop('SIGKILL');
      if (name === 'kes') await chain.startKes(i);
      else await chain.startMinio();
      return (name === 'kes' ? chain.kes[i] : chain.minio)!;
    },

    async stop() {
      stopped = true;
      for (const p of [chain.minio, ...[...chain.kes].reverse(), ...[...chain.vaults].reverse()])
        await p?.stop('SIGTERM', 10_000);
      await chain.etcd?.stop();
    },
  };

  /** Writes node i's config (file storage, or etcd with HA) and starts it; it comes up sealed. */
  async function startVaultNode(i: number): Promise<void> {
    const port = await vaultPort(i);
    const url = chain.vaultUrls[i]!;
    const config = i === 0 ? chain.files.vaultConfig : join(dir, 'vault', `vault-config-${i}.json`);
    const storage = chain.etcd
      ? {
          etcd: {
            address: chain.etcd.address,
            path: '/vault/',
            ha_enabled: 'true',
            lock_timeout: opts.ha?.lockTimeout ?? '5s',
          },
        }
      : { file: { path: chain.files.vaultData } };
    await writeFile(
      config,
      `${JSON.stringify(
        {
          api_addr: url,
          ...(chain.etcd ? { cluster_addr: `https://${host}:${port + 1}` } : {}),
          backend: storage,
          default_lease_ttl: '168h',
          max_lease_ttl: '720h',
          // vault would refuse to start where it cannot lock its key arena (no CAP_IPC_LOCK, small
          // RLIMIT_MEMLOCK); the dev chain runs on such machines too (apps/vault/README.md).
          disable_mlock: true,
          // sys/metrics in Prometheus format (docs/vault.md#metrics), names without the host name.
          telemetry: { prometheus_retention_time: '24h', disable_hostname: true },
          listener: {
            tcp: {
              address: `${host}:${port}`,
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
    await launch('vault', i, ['server', '-config', config], {}, `${url}/v1/sys/health`, { ca });
  }

  /** Node i's port: `ports.vault` + 2i when fixed (each node's cluster_addr takes the next one). */
  async function vaultPort(i: number): Promise<number> {
    if (i === 0) {
      await portOf('vault');
      chain.vaultUrls[0] = chain.urls.vault;
      return chain.ports.vault;
    }
    if (!chain.vaultUrls[i]) chain.vaultUrls[i] = url(fixed.vault ? fixed.vault + 2 * i : await freePort());
    return Number(new URL(chain.vaultUrls[i]!).port);
  }

  async function portOf(name: ServerName, i = 0): Promise<number> {
    if (name === 'kes') {
      if (!chain.ports.kes[i]) {
        chain.ports.kes[i] = (i === 0 ? fixed.kes : undefined) ?? (await freePort());
        chain.kesUrls[i] = url(chain.ports.kes[i]!);
        chain.urls.kes = chain.kesUrls[0] ?? '';
      }
      return chain.ports.kes[i]!;
    }
    if (!chain.ports[name]) {
      chain.ports[name] = fixed[name] ?? (await freePort());
      chain.urls[name] = url(chain.ports[name]);
    }
    return chain.ports[name];
  }

  async function writePrometheusConfig(): Promise<void> {
    const metrics = pki.clients[KES_METRICS_CLIENT]!;
    const yml = prometheusConfigYml({
      vault: `${host}:${chain.ports.vault}`,
      vaultTokenFile: chain.files.vaultMetricsToken,
      kes: chain.ports.kes.map((p) => `${host}:${p}`),
      kesCert: metrics.certPath,
      kesKey: metrics.keyPath,
      caFile: pki.ca.certPath,
      minio: {
        target: `${host}:${await portOf('minio')}`,
        tokenFile: await writeMinioMetricsToken(opts.credentials, join(dir, 'prometheus', 'minio-token')),
      },
      ...(opts.scrapeInterval ? { scrapeInterval: opts.scrapeInterval } : {}),
    });
    await writeFile(chain.files.prometheusConfig, yml, { mode: 0o600 });
  }

  async function approle(): Promise<AppRole> {
    if (opts.approleFile) {
      try {
        return JSON.parse(await readFile(opts.approleFile, 'utf8')) as AppRole;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const made = await configureVaultForKes(chain.urls.vault, ca, chain.rootToken);
    if (opts.approleFile) await writePrivateJson(opts.approleFile, made);
    chain.setup.approleCreatedNow = true;
    return made;
  }

  async function launch(
    name: ServerName,
    i: number,
    args: string[],
    env: Record<string, string>,
    health: string,
    tls: { ca: string; cert?: string; key?: string },
  ): Promise<Proc> {
    if (stopped) throw new Error(`${name}: the chain is stopping`);
    const bin = join(binDir, name);
    const log = chain.logOf(name, i);
    const flags = opts.nodeFlags?.(name) ?? [];
    const proc =
      flags.length > 0
        ? startProc(process.execPath, [...flags, bin, ...args], { cwd: dir, env, log })
        : startProc(bin, args, { cwd: dir, env, log });
    // Registered at once, so that stop() reaches a server that is still coming up.
    if (name === 'vault') {
      chain.vaults[i] = proc;
      if (i === 0) chain.vault = proc;
    } else if (name === 'kes') chain.kes[i] = proc;
    else chain.minio = proc;
    try {
      await waitForHttps(health, { tls, timeoutMs, isDead: () => !proc.isRunning() });
    } catch (err) {
      throw new Error(
        `${name} did not come up: ${(err as Error).message}; last lines of ${log}:\n${lastLines(proc.out(), 15)}`,
      );
    }
    opts.onPhase?.(`${name} up`, chain);
    return proc;
  }

  return chain;
}

/** createChain and start(); on failure stops what it started and rejects naming the server and its log. */
export async function startChain(opts: ChainOptions): Promise<Chain> {
  const chain = await createChain(opts);
  try {
    await chain.start();
    return chain;
  } catch (err) {
    await chain.stop();
    throw err;
  }
}
