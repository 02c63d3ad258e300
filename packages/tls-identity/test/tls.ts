// Test helpers: real TLS servers on 127.0.0.1 and clients that report what happened.

import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as tls from 'node:tls';

/** Starts `server` on an ephemeral 127.0.0.1 port and returns the port. */
export async function listen(server: tls.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function close(server: tls.Server): Promise<void> {
  (server as https.Server).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The outcome of one HTTPS GET: a status and a body, or the error's code. */
export type Outcome = { ok: true; status: number; body: string } | { ok: false; error: string };

/** GET `path` on 127.0.0.1:`port` with the given request options; never rejects. */
export function get(port: number, options: https.RequestOptions, path = '/'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'GET', ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
