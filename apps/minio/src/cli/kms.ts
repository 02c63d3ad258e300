// `minio kms status | key status [KEY] | key create KEY`: the admin KMS API for a person, like
// `mc admin kms key status`. Talks SigV4-signed HTTP(S) to a running server.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnvConfig } from '../config/env.js';
import { parseOrExit } from './args.js';

const usage = `NAME:
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

/** Runs `minio kms …`; resolves to the exit code. */
export async function runKms(args: string[]): Promise<number> {
  const parsed = parseOrExit(() => parse(args), usage);
  if (typeof parsed === 'number') return parsed;
  const [group, action, arg, ...extra] = parsed.positionals;
  const op =
    group === 'status' && action === undefined
      ? 'status'
      : group === 'key' && action === 'status' && extra.length === 0
        ? 'key-status'
        : group === 'key' && action === 'create' && arg !== undefined && extra.length === 0
          ? 'key-create'
          : undefined;
  if (!op) {
    process.stderr.write(`Error: unknown or incomplete kms command\n\n${usage}`);
    return 2;
  }
  let endpoint: URL;
  let creds: { accessKey: string; secretKey: string };
  let ca: string | undefined;
  try {
    endpoint = new URL(parsed.values.endpoint ?? 'http://127.0.0.1:9000');
    creds = loadEnvConfig(process.env).credentials;
    ca = parsed.values.ca !== undefined ? readFileSync(parsed.values.ca, 'utf8') : undefined;
  } catch (err) {
    process.stderr.write(
      `Error: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  const tls = { ca, insecure: parsed.values.insecure ?? false };
  let reply: Reply;
  try {
    if (op === 'status')
      reply = await adminRequest(endpoint, 'POST', '/minio/admin/v3/kms/status', {}, creds, tls);
    else if (op === 'key-status') {
      reply = await adminRequest(
        endpoint,
        'GET',
        '/minio/admin/v3/kms/key/status',
        arg !== undefined ? { 'key-id': arg } : {},
        creds,
        tls,
      );
    } else {
      reply = await adminRequest(
        endpoint,
        'POST',
        '/minio/admin/v3/kms/key/create',
        { 'key-id': arg! },
        creds,
        tls,
      );
    }
  } catch (err) {
    process.stderr.write(`Error: cannot reach ${endpoint.origin}: ${(err as Error).message}\n`);
    return 1;
  }
  if (reply.status !== 200) {
    process.stderr.write(`Error: ${failure(reply)}\n`);
    return 1;
  }
  if (op === 'status') {
    const s = JSON.parse(reply.body) as {
      name: string;
      'default-key-id': string;
      endpoints: Record<string, string>;
    };
    const lines = [`KMS: ${s.name}`, `Default key: ${s['default-key-id']}`, 'Endpoints:'];
    for (const [url, state] of Object.entries(s.endpoints))
      lines.push(`  - ${url}  ${state === 'online' ? '✔' : '✗'} ${state}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return Object.values(s.endpoints).every((v) => v === 'online') ? 0 : 1;
  }
  if (op === 'key-create') {
    process.stdout.write(`Created master key ${arg}\n`);
    return 0;
  }
  const k = JSON.parse(reply.body) as {
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

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      endpoint: { type: 'string' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
