// A lean S3 client for load: SigV4 over keep-alive HTTP(S) with an unsigned payload, bodies written
// in 1 MiB slices with back-pressure, responses drained and counted. @kms-chain/tools signs.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { signHeaders } from '@kms-chain/tools';

const MiB = 1024 * 1024;

/** An S3 endpoint with its own keep-alive agent. `creds` undefined sends unsigned requests. */
export function s3Endpoint({ name, url, creds, ca, sockets = 64 }) {
  const u = new URL(url);
  const isTls = u.protocol === 'https:';
  const agent = isTls
    ? new https.Agent({ keepAlive: true, maxSockets: sockets, ca })
    : new http.Agent({ keepAlive: true, maxSockets: sockets });
  return { name, isTls, host: u.hostname, port: Number(u.port), creds, agent };
}

/** The S3 error of a failed request: HTTP status and the `<Code>` of the XML body. */
export class S3RequestError extends Error {
  constructor(what, status, code) {
    super(`${what}: HTTP ${status}${code ? ` ${code}` : ''}`);
    this.status = status;
    this.code = code;
  }
}

async function writeBody(req, body, repeat) {
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < body.length; i += MiB) {
      if (!req.write(body.subarray(i, i + MiB))) await new Promise((resolve) => req.once('drain', resolve));
    }
  }
  req.end();
}

/**
 * One request. `body` (a Buffer) is sent `repeat` times as one object, so a 1 GiB PUT needs only a
 * 64 MiB buffer. Resolves with { status, headers, bytes, data } (`data`: the first 64 KiB when `keep`);
 * any status ≥ 300 rejects with S3RequestError.
 */
export function s3Call(ep, method, path, { headers = {}, body, repeat = 1, keep = false } = {}) {
  const length = body ? body.length * repeat : 0;
  const opts = {
    host: ep.host,
    port: ep.port,
    method,
    path,
    headers: { ...headers, host: `${ep.host}:${ep.port}` },
    agent: ep.agent,
  };
  if (body || method === 'PUT') opts.headers['content-length'] = String(length);
  if (ep.creds) {
    const [wirePath, query = ''] = path.split('?', 2);
    opts.headers = signHeaders(
      opts.headers.host,
      { accessKey: ep.creds[0], secretKey: ep.creds[1] },
      { method, path: wirePath, query, headers: opts.headers },
    );
  }
  const lib = ep.isTls ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(opts, (res) => {
      let bytes = 0;
      const chunks = [];
      const status = res.statusCode ?? 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if ((keep || status >= 300) && bytes <= 65_536) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const text = status >= 300 ? data.toString('utf8') : '';
        if (status >= 300) {
          const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
          reject(new S3RequestError(`${ep.name} ${method} ${path}`, status, code));
        } else resolve({ status, headers: res.headers, bytes, data });
      });
    });
    req.on('error', reject);
    if (body) writeBody(req, body, repeat).catch(reject);
    else req.end();
  });
}

/** Creates a bucket; an existing one owned by us is fine. */
export async function ensureBucket(ep, bucket) {
  try {
    await s3Call(ep, 'PUT', `/${bucket}`);
  } catch (err) {
    if (!(err instanceof S3RequestError && err.code === 'BucketAlreadyOwnedByYou')) throw err;
  }
}

/**
 * The request headers of each server-side encryption type, and the response header that proves the
 * object was stored that way. SSE-C sends its key on GET too (`getHeaders`).
 */
export function sseModes(kmsKeyName) {
  const customerKey = randomBytes(32);
  const customer = {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': customerKey.toString('base64'),
    'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(customerKey).digest('base64'),
  };
  return [
    { id: 'plain', label: 'plaintext', putHeaders: {}, getHeaders: {}, proof: undefined },
    {
      id: 'sse-s3',
      label: 'SSE-S3',
      putHeaders: { 'x-amz-server-side-encryption': 'AES256' },
      getHeaders: {},
      proof: ['x-amz-server-side-encryption', 'AES256'],
    },
    {
      id: 'sse-kms',
      label: 'SSE-KMS',
      putHeaders: {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': kmsKeyName,
      },
      getHeaders: {},
      proof: ['x-amz-server-side-encryption', 'aws:kms'],
    },
    {
      id: 'sse-c',
      label: 'SSE-C',
      putHeaders: customer,
      getHeaders: customer,
      proof: ['x-amz-server-side-encryption-customer-algorithm', 'AES256'],
    },
  ];
}

/**
 * Whether the server stores objects with this mode: PUT a small object, HEAD it for the proof header,
 * GET it back and compare. Resolves { ok: true } or { ok: false, reason } — never throws for a
 * refusal, so a server without SSE yet is reported as such instead of failing the run.
 */
export async function probeMode(ep, bucket, mode) {
  const key = `/${bucket}/probe-${mode.id}`;
  const body = randomBytes(1000);
  try {
    await s3Call(ep, 'PUT', key, { headers: mode.putHeaders, body });
    const head = await s3Call(ep, 'HEAD', key, { headers: mode.getHeaders });
    if (mode.proof) {
      const [name, value] = mode.proof;
      if (head.headers[name] !== value)
        return { ok: false, reason: `PUT accepted but HEAD does not report ${name}: ${value}` };
    } else if (head.headers['x-amz-server-side-encryption']) {
      return { ok: false, reason: 'plaintext PUT was stored encrypted (auto-encryption on?)' };
    }
    const got = await s3Call(ep, 'GET', key, { headers: mode.getHeaders, keep: true });
    if (!got.data.equals(body)) return { ok: false, reason: 'GET did not return the bytes that were PUT' };
    return { ok: true };
  } catch (err) {
    if (err instanceof S3RequestError) return { ok: false, reason: `server answered ${err.message}` };
    throw err;
  }
}
