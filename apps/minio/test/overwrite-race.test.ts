// A read that overlaps an overwrite of the same key returns the old or the new object, whole: never
// 404, never a mix. Writers overwrite one key while readers GET it whole, GET ranges of it and copy
// it, for every SSE type (a bucket's default encryption included) and size class: 20 cases of 1.6 s,
// 32 s of racing in all. The KMS answers after a few milliseconds, as a KES over the
// network does: that is the time between a read resolving the metadata and opening the data files.
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataKey } from '../src/kms/kms.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { collect, startServer, type TestServer } from './helpers.js';
import { CountingKms } from './sse-helpers.js';

const KMS_DELAY_MS = 15;
const WRITERS = 2;
const READERS = 6;
const RUN_MS = 1_600;

/** The static key behind a network-like delay, standing in for KES. */
class SlowKms extends CountingKms {
  override async generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    await new Promise((r) => setTimeout(r, KMS_DELAY_MS));
    return super.generateKey(keyId, context);
  }
  override async decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    await new Promise((r) => setTimeout(r, KMS_DELAY_MS));
    return super.decrypt(keyId, ciphertext, context);
  }
}

const ssecKey = 'r'.repeat(32);
/** Each SSE type: the bucket written to, the encryption a HEAD reports, and the headers of a write, a read and a copy's source. */
const SSE = {
  plaintext: { bucket: 'race', stored: 'none', write: {}, read: {}, copySource: {} },
  'SSE-S3': {
    bucket: 'race',
    stored: 'AES256',
    write: { ServerSideEncryption: 'AES256' },
    read: {},
    copySource: {},
  },
  'SSE-KMS': {
    bucket: 'race',
    stored: 'aws:kms',
    write: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-static' },
    read: {},
    copySource: {},
  },
  'SSE-C': {
    bucket: 'race',
    stored: 'AES256',
    write: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: ssecKey },
    read: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: ssecKey },
    copySource: { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: ssecKey },
  },
  'bucket default SSE-KMS': {
    bucket: 'race-default',
    stored: 'aws:kms',
    write: {},
    read: {},
    copySource: {},
  },
} as const;

/** Sizes of each version; multipart versions are a 5 MiB part and a small last part. */
const SIZES = {
  'inline 4 KiB': { parts: [4 * 1024] },
  '64 KiB': { parts: [64 * 1024] },
  '1 MiB': { parts: [1024 * 1024] },
  multipart: { parts: [5 * 1024 * 1024, 100 * 1024] },
} as const;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    kms: new SlowKms(new StaticKeyKms('minio-static', randomBytes(32))),
    allowInsecureSseC: true,
  });
  await server.s3.send(new CreateBucketCommand({ Bucket: 'race' }));
  await server.s3.send(new CreateBucketCommand({ Bucket: 'race-default' }));
  await server.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: 'race-default',
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'minio-static' },
          },
        ],
      },
    }),
  );
});

afterAll(() => server?.close());

interface Tally {
  reads: number;
  ranged: number;
  copies: number;
  failures: string[];
}

const cases = Object.keys(SSE).flatMap((sse) =>
  Object.keys(SIZES).map((size) => [sse, size] as const),
) as Array<[keyof typeof SSE, keyof typeof SIZES]>;

describe('reads racing overwrites of the same key', () => {
  it.each(cases)('%s, %s: every read answers one written version, whole', async (sse, size) => {
    const { bucket, write, read, copySource, stored } = SSE[sse];
    const { parts } = SIZES[size];
    const key = `obj-${sse}-${size}`;
    // Three versions whose bytes differ everywhere, so a mix of two is seen at any offset.
    const versions = [0, 1, 2].map(() => parts.map((n) => randomBytes(n)));
    const wholes = versions.map((v) => Buffer.concat(v));
    const total = wholes[0]!.length;

    const put = async (v: number): Promise<void> => {
      const body = versions[v]!;
      if (body.length === 1) {
        await server.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body[0], ...write }));
        return;
      }
      const up = await server.s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...write }),
      );
      const done = await Promise.all(
        body.map((b, i) =>
          server.s3.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: up.UploadId,
              PartNumber: i + 1,
              Body: b,
              ...('SSECustomerKey' in write ? write : {}),
            }),
          ),
        ),
      );
      await server.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: up.UploadId,
          MultipartUpload: { Parts: done.map((p, i) => ({ PartNumber: i + 1, ETag: p.ETag })) },
        }),
      );
    };
    await put(0);
    const head = await server.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...read }));
    expect(head.ServerSideEncryption ?? head.SSECustomerAlgorithm ?? 'none').toBe(stored);

    const tally: Tally = { reads: 0, ranged: 0, copies: 0, failures: [] };
    const matches = (got: Buffer, start: number): boolean =>
      wholes.some((w) => w.subarray(start, start + got.length).equals(got));
    const note = (what: string, err: unknown): void => {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      tally.failures.push(`${what}: ${e.name ?? String(err)} ${e.$metadata?.httpStatusCode ?? ''}`);
    };
    const deadline = Date.now() + RUN_MS;
    let writes = 0;

    const writer = async (w: number): Promise<void> => {
      for (let i = w; Date.now() < deadline; i++) {
        await put(i % versions.length);
        writes++;
      }
    };
    const reader = async (r: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const kind = (r + i) % 3;
        try {
          if (kind === 0) {
            const out = await server.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...read }));
            const got = await collect(out.Body as AsyncIterable<Uint8Array>);
            tally.reads++;
            if (got.length !== total || !matches(got, 0)) tally.failures.push('GET: mixed or short body');
          } else if (kind === 1) {
            const start = Math.floor(Math.random() * total);
            const end = Math.min(total - 1, start + Math.floor(Math.random() * 200_000));
            const out = await server.s3.send(
              new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}`, ...read }),
            );
            const got = await collect(out.Body as AsyncIterable<Uint8Array>);
            tally.ranged++;
            if (got.length !== end - start + 1 || !matches(got, start))
              tally.failures.push(`ranged GET ${start}-${end}: mixed or short body`);
          } else {
            const dest = `copy-${key}-${r}`;
            await server.s3.send(
              new CopyObjectCommand({
                Bucket: bucket,
                Key: dest,
                CopySource: `${bucket}/${encodeURIComponent(key)}`,
                ...copySource,
              }),
            );
            const out = await server.s3.send(new GetObjectCommand({ Bucket: bucket, Key: dest }));
            const got = await collect(out.Body as AsyncIterable<Uint8Array>);
            tally.copies++;
            if (got.length !== total || !matches(got, 0))
              tally.failures.push('CopyObject: mixed or short copy');
          }
        } catch (err) {
          note(['GET', 'ranged GET', 'CopyObject'][kind]!, err);
        }
      }
    };
    await Promise.all([
      ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
      ...Array.from({ length: READERS }, (_, r) => reader(r)),
    ]);
    expect(tally.failures.slice(0, 5)).toEqual([]);
    expect(tally.reads).toBeGreaterThan(0);
    expect(tally.ranged).toBeGreaterThan(0);
    expect(tally.copies).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
  });
});
