// A 1 GiB object streamed in and out of the built `minio` bin in its own process, whose peak RSS
// (VmHWM) must stay far below the object size: no body is ever held whole in memory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Proc, peakRssMiB, startProc } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, sdkClient } from './helpers.js';

const GiB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const bin = join(import.meta.dirname, '..', 'bin', 'minio.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli.js'));

const base = randomBytes(CHUNK);

/** 1 MiB blocks generated on demand, each distinct (its index stamped in), never all in memory. */
function* blocks(count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(base);
    b.writeUInt32LE(i, 0);
    b.writeUInt32LE(i, CHUNK / 2);
    yield b;
  }
}

describe.skipIf(!built)('1 GiB streamed through the bin', () => {
  let dir: string;
  let server: Proc;
  let s3: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minio-large-'));
    server = startProc(
      process.execPath,
      [bin, 'server', join(dir, 'data'), '--address', '127.0.0.1:0', '--certs-dir', dir],
      { env: { MINIO_ROOT_USER: ACCESS_KEY, MINIO_ROOT_PASSWORD: SECRET_KEY } },
    );
    const [, endpoint] = await server.waitFor(/API: (http:\/\/127\.0\.0\.1:\d+)/);
    s3 = sdkClient(endpoint!);
    await s3.send(new CreateBucketCommand({ Bucket: 'large' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts and gets 1 GiB with bounded server memory', { timeout: 300_000 }, async () => {
    const count = GiB / CHUNK;
    const expected = createHash('md5');
    for (const b of blocks(count)) expected.update(b);
    const md5 = expected.digest('hex');

    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'large',
        Key: 'gib',
        Body: Readable.from(blocks(count)),
        ContentLength: GiB,
      }),
    );
    expect(put.ETag).toBe(`"${md5}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: 'gib' }));
    expect(got.ContentLength).toBe(GiB);
    const h = createHash('md5');
    let size = 0;
    for await (const c of got.Body as AsyncIterable<Uint8Array>) {
      h.update(c);
      size += c.length;
    }
    expect(size).toBe(GiB);
    expect(h.digest('hex')).toBe(md5);

    const peak = await peakRssMiB(server.child.pid!);
    if (peak === undefined) throw new Error('no VmHWM in /proc: this test needs Linux');
    process.stdout.write(`minio server peak RSS after 1 GiB PUT+GET: ${peak.toFixed(0)} MiB\n`);
    expect(peak).toBeLessThan(256);
  });
});
