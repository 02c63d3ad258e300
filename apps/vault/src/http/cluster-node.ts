// Clustering for one server process (docs/vault.md#ha-on-etcd): the address this node advertises
// for request forwarding, the cluster listeners it binds, and the forwarder its standby side uses.
// Only a node on HA storage clusters, and none with `disable_clustering`: its standbys then answer
// with the 307 redirect and its active side advertises no cluster certificate.
import type { FastifyInstance } from 'fastify';
import { Forwarder } from '../cluster/forwarder.js';
import { type ClusterListener, listenCluster } from '../cluster/listener.js';
import type { ServerConfig } from '../config.js';
import type { Core } from '../core.js';

/**
 * The cluster address this node advertises, as Vault settles it: none with `disable_clustering`;
 * else VAULT_CLUSTER_ADDR, else `cluster_addr`, else `api_addr`'s host with its port + 1 (443 + 1
 * when it names none) over https; else none.
 */
export function advertisedClusterAddr(config: ServerConfig, env = process.env): string {
  if (config.disableClustering) return '';
  const fromEnv = env['VAULT_CLUSTER_ADDR'];
  if (fromEnv) return fromEnv;
  if (config.clusterAddr) return config.clusterAddr;
  if (!config.apiAddr) return '';
  let api: URL;
  try {
    api = new URL(config.apiAddr);
  } catch {
    return '';
  }
  const port = Number(api.port || (api.protocol === 'http:' ? 80 : 443));
  return `https://${api.hostname}:${port + 1}`;
}

/** Where each listener's cluster port binds: its `cluster_address`, else its address's port + 1. */
export function clusterListenAddresses(config: ServerConfig): Array<{ host: string; port: number }> {
  return config.listeners.map((l) => {
    const address = l.clusterAddress ?? l.address.replace(/\d+$/, (p) => String(Number(p) + 1));
    const idx = address.lastIndexOf(':');
    return {
      host: address.slice(0, idx).replace(/^\[|\]$/g, '') || '0.0.0.0',
      port: Number(address.slice(idx + 1)),
    };
  });
}

export interface Clustering {
  /** The standby side; undefined when this node does not cluster. */
  forwarder: Forwarder | undefined;
  /** Binds the cluster listeners, which hand forwarded requests to `app`'s router. */
  listen(app: FastifyInstance): Promise<ClusterListener[]>;
  /** Stops heartbeats and closes the forwarder's connections (the listeners close with the others). */
  close(): void;
}

export function setUpClustering(
  core: Core,
  config: ServerConfig,
  haAvailable: boolean,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
): Clustering {
  if (!haAvailable || config.disableClustering)
    return { forwarder: undefined, listen: async () => [], close: () => undefined };
  const forwarder = new Forwarder({
    active: async () => (core.isStandby() ? core.activeNode() : undefined),
    self: () => core.haSelf()!,
    log,
  });
  forwarder.startHeartbeats();
  return {
    forwarder,
    async listen(app) {
      const listeners: ClusterListener[] = [];
      try {
        for (const { host, port } of clusterListenAddresses(config))
          listeners.push(
            await listenCluster({
              host,
              port,
              identity: () => core.clusterIdentity,
              serve: (req, res) => app.routing(req, res),
              echo: (info) => core.recordEcho(info),
            }),
          );
      } catch (err) {
        for (const l of listeners) await l.close();
        throw err;
      }
      return listeners;
    },
    close: () => forwarder.close(),
  };
}
