// A small HTTPS client for tests that speaks to KES as MinIO does (POST + JSON + base64).
import https from 'node:https';
import type { TestCert } from './pki.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests index into arbitrary KES responses
  json: () => any;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  raw?: Buffer | string;
  client?: TestCert;
  headers?: Record<string, string>;
}

export class KesTestClient {
  readonly base: string;
  readonly ca: string;
  readonly agents = new Map<string, https.Agent>();

  constructor(base: string, ca: string) {
    this.base = base;
    this.ca = ca;
  }

  #agent(client?: TestCert): https.Agent {
    const id = client?.identity ?? 'none';
    let a = this.agents.get(id);
    if (!a) {
      a = new https.Agent({
        keepAlive: true,
        ca: this.ca,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      this.agents.set(id, a);
    }
    return a;
  }

  call(path: string, opts: CallOptions = {}): Promise<Reply> {
    const payload =
      opts.raw !== undefined
        ? Buffer.from(opts.raw)
        : opts.body !== undefined
          ? Buffer.from(JSON.stringify(opts.body))
          : undefined;
    const headers: Record<string, string> = { ...opts.headers };
    if (payload) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.base),
        { method: opts.method ?? 'GET', agent: this.#agent(opts.client), headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: () => JSON.parse(text),
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  post(path: string, body: unknown, client?: TestCert): Promise<Reply> {
    return this.call(path, { method: 'POST', body, client });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
  }
}

export const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
