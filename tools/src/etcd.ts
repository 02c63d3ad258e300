// A real etcd cluster on loopback (Debian's etcd-server, which .ci/run installs) for the Vault
// storage tests and the HA drills: N members, each with its own data directory and ports.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
  /** http://127.0.0.1:<client port> */
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc: Proc;
  /** Starts the member again on its data directory (after stop or kill). */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, comma-separated, as Vault's `address` takes them. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts an etcd cluster of `size` members and resolves once every member serves clients.
 * @throws when etcd is not installed or a member does not come up within 30 s.
 */
export async function startEtcd(size = 1): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd is not installed (Debian: etcd-server)');
  const root = await mkdtemp(join(tmpdir(), 'etcd-'));
  const spec: Array<Pick<EtcdMember, 'name' | 'clientUrl' | 'peerUrl' | 'dataDir'>> = [];
  for (let i = 0; i < size; i++) {
    const name = `m${i}`;
    spec.push({
      name,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(root, name),
    });
  }
  const initialCluster = spec.map((m) => `${m.name}=${m.peerUrl}`).join(',');
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
        '--initial-cluster-state=new',
        '--initial-cluster-token=kms-chain-test',
        // Loopback members: short heartbeats make leader loss show within a second.
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      { keep: 64 * 1024 },
    );
  const members: EtcdMember[] = spec.map((m) => {
    const member: EtcdMember = {
      ...m,
      proc: launch(m),
      async restart() {
        member.proc = launch(m);
        await member.proc.waitFor(/ready to serve client requests/, 30_000);
      },
    };
    return member;
  });
  await Promise.all(members.map((m) => m.proc.waitFor(/ready to serve client requests/, 30_000)));
  return {
    members,
    address: members.map((m) => m.clientUrl).join(','),
    async stop() {
      await Promise.all(members.map((m) => m.proc.stop('SIGTERM', 5_000)));
      await rm(root, { recursive: true, force: true });
    },
  };
}
