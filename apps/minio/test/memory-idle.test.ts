// Memory once the server goes quiet. Under load V8 lets dead buffers pile up between collections (it
// collects when ~64 MiB of them exist); when requests stop nothing allocates, so without the server's
// idle collection all of them stay resident. Here, after a burst of large plain and SSE-C PUTs and
// GETs, the process's ArrayBuffer memory must fall back to its live data with no request arriving to
// prompt it.
import { randomBytes } from 'node:crypto';
import { getHeapSpaceStatistics } from 'node:v8';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

const MiB = 1024 * 1024;
const ssec = {
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: Buffer.alloc(32, 7).toString('base64'),
};

/** Bytes V8 holds for the young generation (both halves). */
function youngGeneration(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('memory after a burst of large requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ allowInsecureSseC: true, idleCollectMs: 300 });
    await server.s3.send(new CreateBucketCommand({ Bucket: 'mem' }));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('falls back to the live data once requests stop', { timeout: 60_000 }, async () => {
    const body = randomBytes(4 * MiB);
    for (let round = 0; round < 12; round++) {
      await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const key = `k${i}`;
          const sse = i % 2 === 0 ? ssec : {};
          await server.s3.send(new PutObjectCommand({ Bucket: 'mem', Key: key, Body: body, ...sse }));
          const got = await server.s3.send(new GetObjectCommand({ Bucket: 'mem', Key: key, ...sse }));
          expect((await got.Body!.transformToByteArray()).length).toBe(body.length);
        }),
      );
    }
    const busy = process.memoryUsage().arrayBuffers;
    // Live data: the 4 MiB body and the clients' own; the DARE batches kept for reuse while bodies
    // stream (8 MiB) are let go too. 4 MiB measured after the idle collection, 12 MiB while it kept
    // the batches, 20 MiB or more (from 50–64 busy) without it.
    const settled = await until(() => process.memoryUsage().arrayBuffers < 8 * MiB, 10_000);
    const idle = process.memoryUsage().arrayBuffers;
    expect(settled, `ArrayBuffer MiB: ${busy / MiB} busy, ${idle / MiB} idle`).toBe(true);
  });

  // Under load the young generation grows to 32 MiB; V8 shrinks it by itself only 30–45 s after the
  // load stops. The settling step (6 s after the idle collection) shrinks it.
  it('gives back the young generation it grew', { timeout: 60_000 }, async () => {
    const body = randomBytes(256 * 1024);
    let grown = youngGeneration();
    for (let round = 0; round < 400 && grown < 16 * MiB; round++) {
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const key = `y${i}`;
          await server.s3.send(new PutObjectCommand({ Bucket: 'mem', Key: key, Body: body }));
          const got = await server.s3.send(new GetObjectCommand({ Bucket: 'mem', Key: key }));
          await got.Body!.transformToByteArray();
        }),
      );
      grown = Math.max(grown, youngGeneration());
    }
    expect(grown, 'the burst grew the young generation').toBeGreaterThanOrEqual(16 * MiB);
    const shrunk = await until(() => youngGeneration() <= 4 * MiB, 12_000);
    expect(shrunk, `young generation MiB: ${grown / MiB} busy, ${youngGeneration() / MiB} idle`).toBe(true);
  });
});
