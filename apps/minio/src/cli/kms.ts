// `minio kms status | key status [KEY] | key create KEY`: the admin KMS API for a person, like
// `mc admin kms key status`. Talks SigV4-signed HTTP(S) to a running server.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { type CommandTable, parseFlags, UsageError } from '@kms-chain/cli';
import { loadEnvConfig } from '../config/env.js';

export const kmsUsage = `NAME:
  minio kms - show the KMS status and test keys of a running server

USAGE:
  minio kms status [FLAGS]
  minio kms key status [FLAGS] [KEY]
  minio kms key create [FLAGS] KEY

FLAGS:
  --endpoint value  the server (default: "http://127.0.0.1:9000")
  --ca value        PEM file of the CA that signed the server's certificate
  --insecure        do not verify the server's certificate
  --help, -h        show help

ENVIRONMENT VARIABLES:
  MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   credentials (legacy: MINIO_ACCESS_KEY, MINIO_SECRET_KEY)
`;

interface Reply {
  status: number;
  body: string;
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Sends a SigV4-signed admin request with an empty body. */
function adminRequest(
  endpoint: URL,
  method: string,
  path: string,
  query: Record<string, string>,
  creds: { accessKey: string; secretKey: string },
  tls: { ca?: string; insecure: boolean },
): Promise<Reply> {
  const stamp = amzDate(new Date());
  const day = stamp.slice(0, 8);
  const emptyHash = createHash('sha256').update('').digest('hex');
  const headers: Record<string, string> = {
    host: endpoint.host,
    'x-amz-date': stamp,
    'x-amz-content-sha256': emptyHash,
  };
  const names = Object.keys(headers).sort();
  const rfc3986 = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonical = [
    method,
    path,
    canonicalQuery,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    emptyHash,
  ].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')];
  const signature = createHmac('sha256', key).update(toSign.join('\n')).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  const isHttps = endpoint.protocol === 'https:';
  const send = isHttps ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: endpoint.hostname.replace(/^\[|\]$/g, ''),
        port: endpoint.port || (isHttps ? 443 : 80),
        method,
        path: canonicalQuery ? `${path}?${canonicalQuery}` : path,
        headers,
        ...(isHttps ? { ca: tls.ca, rejectUnauthorized: !tls.insecure } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function failure(reply: Reply): string {
  try {
    const v = JSON.parse(reply.body) as { Message?: string; Code?: string };
    if (v.Message) return `${v.Message} (${v.Code ?? reply.status})`;
  } catch {
    // not JSON: an S3 XML error or plain text
  }
  const m = /<Message>([^<]*)<\/Message>/.exec(reply.body);
  return m ? m[1]! : `HTTP ${reply.status}`;
}

const kmsFlags = {
  endpoint: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/**
 * A `minio kms` command: its flags and `argc` positional arguments (`optional` of them may be left
 * out), then one admin request whose reply (status 200) `print` shows and turns into the exit code.
 */
function adminCommand(
  argc: number,
  optional: number,
  request: (args: string[]) => { method: string; path: string; query: Record<string, string> },
  print: (body: string, args: string[]) => number,
) {
  return async (argv: string[]): Promise<number> => {
    const { values, positionals } = parseFlags(argv, kmsFlags);
    if (positionals.length > argc) throw new UsageError(`too many arguments: ${positionals.join(' ')}`);
    if (positionals.length < argc - optional) throw new UsageError('missing KEY');
    const endpoint = new URL(values.endpoint ?? 'http://127.0.0.1:9000');
    const creds = loadEnvConfig(process.env).credentials;
    const tls = {
      ca: values.ca !== undefined ? readFileSync(values.ca, 'utf8') : undefined,
      insecure: values.insecure ?? false,
    };
    const { method, path, query } = request(positionals);
    let reply: Reply;
    try {
      reply = await adminRequest(endpoint, method, path, query, creds, tls);
    } catch (err) {
      process.stderr.write(`Error: cannot reach ${endpoint.origin}: ${(err as Error).message}\n`);
      return 1;
    }
    if (reply.status !== 200) {
      process.stderr.write(`Error: ${failure(reply)}\n`);
      return 1;
    }
    return print(reply.body, positionals);
  };
}

function printStatus(body: string): number {
  const s = JSON.parse(body) as { name: string; 'default-key-id': string; endpoints: Record<string, string> };
  const lines = [`KMS: ${s.name}`, `Default key: ${s['default-key-id']}`, 'Endpoints:'];
  for (const [url, state] of Object.entries(s.endpoints))
    lines.push(`  - ${url}  ${state === 'online' ? '✔' : '✗'} ${state}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return Object.values(s.endpoints).every((v) => v === 'online') ? 0 : 1;
}

function printKeyStatus(body: string): number {
  const k = JSON.parse(body) as {
    'key-id': string;
    'encryption-error'?: string;
    'decryption-error'?: string;
  };
  const enc = k['encryption-error'];
  const dec = k['decryption-error'] ?? (enc !== undefined ? 'not tested' : undefined);
  process.stdout.write(
    `Key: ${k['key-id']}\n   - Encryption ${enc === undefined ? '✔' : `✗ (${enc})`}\n   - Decryption ${dec === undefined ? '✔' : `✗ (${dec})`}\n`,
  );
  return enc === undefined && dec === undefined ? 0 : 1;
}

/** `minio kms …`: all three share the one usage text. */
export const kmsCommands: CommandTable<void> = {
  status: {
    run: adminCommand(
      0,
      0,
      () => ({ method: 'POST', path: '/minio/admin/v3/kms/status', query: {} }),
      printStatus,
    ),
  },
  key: {
    commands: {
      status: {
        run: adminCommand(
          1,
          1,
          ([key]) => ({
            method: 'GET',
            path: '/minio/admin/v3/kms/key/status',
            query: key !== undefined ? { 'key-id': key } : ({} as Record<string, string>),
          }),
          printKeyStatus,
        ),
      },
      create: {
        run: adminCommand(
          1,
          0,
          ([key]) => ({ method: 'POST', path: '/minio/admin/v3/kms/key/create', query: { 'key-id': key! } }),
          (_body, [key]) => {
            process.stdout.write(`Created master key ${key}\n`);
            return 0;
          },
        ),
      },
    },
  },
};
