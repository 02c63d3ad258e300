// A stalled KES must not hold S3 requests for the whole stall: each attempt and each request has a
// deadline (short ones here), a stalled endpoint is left for the next, the number of requests waiting
// on KES is bounded, and once KES answers again requests succeed without a restart. Timings are
// asserted loosely ("well under the 30 s stall"): the machine running the tests may be loaded.
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KesClient } from '../src/kms/kes-client.js';
import { isKmsError, type KmsError } from '../src/kms/kms.js';
import { collect, startServer, type TestServer } from './helpers.js';
import { type StandIns, startStandIns } from './kes-stand-in.js';

/** Well under the stand-in's stall (it never answers), well over the deadlines used here. */
const WELL_UNDER_STALL_MS = 5_000;

async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - t0, value };
  } catch (error) {
    return { ms: Date.now() - t0, error };
  }
}

let si: StandIns;
beforeAll(async () => {
  si = await startStandIns(3);
});
afterAll(async () => {
  await si.close();
});
afterEach(() => {
  for (const k of si.kes) {
    k.mode = 'answer';
    k.seen.length = 0;
  }
});

describe('KesClient deadlines against a stalled KES', () => {
  it('gives up on a KES that accepts the connection and never sends headers, not retrying it', async () => {
    si.kes[0]!.mode = 'stall-headers';
    const client = si.client([0], { timeoutMs: 2_000, endpointTimeoutMs: 0 });
    const r = await timed(client.generateKey('k', Buffer.from('{}')));
    expect(isKmsError(r.error)).toBe(true);
    expect((r.error as KmsError).kind).toBe('unavailable');
    expect((r.error as KmsError).message).toMatch(/did not answer/);
    expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
    expect(si.kes[0]!.seen).toHaveLength(1);
  });

  it('gives up on an endpoint that accepts the TCP connection and never answers the TLS handshake', async () => {
    const sockets: Socket[] = [];
    const mute = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const port = (mute.address() as AddressInfo).port;
      const muted = new KesClient({
        endpoints: [`https://127.0.0.1:${port}`],
        defaultKeyId: 'k',
        tls: si.tls,
        timeoutMs: 2_000,
        retryDelayMs: 1,
      });
      const r = await timed(muted.generateKey('k', Buffer.from('{}')));
      muted.close();
      expect((r.error as KmsError).kind).toBe('unavailable');
      expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
      expect(sockets).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('counts a body that stalls after the status line against the deadline', async () => {
    si.kes[0]!.mode = 'stall-body';
    const client = si.client([0], { timeoutMs: 2_000, endpointTimeoutMs: 0 });
    const r = await timed(client.decrypt('k', Buffer.alloc(32), Buffer.from('{}')));
    expect((r.error as KmsError).kind).toBe('unavailable');
    expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
  });

  it('bounds the whole request across stalled endpoints by the request deadline', async () => {
    si.kes[0]!.mode = 'stall-headers';
    si.kes[1]!.mode = 'stall-body';
    const client = si.client([0, 1], { timeoutMs: 1_000, requestTimeoutMs: 1_500 });
    const r = await timed(client.generateKey('k', Buffer.from('{}')));
    expect((r.error as KmsError).kind).toBe('unavailable');
    expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
  });

  it('moves on to the next endpoint when one stalls, and skips the stalled one afterwards', async () => {
    si.kes[0]!.mode = 'stall-headers';
    const client = si.client([0, 1], { timeoutMs: 1_000 });
    const r = await timed(client.generateKey('k', Buffer.from('{}')));
    expect(r.error).toBeUndefined();
    expect(r.value?.plaintext).toHaveLength(32);
    expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
    expect(si.kes[0]!.seen).toEqual(['/v1/key/generate/k']);
    expect(si.kes[1]!.seen).toEqual(['/v1/key/generate/k']);
    await client.describeKey('k');
    expect(si.kes[0]!.seen).toHaveLength(1);
  });

  it('fails requests beyond the bound of waiting requests at once, then serves again', async () => {
    si.kes[2]!.mode = 'stall-headers';
    const client = si.client([2], { timeoutMs: 3_000, maxPending: 2, endpointTimeoutMs: 0 });
    const waiting = [client.describeKey('k'), client.describeKey('k')].map((p) => p.catch((e: unknown) => e));
    const third = await client.describeKey('k').catch((e: unknown) => e);
    expect((third as KmsError).kind).toBe('unavailable');
    expect((third as KmsError).message).toMatch(/2 requests already wait/);
    expect(client.pending).toBe(2);
    for (const e of await Promise.all(waiting)) expect((e as KmsError).kind).toBe('unavailable');
    expect(client.pending).toBe(0);
    si.kes[2]!.mode = 'answer';
    await expect(client.describeKey('k')).resolves.toBeUndefined();
  });
});

describe('S3 requests while KES stalls', () => {
  let server: TestServer;
  beforeAll(async () => {
    const kms = si.client([0, 1], { timeoutMs: 1_000, requestTimeoutMs: 1_500 });
    server = await startServer({ kms });
    await server.s3.send(new CreateBucketCommand({ Bucket: 'stall' }));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function s3Error(
    p: Promise<unknown>,
  ): Promise<{ ms: number; code: string; status: number | undefined }> {
    const r = await timed(p);
    const e = r.error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
    return { ms: r.ms, code: e?.name ?? 'no error', status: e?.$metadata?.httpStatusCode };
  }

  it('answers kms:* 500 errors within the request deadline while every endpoint stalls, and serves again once KES answers', async () => {
    const body = Buffer.from('sealed under a stand-in KES');
    const put = (Key: string) =>
      server.s3.send(
        new PutObjectCommand({ Bucket: 'stall', Key, Body: body, ServerSideEncryption: 'AES256' }),
      );
    const get = async (Key: string) =>
      collect(
        (await server.s3.send(new GetObjectCommand({ Bucket: 'stall', Key })))
          .Body as AsyncIterable<Uint8Array>,
      );
    await put('before');

    const stall = (mode: 'answer' | 'stall-headers' | 'stall-body') => {
      si.kes[0]!.mode = mode;
      si.kes[1]!.mode = mode;
    };
    stall('stall-headers');
    const w = await s3Error(put('during'));
    expect(w).toMatchObject({ code: 'kms:KeyGenerationFailed', status: 500 });
    expect(w.ms).toBeLessThan(WELL_UNDER_STALL_MS);
    const r = await s3Error(get('before'));
    expect(r).toMatchObject({ code: 'kms:DecryptionFailed', status: 500 });
    expect(r.ms).toBeLessThan(WELL_UNDER_STALL_MS);
    stall('stall-body');
    const rb = await s3Error(get('before'));
    expect(rb).toMatchObject({ code: 'kms:DecryptionFailed', status: 500 });
    expect(rb.ms).toBeLessThan(WELL_UNDER_STALL_MS);
    // Plaintext objects do not wait on KES at all.
    await server.s3.send(new PutObjectCommand({ Bucket: 'stall', Key: 'plain', Body: body }));
    expect((await get('plain')).equals(body)).toBe(true);

    stall('answer');
    expect((await get('before')).equals(body)).toBe(true);
    await put('after');
    expect((await get('after')).equals(body)).toBe(true);
  });
});
