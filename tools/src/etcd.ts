// A real etcd cluster on loopback (Debian's etcd-server, which .ci/run installs) for the Vault
// storage tests, the HA drills and `npm start -- --ha`: N members, each with its own data directory
// and ports; clients over plain HTTP or TLS (optionally mTLS); user/password auth switched on
// through etcd's own JSON gateway (no etcdctl needed).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type Proc, startProc } from './proc.js';

/** The etcd binary, or undefined when it is not installed (callers skip and say so). */
export function etcdBinary(): string | undefined {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'etcd' : undefined;
}

export interface EtcdMember {
  name: string;
  /** http(s)://127.0.0.1:<client port> */
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc: Proc;
  /** Starts the member again on its data directory (after stop or kill). */
  restart(): Promise<void>;
}

export interface EtcdOptions {
  /**
   * Keep the members' data here (`<dir>/m<i>`) and their ports in `<dir>/cluster.json`, reused by
   * the next start (peer URLs are part of the cluster's state, so they must not change); stop()
   * leaves it. Default: a temp directory that stop() removes.
   */
  dir?: string;
  /** Append member i's output to `<logDir>/etcd-<i>.log` instead of keeping it in memory. */
  logDir?: string;
  /** Serve clients over TLS with this key pair (PEM files); peers stay on plain loopback HTTP. */
  tls?: {
    certFile: string;
    keyFile: string;
    /** Require client certificates signed by this CA (etcd's --client-cert-auth). */
    clientCaFile?: string;
  };
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, comma-separated, as Vault's `address` takes them. */
  address: string;
  stop(): Promise<void>;
}

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
}

/** Ports recorded by an earlier start in `dir`, or fresh ones (then recorded). */
async function memberSpecs(size: number, dir: string | undefined): Promise<MemberSpec[]> {
  const file = dir ? join(dir, 'cluster.json') : undefined;
  if (file) {
    try {
      const kept = JSON.parse(await readFile(file, 'utf8')) as { members: MemberSpec[] };
      if (kept.members.length !== size)
        throw new Error(`${file}: a cluster of ${kept.members.length} members, not ${size}`);
      return kept.members;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const specs: MemberSpec[] = [];
  for (let i = 0; i < size; i++)
    specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  if (file) await writeFile(file, `${JSON.stringify({ members: specs }, null, 2)}\n`, { mode: 0o600 });
  return specs;
}

/**
 * Starts an etcd cluster of `size` members and resolves once every member serves clients.
 * @throws when etcd is not installed or a member does not come up within 30 s.
 */
export async function startEtcd(size = 1, opts: EtcdOptions = {}): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd is not installed (Debian: etcd-server)');
  const root = opts.dir ?? (await mkdtemp(join(tmpdir(), 'etcd-')));
  await mkdir(root, { recursive: true, mode: 0o700 });
  if (opts.logDir) await mkdir(opts.logDir, { recursive: true, mode: 0o700 });
  const scheme = opts.tls ? 'https' : 'http';
  const spec = (await memberSpecs(size, opts.dir)).map((m, i) => ({
    i,
    name: m.name,
    clientUrl: `${scheme}://127.0.0.1:${m.clientPort}`,
    peerUrl: `http://127.0.0.1:${m.peerPort}`,
    dataDir: join(root, m.name),
  }));
  const initialCluster = spec.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const tlsFlags = opts.tls
    ? [
        `--cert-file=${opts.tls.certFile}`,
        `--key-file=${opts.tls.keyFile}`,
        ...(opts.tls.clientCaFile
          ? ['--client-cert-auth', `--trusted-ca-file=${opts.tls.clientCaFile}`]
          : []),
      ]
    : [];
  const launch = (m: (typeof spec)[number]): Proc =>
    startProc(
      bin,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        // Ignored by a member that finds its data directory from an earlier start.
        '--initial-cluster-state=new',
        '--initial-cluster-token=kms-chain-test',
        // Loopback members: short heartbeats make leader loss show within a second.
        '--heartbeat-interval=50',
        '--election-timeout=500',
        ...tlsFlags,
      ],
      opts.logDir ? { log: join(opts.logDir, `etcd-${m.i}.log`) } : { keep: 64 * 1024 },
    );
  const members: EtcdMember[] = spec.map((m) => {
    const member: EtcdMember = {
      name: m.name,
      clientUrl: m.clientUrl,
      peerUrl: m.peerUrl,
      dataDir: m.dataDir,
      proc: launch(m),
      async restart() {
        member.proc = launch(m);
        await member.proc.waitFor(/ready to serve client requests/, 30_000);
      },
    };
    return member;
  });
  const stopAll = () => Promise.all(members.map((m) => m.proc.stop('SIGTERM', 5_000)));
  try {
    await Promise.all(members.map((m) => m.proc.waitFor(/ready to serve client requests/, 30_000)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    members,
    address: members.map((m) => m.clientUrl).join(','),
    async stop() {
      await stopAll();
      if (!opts.dir) await rm(root, { recursive: true, force: true });
    },
  };
}

/** TLS material for talking to a TLS etcd (PEM), as a client of it. */
export interface EtcdClientTls {
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** One call of etcd's JSON gateway (`/v3/...`) on `clientUrl`; rejects on a non-2xx answer. */
function gateway(clientUrl: string, path: string, body: unknown, tls?: EtcdClientTls): Promise<unknown> {
  const url = new URL(`/v3/${path}`, clientUrl);
  const data = Buffer.from(JSON.stringify(body));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(data.length) },
        ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`etcd ${path}: HTTP ${res.statusCode}: ${text}`));
          else resolve(text === '' ? null : JSON.parse(text));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`etcd ${path}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export interface EtcdUser {
  name: string;
  password: string;
  /** Read and write on the keys under this prefix (a role `<name>` holding that one permission). */
  prefix: string;
}

/** The end of etcd's key range for every key starting with `prefix`. */
function prefixRangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * Switches etcd's authentication on, as `etcdctl user add root && etcdctl auth enable` does: the
 * `root` user (with the root role) gets `rootPassword`, and each of `users` a role that may read
 * and write its prefix only. Afterwards every client call needs a user and password.
 */
export async function enableEtcdAuth(
  cluster: EtcdCluster,
  rootPassword: string,
  users: EtcdUser[] = [],
  tls?: EtcdClientTls,
): Promise<void> {
  const at = cluster.members[0]!.clientUrl;
  const b64 = (b: string | Buffer) => Buffer.from(b).toString('base64');
  await gateway(at, 'auth/role/add', { name: 'root' }, tls);
  await gateway(at, 'auth/user/add', { name: 'root', password: rootPassword }, tls);
  await gateway(at, 'auth/user/grant', { user: 'root', role: 'root' }, tls);
  for (const u of users) {
    await gateway(at, 'auth/role/add', { name: u.name }, tls);
    await gateway(
      at,
      'auth/role/grant',
      {
        name: u.name,
        perm: { permType: 'READWRITE', key: b64(u.prefix), range_end: b64(prefixRangeEnd(u.prefix)) },
      },
      tls,
    );
    await gateway(at, 'auth/user/add', { name: u.name, password: u.password }, tls);
    await gateway(at, 'auth/user/grant', { user: u.name, role: u.name }, tls);
  }
  await gateway(at, 'auth/enable', {}, tls);
}
