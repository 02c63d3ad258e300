// What standbys and the active node say to each other on the cluster port (docs/vault.md#ha-on-etcd):
// HTTP/1.1 over mutually authenticated TLS. An API request goes as it came (method, target,
// headers, body) and its answer comes back as it is; a heartbeat is a POST to ECHO_PATH. Vault
// speaks gRPC there; the shapes differ, the duties are the same.

/** Where a standby's heartbeat goes (never an API path: the API lives under /v1/). */
export const ECHO_PATH = '/cluster/echo';

/** How often a standby echoes to the active node (Vault's default cluster heartbeat interval). */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** How long the active node lists a standby after its last echo (three intervals, as Vault keeps peers). */
export const ECHO_EXPIRY_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** The largest echo body the active node reads. */
export const MAX_ECHO_BYTES = 16 * 1024;

/** A standby's heartbeat: who it is, as sys/ha-status lists it. */
export interface EchoInfo {
  id: string;
  hostname: string;
  api_addr: string;
  cluster_addr: string;
}

/** Parses an echo body; undefined when it is not one. */
export function parseEcho(body: Buffer): EchoInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const fields = ['id', 'hostname', 'api_addr', 'cluster_addr'] as const;
  if (!fields.every((f) => typeof o[f] === 'string') || o['id'] === '') return undefined;
  return {
    id: o['id'] as string,
    hostname: o['hostname'] as string,
    api_addr: o['api_addr'] as string,
    cluster_addr: o['cluster_addr'] as string,
  };
}

/**
 * Headers that belong to one connection, not to the request or response: never relayed (RFC 9110
 * §7.6.1). The standby sets its own X-Forwarded-For.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
