// A request that arrives over TLS while the previous response on the same connection is still being
// written (the socket's write buffer is full) must be answered, not reset. Node's HTTP server pauses
// the socket and its parser at that moment; over TLS it then still handed the parser the rest of the
// record batch it had decrypted, the parser failed with HPE_PAUSED and the connection was destroyed
// without a byte of answer. Keep-alive clients hit it when they reuse a connection a few milliseconds
// after a large response (a PutObject on a reused socket, ~1 in 8,000 operations of the soak).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertsDir } from '../src/config/certs.js';
import { ACCESS_KEY, devCertsDir, SECRET_KEY, startServer, type TestServer } from './helpers.js';
import { openRaw, signHeaders } from './raw-http.js';

const BIG = 8 << 20;
const PUT_SIZE = 1 << 20;

interface Parsed {
  status: number;
  bodyLength: number;
}

/** Splits a byte stream of HTTP/1.1 responses with Content-Length bodies into their status and size. */
function parseResponses(data: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = data.subarray(at, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const bodyEnd = end + 4 + length;
    if (bodyEnd > data.length) break;
    out.push({ status, bodyLength: length });
    at = bodyEnd;
  }
  return out;
}

function request(host: string, method: string, path: string, body?: Buffer): Buffer {
  const headers = signHeaders(host, {
    method,
    path,
    payloadHash: body ? createHash('sha256').update(body).digest('hex') : undefined,
    headers: body ? { 'content-length': String(body.length) } : {},
  });
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

// Plain HTTP never had the fault (one read is one chunk there); it is checked too, so that both
// transports keep the promise.
describe.each(['https', 'http'] as const)('%s connection under write backpressure', (scheme) => {
  let work: string;
  let srv: TestServer;
  let ca: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-tls-bp-'));
    const { certs, ca: caPem } = await devCertsDir(work);
    ca = caPem;
    srv = await startServer(scheme === 'https' ? { tls: loadCertsDir(certs) } : {});
    const client = new S3Client({
      endpoint: srv.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestHandler: { httpsAgent: new Agent({ ca }) },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'bp-test' }));
    await client.send(new PutObjectCommand({ Bucket: 'bp-test', Key: 'big', Body: randomBytes(BIG) }));
    client.destroy();
  });
  afterAll(async () => {
    await srv?.close();
    await rm(work, { recursive: true, force: true });
  });

  const open = () => openRaw(scheme, srv.port, ca);

  it('answers a PUT whose body arrives while a large GET is still being written, then both in order', async () => {
    const host = `127.0.0.1:${srv.port}`;
    const clientErrors: string[] = [];
    srv.app.server.on('clientError', (err: NodeJS.ErrnoException) =>
      clientErrors.push(err.code ?? err.message),
    );
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      const socket = await open();
      const chunks: Buffer[] = [];
      let error: Error | undefined;
      socket.on('error', (err) => {
        error = err;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.pause();
      // The GET's 8 MiB answer fills the server's write buffer while this client does not read.
      socket.write(request(host, 'GET', '/bp-test/big'));
      await new Promise((r) => setTimeout(r, 300));
      // The next request, sent whole: many TLS records (or TCP segments) reach the server together.
      socket.write(request(host, 'PUT', `/bp-test/put-${round}`, randomBytes(PUT_SIZE)));
      await new Promise((r) => setTimeout(r, 300));
      socket.resume();
      const deadline = Date.now() + 15_000;
      let got: Parsed[] = [];
      while (Date.now() < deadline && !socket.destroyed) {
        got = parseResponses(Buffer.concat(chunks));
        if (got.length >= 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      socket.end();
      socket.destroy();
      await closed;
      expect({ round, error: error?.message, clientErrors, responses: got }).toEqual({
        round,
        error: undefined,
        clientErrors: [],
        responses: [
          { status: 200, bodyLength: BIG },
          { status: 200, bodyLength: 0 },
        ],
      });
    }
  });
});
