// The HTTPS client the `kes` commands use: server and credentials from flags and the environment
// of every KES era (docs/kes-protocol.md#client-environment), mTLS with the client's certificate.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { CliError, type FlagValues, parseFlags } from '@kms-chain/cli';
import { createClientAgent } from '@kms-chain/tls-identity';
import { apiKeyCertificate } from './api-key.js';
import type { Io } from './io.js';

export interface ClientOptions {
  server?: string;
  insecure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface KesResponse {
  status: number;
  body: Buffer;
  json<T = unknown>(): T;
}

const first = (env: NodeJS.ProcessEnv, names: string[]): string | undefined => {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return undefined;
};

/** Server URLs in preference order (comma-separated lists allowed; https:// prepended). */
export function serverEndpoints(env: NodeJS.ProcessEnv, flag?: string): string[] {
  const raw =
    flag || first(env, ['MINIO_KES_SERVER', 'KES_SERVER', 'MINIO_KMS_KES_ENDPOINT']) || '127.0.0.1:7373';
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^https?:\/\//.test(s) ? s : `https://${s}`));
}

export class KesClient {
  readonly #endpoints: string[];
  readonly #agent: https.Agent;

  /**
   * A client with credentials from the environment: an API key (MINIO_KES_API_KEY › KES_API_KEY ›
   * MINIO_KMS_KES_API_KEY) or a key/cert file pair (the HEAD, E2–E3 and E1 variable names).
   */
  static async create(opts: ClientOptions = {}): Promise<KesClient> {
    const env = opts.env ?? process.env;
    const apiKey = first(env, ['MINIO_KES_API_KEY', 'KES_API_KEY', 'MINIO_KMS_KES_API_KEY']);
    if (!apiKey) return new KesClient(opts);
    const keyFile = first(env, [
      'MINIO_KES_KEY_FILE',
      'KES_CLIENT_KEY',
      'MINIO_KES_CLIENT_KEY',
      'KES_CLIENT_TLS_KEY_FILE',
    ]);
    if (keyFile) throw new CliError('an API key and a client key/certificate are mutually exclusive');
    const cert = await apiKeyCertificate(apiKey);
    return new KesClient(opts, { key: cert.keyPem, cert: cert.certPem });
  }

  constructor(opts: ClientOptions = {}, creds?: { key: string; cert: string }) {
    const env = opts.env ?? process.env;
    this.#endpoints = serverEndpoints(env, opts.server);
    const keyFile = first(env, [
      'MINIO_KES_KEY_FILE',
      'KES_CLIENT_KEY',
      'MINIO_KES_CLIENT_KEY',
      'KES_CLIENT_TLS_KEY_FILE',
    ]);
    const certFile = first(env, [
      'MINIO_KES_CERT_FILE',
      'KES_CLIENT_CERT',
      'MINIO_KES_CLIENT_CERT',
      'KES_CLIENT_TLS_CERT_FILE',
    ]);
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new CliError(
          `failed to read ${what} '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    };
    const caFile = env.KES_CLIENT_CA;
    try {
      this.#agent = createClientAgent({
        ...(creds ? creds : {}),
        ...(!creds && keyFile ? { key: read(keyFile, 'client key') } : {}),
        ...(!creds && certFile ? { cert: read(certFile, 'client certificate') } : {}),
        ...(caFile ? { ca: read(caFile, 'CA certificate') } : {}),
        rejectUnauthorized: !opts.insecure,
        keepAlive: false,
      });
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`invalid client credentials: ${(err as Error).message}`);
    }
  }

  /** Sends one request, trying each endpoint in turn on network errors. */
  async request(method: string, path: string, body?: unknown): Promise<KesResponse> {
    let lastErr: unknown;
    for (const ep of this.#endpoints) {
      try {
        return await this.#send(ep, method, path, body);
      } catch (err) {
        lastErr = err;
      }
    }
    throw new CliError((lastErr as Error)?.message ?? 'no KES server');
  }

  /** Opens a streaming GET; `onLine` gets every ndjson line until the stream ends. */
  stream(path: string, onLine: (line: string) => void): Promise<number> {
    const url = new URL(path, this.#endpoints[0]);
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: 'GET', agent: this.#agent }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new CliError(messageOf(res.statusCode ?? 0, Buffer.concat(chunks)))));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() !== '') onLine(line);
            nl = buf.indexOf('\n');
          }
        });
        res.on('end', () => resolve(0));
      });
      req.on('error', (e) => reject(new CliError(e.message)));
      req.end();
    });
  }

  #send(ep: string, method: string, path: string, body?: unknown): Promise<KesResponse> {
    const url = new URL(path, ep);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.#agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              body: buf,
              json: <T>() => JSON.parse(buf.toString('utf8')) as T,
            });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** The server's error text: `{"message"}` (HEAD), `{"error"}`, or plain text. */
export function messageOf(status: number, body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const o = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.error === 'string') return o.error;
  } catch {
    // plain text
  }
  return text || `HTTP ${status}`;
}

/** Throws `CliError(prefix: message)` unless the status is 200. */
export function expectOk(r: KesResponse, prefix: string): void {
  if (r.status !== 200) throw new CliError(`${prefix}: ${messageOf(r.status, r.body)}`);
}

/**
 * The help text of a client command: its synopsis lines, its own option lines (each
 * `    -x, --name <v>           What it does.`), then the options every client command takes.
 */
export function clientUsage(synopsis: readonly string[], options = ''): string {
  return `Usage:\n${synopsis.map((s) => `    ${s}\n`).join('')}
Options:
${options}    -k, --insecure           Skip TLS certificate validation.
    -s, --server <url>       KES server (default $KES_SERVER, else 127.0.0.1:7373).
        --json               Print JSON (the default when stdout is not a terminal).
    -h, --help               Print command line options.
`;
}

/** The flags every client command takes. */
export const clientFlags = {
  insecure: { type: 'boolean', aliases: ['k'] },
  server: { type: 'string', aliases: ['s'] },
  json: { type: 'boolean' },
} as const;

/**
 * A client command's common start: its flags parsed (`flags` adds to clientFlags), its positional
 * arguments passed to `check` (which throws UsageError when they are wrong) before any credential
 * is read, and a client for the server the flags and the environment name. `json` says whether to
 * print JSON: asked for, or stdout is not a terminal.
 */
export async function connect<T extends typeof clientFlags>(
  args: string[],
  io: Io,
  flags: T = clientFlags as T,
  check: (positionals: string[]) => void = () => {},
): Promise<{ client: KesClient; values: FlagValues<T>; positionals: string[]; json: boolean }> {
  const { values, positionals } = parseFlags(args, flags);
  check(positionals);
  const common = values as FlagValues<typeof clientFlags>;
  const client = await KesClient.create({ server: common.server, insecure: common.insecure, env: io.env });
  return { client, values, positionals, json: common.json === true || !io.isTTY };
}
