// Pieces shared by the two minio benchmarks (bench.mjs and sse-bench.mjs): SigV4 signing with an
// unsigned payload, one streaming HTTP request, timing, a worker pool and starting a server process.
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';

export const MiB = 1024 * 1024;

/** SigV4 headers for `method path` on `host`; `extra` headers are signed too. */
export function sign(method, host, path, accessKey, secretKey, extra = {}) {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = stamp.slice(0, 8);
  const headers = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': stamp, ...extra };
  const names = Object.keys(headers).sort();
  const canonical = [
    method,
    path,
    '',
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    stamp,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const h = (k, d) => createHmac('sha256', k).update(d).digest();
  const key = h(h(h(h(`AWS4${secretKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const sig = createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return headers;
}

/** One request to 127.0.0.1:port; resolves with the response body's byte count, rejects on >= 300. */
export function send({ port, method, path, headers, body, agent, label }) {
  return new Promise((resolve, reject) => {
    if (body) headers['content-length'] = String(body.length);
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
      });
      res.on('end', () => {
        if (res.statusCode >= 300) reject(new Error(`${label}${method} ${path}: HTTP ${res.statusCode}`));
        else resolve(bytes);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) {
      // Write in 1 MiB slices, as a streaming client would.
      for (let i = 0; i < body.length; i += MiB) req.write(body.subarray(i, i + MiB));
    }
    req.end();
  });
}

/** Seconds `fn` takes. */
export async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs fn(0) … fn(total - 1) with at most `width` in flight. */
export async function pool(total, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

/**
 * Starts `node args…` and resolves once its stdout matches `pattern`, whose first capture group that
 * matched is the listening port.
 */
export function start(name, args, env, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve({ name, child, port: Number(m.slice(1).find((g) => g !== undefined)) });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}
