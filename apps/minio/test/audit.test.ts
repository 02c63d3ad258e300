// The object store's audit log: one entry per request in MinIO's shape, to a file and to a webhook on
// loopback; the encryption facts are in it and no key or credential is; the request's id reaches KES
// with every KMS call it causes; and a webhook that stalls neither slows nor fails S3 requests.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createDevPki } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAuditEnv } from '../src/audit/config.js';
import type { AuditEntry } from '../src/audit/entry.js';
import { FileTarget, WebhookTarget } from '../src/audit/targets.js';
import { collect, startServer, type TestServer } from './helpers.js';
import { type StandIns, startStandIns } from './kes-stand-in.js';

interface Receiver {
  url: string;
  bodies: string[];
  headers: IncomingHttpHeaders[];
  /** When set, requests are held (never answered). */
  stall: boolean;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const held: ServerResponse[] = [];
  const self: Receiver = { url: '', bodies: [], headers: [], stall: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (self.stall) {
        held.push(res);
        return;
      }
      self.bodies.push(Buffer.concat(chunks).toString('utf8'));
      self.headers.push(req.headers);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`;
  self.close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return self;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const webhookDefaults = { id: '', batchSize: 1, queueSize: 1000, httpTimeoutMs: 5000 };

describe('audit entries to a file and a webhook', () => {
  let si: StandIns;
  let srv: TestServer;
  let receiver: Receiver;
  let dir: string;
  let file: string;
  const ssecKey = randomBytes(32);

  beforeAll(async () => {
    si = await startStandIns(1);
    receiver = await startReceiver();
    dir = await mkdtemp(join(tmpdir(), 'minio-audit-'));
    file = join(dir, 'audit.log');
    srv = await startServer({
      kms: si.client([0]),
      allowInsecureSseC: true,
      audit: [
        new FileTarget(file),
        new WebhookTarget({ ...webhookDefaults, endpoint: receiver.url, authorization: 'Bearer t0ken' }),
      ],
    });
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'audit-b' }));
  });
  afterAll(async () => {
    await srv.close();
    await receiver.close();
    await si.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function entries(): Promise<AuditEntry[]> {
    return (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
  }

  async function entryOf(id: string): Promise<AuditEntry> {
    let found: AuditEntry | undefined;
    const end = Date.now() + 5000;
    while (!found && Date.now() < end) {
      found = (await entries()).find((e) => e.requestID === id);
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    if (!found) throw new Error(`no audit entry for ${id}`);
    return found;
  }

  it('records an SSE-S3 PUT and GET in MinIO shape, with the KMS calls and the encryption facts', async () => {
    const put = await srv.s3.send(
      new PutObjectCommand({
        Bucket: 'audit-b',
        Key: 'dir/o.txt',
        Body: 'hello',
        ServerSideEncryption: 'AES256',
      }),
    );
    const putId = put.$metadata.requestId!;
    const e = await entryOf(putId);
    expect(e).toMatchObject({
      version: '1',
      trigger: 'incoming',
      requestID: putId,
      accessKey: 'minio',
      remotehost: '127.0.0.1',
      api: {
        name: 'PutObject',
        bucket: 'audit-b',
        object: 'dir/o.txt',
        status: 'OK',
        statusCode: 200,
        rx: 5,
      },
      requestHeader: { 'X-Amz-Server-Side-Encryption': 'AES256' },
      responseHeader: { 'X-Amz-Server-Side-Encryption': 'AES256', 'X-Amz-Request-Id': putId },
      tags: { kms: [{ op: 'generate', key: 'k', outcome: 'ok' }] },
    });
    expect(e.api.timeToResponseInNS).toMatch(/^\d+$/);
    expect(e.api.timeToResponse).toBe(`${e.api.timeToResponseInNS}ns`);
    expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    expect(e.requestHeader['Authorization']).toBeUndefined();
    expect(e.userAgent).toMatch(/aws-sdk/);

    const get = await srv.s3.send(new GetObjectCommand({ Bucket: 'audit-b', Key: 'dir/o.txt' }));
    expect(await collect(get.Body as AsyncIterable<Uint8Array>)).toEqual(Buffer.from('hello'));
    const g = await entryOf(get.$metadata.requestId!);
    expect(g).toMatchObject({
      api: { name: 'GetObject', statusCode: 200, tx: 5 },
      tags: { kms: [{ op: 'decrypt', key: 'k', outcome: 'ok' }] },
    });
  });

  it('sends the request id to KES as X-Request-Id and a W3C traceparent on every KMS call', async () => {
    si.kes[0]!.seenHeaders.length = 0;
    si.kes[0]!.seen.length = 0;
    const put = await srv.s3.send(
      new PutObjectCommand({ Bucket: 'audit-b', Key: 'traced', Body: 'x', ServerSideEncryption: 'AES256' }),
    );
    const id = put.$metadata.requestId!;
    const i = si.kes[0]!.seen.findIndex((p) => p.startsWith('/v1/key/generate/'));
    expect(i).toBeGreaterThanOrEqual(0);
    const h = si.kes[0]!.seenHeaders[i]!;
    expect(h['x-request-id']).toBe(id);
    expect(h['traceparent']).toMatch(
      new RegExp(`^00-${id.toLowerCase().padStart(32, '0')}-[0-9a-f]{16}-01$`),
    );
  });

  it('never writes an SSE-C key, its copy-source twin or a signature; keeps the key MD5', async () => {
    const md5 = createHash('md5').update(ssecKey).digest('base64');
    const put = await srv.s3.send(
      new PutObjectCommand({
        Bucket: 'audit-b',
        Key: 'ssec',
        Body: 'secret body',
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: ssecKey.toString('base64'),
        SSECustomerKeyMD5: md5,
      }),
    );
    const e = await entryOf(put.$metadata.requestId!);
    expect(e.requestHeader['X-Amz-Server-Side-Encryption-Customer-Algorithm']).toBe('AES256');
    expect(e.requestHeader['X-Amz-Server-Side-Encryption-Customer-Key-Md5']).toBe(md5);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(ssecKey.toString('base64'));
    expect(text).not.toContain('Signature=');
    expect(text).not.toMatch(/"Authorization"/i);
  });

  it('names the API of a request refused before routing, and leaves the probes out', async () => {
    const res = await fetch(`${srv.endpoint}/audit-b/forged`, {
      method: 'PUT',
      body: 'x',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=minio/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20260101T000000Z',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    expect(res.status).toBe(403);
    const e = await entryOf(res.headers.get('x-amz-request-id')!);
    expect(e.api).toMatchObject({ name: 'PutObject', bucket: 'audit-b', object: 'forged', statusCode: 403 });
    expect(e.accessKey).toBeUndefined();
    expect(JSON.stringify(e)).not.toContain('Signature=00');
    const live = await fetch(`${srv.endpoint}/minio/health/live`);
    const liveId = live.headers.get('x-amz-request-id')!;
    // Entries reach the file in order: once a later request's is there, the probe's would be too.
    const after = await srv.s3.send(
      new PutObjectCommand({ Bucket: 'audit-b', Key: 'after-probe', Body: 'p' }),
    );
    await entryOf(after.$metadata.requestId!);
    expect((await entries()).some((x) => x.requestID === liveId)).toBe(false);
  });

  it('POSTs each entry to the webhook with its token', async () => {
    const put = await srv.s3.send(new PutObjectCommand({ Bucket: 'audit-b', Key: 'hooked', Body: 'y' }));
    const id = put.$metadata.requestId!;
    await until(() => receiver.bodies.some((b) => b.includes(id)));
    const i = receiver.bodies.findIndex((b) => b.includes(id));
    expect(receiver.headers[i]!['authorization']).toBe('Bearer t0ken');
    expect(receiver.headers[i]!['content-type']).toBe('application/json');
    const e = JSON.parse(receiver.bodies[i]!) as AuditEntry;
    expect(e).toMatchObject({ requestID: id, api: { name: 'PutObject', object: 'hooked' } });
  });
});

describe('a stalled webhook', () => {
  it('neither slows nor fails S3 requests; entries beyond the queue are dropped and counted', async () => {
    const receiver = await startReceiver();
    receiver.stall = true;
    const hook = new WebhookTarget({
      ...webhookDefaults,
      endpoint: receiver.url,
      queueSize: 2,
      httpTimeoutMs: 60_000,
    });
    const srv = await startServer({ audit: [hook] });
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      await srv.s3.send(new CreateBucketCommand({ Bucket: 'audit-b' }));
      const t0 = Date.now();
      for (let i = 0; i < 10; i++)
        await srv.s3.send(new PutObjectCommand({ Bucket: 'audit-b', Key: `k${i}`, Body: 'z' }));
      expect(Date.now() - t0).toBeLessThan(5_000);
      // 11 entries: one in flight (held by the receiver), two queued, the rest dropped.
      await until(() => hook.stats().dropped + hook.stats().queued >= 10);
      expect(hook.stats()).toEqual({ sent: 0, queued: 2, dropped: 8 });
      // Said once on stderr (rate-limited), not once per entry.
      const said = stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('audit: '));
      expect(said).toEqual(['audit: audit_webhook: dropping entries (queue full); 1 dropped so far\n']);
    } finally {
      stderr.mockRestore();
      await receiver.close();
      await srv.close();
    }
  });

  it('counts a batch the receiver refuses as dropped and sends batches of up to BATCH_SIZE', async () => {
    const receiver = await startReceiver();
    const hook = new WebhookTarget({ ...webhookDefaults, endpoint: receiver.url, batchSize: 3 });
    for (let i = 0; i < 7; i++) hook.send(JSON.stringify({ n: i }));
    await until(() => hook.stats().sent === 7);
    // The first entry goes alone (nothing else waited yet is not guaranteed), the rest in batches ≤ 3.
    for (const body of receiver.bodies) expect(body.split('\n').length).toBeLessThanOrEqual(3);
    expect(
      receiver.bodies
        .join('\n')
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await receiver.close();
    hook.send('{"n":7}');
    await until(() => hook.stats().dropped === 1);
    await hook.close();
  });
});

describe('a webhook over mutual TLS', () => {
  it('presents MINIO_AUDIT_WEBHOOK_CLIENT_CERT/_KEY and trusts the certs directory CAs; without either, entries drop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-mtls-'));
    const pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
    const got: Array<{ body: string; cn: unknown }> = [];
    const server = createHttpsServer(
      {
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        ca: pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
          got.push({ body: Buffer.concat(chunks).toString(), cn: peer.subject?.CN });
          res.writeHead(200).end();
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const client = pki.clients['minio']!;
    const good = new WebhookTarget(
      {
        ...webhookDefaults,
        endpoint,
        clientCert: Buffer.from(client.certPem),
        clientKey: Buffer.from(client.keyPem),
      },
      [pki.ca.certPem],
    );
    const noCert = new WebhookTarget({ ...webhookDefaults, endpoint }, [pki.ca.certPem]);
    const untrusted = new WebhookTarget({
      ...webhookDefaults,
      endpoint,
      clientCert: Buffer.from(client.certPem),
      clientKey: Buffer.from(client.keyPem),
    });
    try {
      good.send('{"n":1}');
      noCert.send('{"n":2}');
      untrusted.send('{"n":3}');
      await until(
        () => good.stats().sent === 1 && noCert.stats().dropped === 1 && untrusted.stats().dropped === 1,
      );
      expect(got).toEqual([{ body: '{"n":1}', cn: 'minio' }]);
    } finally {
      await Promise.all([good.close(), noCert.close(), untrusted.close()]);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('audit environment', () => {
  it('reads MinIO webhook targets, default and suffixed, and our file target', () => {
    const c = loadAuditEnv({
      MINIO_AUDIT_WEBHOOK_ENABLE: 'on',
      MINIO_AUDIT_WEBHOOK_ENDPOINT: 'http://127.0.0.1:1/a',
      MINIO_AUDIT_WEBHOOK_AUTH_TOKEN: 'tok',
      MINIO_AUDIT_WEBHOOK_ENABLE_PRIMARY: 'on',
      MINIO_AUDIT_WEBHOOK_ENDPOINT_PRIMARY: 'https://h/p',
      MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_PRIMARY: 'Custom abc',
      MINIO_AUDIT_WEBHOOK_BATCH_SIZE_PRIMARY: '10',
      MINIO_AUDIT_WEBHOOK_QUEUE_SIZE_PRIMARY: '50',
      MINIO_AUDIT_WEBHOOK_HTTP_TIMEOUT_PRIMARY: '750ms',
      MINIO_AUDIT_WEBHOOK_ENABLE_OFF: 'off',
      MINIO_AUDIT_FILE_ENABLE: 'on',
      MINIO_AUDIT_FILE_PATH: '/tmp/a.log',
    });
    expect(c.webhooks).toEqual([
      expect.objectContaining({
        id: '',
        authorization: 'Bearer tok',
        batchSize: 1,
        queueSize: 100_000,
        httpTimeoutMs: 5000,
      }),
      expect.objectContaining({
        id: 'PRIMARY',
        authorization: 'Custom abc',
        batchSize: 10,
        queueSize: 50,
        httpTimeoutMs: 750,
      }),
    ]);
    expect(c.file).toEqual({ path: '/tmp/a.log' });
  });

  it('turns credentials in the endpoint URL into Basic authentication and out of the URL', () => {
    const [w] = loadAuditEnv({
      MINIO_AUDIT_WEBHOOK_ENABLE: 'on',
      MINIO_AUDIT_WEBHOOK_ENDPOINT: 'http://elastic:p%40ss@127.0.0.1:9200/audit/_doc',
    }).webhooks;
    expect(w).toMatchObject({
      endpoint: 'http://127.0.0.1:9200/audit/_doc',
      authorization: `Basic ${Buffer.from('elastic:p@ss').toString('base64')}`,
    });
  });

  it.each([
    [{ MINIO_AUDIT_WEBHOOK_ENABLE: 'on' }, /MINIO_AUDIT_WEBHOOK_ENDPOINT is required/],
    [{ MINIO_AUDIT_WEBHOOK_ENABLE: 'yes please' }, /MINIO_AUDIT_WEBHOOK_ENABLE: expected "on" or "off"/],
    [
      { MINIO_AUDIT_WEBHOOK_ENABLE_X: 'on', MINIO_AUDIT_WEBHOOK_ENDPOINT_X: 'ftp://h' },
      /ENDPOINT_X: expected an http/,
    ],
    [
      {
        MINIO_AUDIT_WEBHOOK_ENABLE: 'on',
        MINIO_AUDIT_WEBHOOK_ENDPOINT: 'http://h',
        MINIO_AUDIT_WEBHOOK_QUEUE_DIR: '/q',
      },
      /MINIO_AUDIT_WEBHOOK_QUEUE_DIR: not supported/,
    ],
    [
      {
        MINIO_AUDIT_WEBHOOK_ENABLE: 'on',
        MINIO_AUDIT_WEBHOOK_ENDPOINT: 'http://h',
        MINIO_AUDIT_WEBHOOK_CLIENT_CERT: '/c',
      },
      /CLIENT_CERT and MINIO_AUDIT_WEBHOOK_CLIENT_KEY go together/,
    ],
    [
      {
        MINIO_AUDIT_WEBHOOK_ENABLE: 'on',
        MINIO_AUDIT_WEBHOOK_ENDPOINT: 'http://h',
        MINIO_AUDIT_WEBHOOK_BATCH_SIZE: '0',
      },
      /BATCH_SIZE: expected a positive integer/,
    ],
    [{ MINIO_AUDIT_FILE_ENABLE: 'on' }, /MINIO_AUDIT_FILE_PATH is required/],
  ])('refuses %j', (env, error) => {
    expect(() => loadAuditEnv(env)).toThrow(error);
  });
});
