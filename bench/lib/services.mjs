// Load clients for the key services: KES over mTLS keep-alive, Vault over TLS keep-alive. Each
// request must answer 2xx; anything else rejects, so a figure never counts failed calls.
import https from 'node:https';
import { httpsOk } from '@kms-chain/tools';

/** A keep-alive HTTPS agent; `cert`/`key` make it an mTLS client. */
export function keepAliveAgent({ ca, cert, key, sockets }) {
  return new https.Agent({ keepAlive: true, maxSockets: sockets, ca, cert, key });
}

/** One JSON request over `agent`; resolves with the parsed body (or null when empty) on 2xx, else rejects. */
export function jsonCall(agent, base, method, path, { headers = {}, body } = {}) {
  return httpsOk(`${method} ${path}`, new URL(path, base), { agent, method, headers, body, timeoutMs: 0 });
}
