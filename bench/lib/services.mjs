// Load clients for the key services: KES over mTLS keep-alive, Vault over TLS keep-alive. Each
// request must answer 2xx; anything else rejects, so a figure never counts failed calls.
import https from 'node:https';

/** A keep-alive HTTPS agent; `cert`/`key` make it an mTLS client. */
export function keepAliveAgent({ ca, cert, key, sockets }) {
  return new https.Agent({ keepAlive: true, maxSockets: sockets, ca, cert, key });
}

/** One JSON request; resolves with the parsed body (or null when empty) on 2xx, else rejects. */
export function jsonCall(agent, base, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const h = { ...headers };
  if (payload) {
    h['content-type'] = 'application/json';
    h['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, base), { method, agent, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          reject(new Error(`${method} ${path}: HTTP ${status} ${text.slice(0, 200)}`));
          return;
        }
        try {
          resolve(text ? JSON.parse(text) : null);
        } catch {
          reject(new Error(`${method} ${path}: not JSON`));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
