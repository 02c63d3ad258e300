// Vault in HA for the benchmark (docs/vault.md#ha-on-etcd): one etcd member and two Vault nodes on
// it, TLS with the chain's dev PKI, initialised and unsealed, KV at kv/. The standby forwards every
// request to the active node over its cluster port (mutual TLS, pooled keep-alive connections): the
// client sees one answer, and the standby pays one loopback round trip inside the cluster.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  etcdVaultConfig,
  freePortRange,
  httpsJson,
  httpsOk,
  initAndUnseal,
  startEtcd,
  startProc,
  waitForHttps,
} from '@kms-chain/tools';

const binDir = resolve(import.meta.dirname, '..', '..', 'node_modules', '.bin');

/**
 * Starts etcd and two HA Vault nodes in `dir`. Resolves with their URLs (`active` first), the root
 * token, `killActive()` (kill -9 of the active node; resolves with the seconds until the standby
 * answers health 200) and `stop()`.
 */
export async function startHaVault({ dir, pki, lockTimeout = '5s' }) {
  const etcd = await startEtcd(1);
  const nodes = [];
  const stop = async () => {
    for (const n of nodes) await n.proc?.stop('SIGTERM', 10_000);
    await etcd.stop();
  };
  try {
    for (let i = 0; i < 2; i++) {
      // The next port is the node's cluster port (bound at start): both must be free.
      const port = await freePortRange(2);
      const url = `https://127.0.0.1:${port}`;
      const config = join(dir, `vault-ha-${i}.hcl`);
      await writeFile(
        config,
        etcdVaultConfig({
          etcdAddress: etcd.address,
          port,
          haEnabled: true,
          lockTimeout,
          tls: { certFile: pki.server.certPath, keyFile: pki.server.keyPath },
        }),
      );
      const proc = startProc(join(binDir, 'vault'), ['server', '-config', config], {
        cwd: dir,
        keep: 65_536,
      });
      nodes.push({ url, proc });
      await waitForHttps(`${url}/v1/sys/health`, {
        tls: { ca: pki.ca.certPem },
        isDead: () => !proc.isRunning(),
      }).catch((err) => {
        throw new Error(`${err.message}; its output ends:\n${proc.out().slice(-1500)}`);
      });
    }
    const shareFile = join(dir, 'vault-ha-shares.json');
    const { rootToken } = await initAndUnseal(nodes[0].url, pki.ca.certPem, shareFile);
    await untilActive(nodes[0].url, pki.ca.certPem);
    await initAndUnseal(nodes[1].url, pki.ca.certPem, shareFile);
    await httpsOk('vault secrets enable kv', `${nodes[0].url}/v1/sys/mounts/kv`, {
      method: 'POST',
      ca: pki.ca.certPem,
      token: rootToken,
      body: { type: 'kv' },
    });
    return {
      active: nodes[0].url,
      standby: nodes[1].url,
      rootToken,
      async killActive() {
        const t0 = performance.now();
        await nodes[0].proc.stop('SIGKILL');
        await untilActive(nodes[1].url, pki.ca.certPem, 60_000);
        return (performance.now() - t0) / 1000;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * What one request pays for a hop, in ms: the median latency of a read through the standby and
 * through a proxy, each minus the median through the active node. The three take turns request by
 * request (`count` in all, one at a time), so a machine that speeds up or slows down meanwhile
 * moves all three alike. `read(base)` makes one request to `urls[base]`.
 */
export async function hopLatency(read, count) {
  const lat = { active: [], standby: [], proxy: [] };
  const vias = Object.keys(lat);
  for (let i = 0; i < count; i++) {
    const via = vias[i % vias.length];
    const t0 = performance.now();
    await read(via);
    lat[via].push(performance.now() - t0);
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const active = median(lat.active);
  return { standby: median(lat.standby) - active, proxy: median(lat.proxy) - active };
}

async function untilActive(url, ca, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await httpsJson(`${url}/v1/sys/health`, { ca, timeoutMs: 2_000 }).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}: not active within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
