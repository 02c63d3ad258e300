// Fault drills on a chain of our bins (see chain.ts): Vault gone for longer than KES's offline
// cache window, KES gone, one of two KES servers killed under load, and `kill -9` of the object
// store during 100 concurrent PUTs. Waits are condition polls (vi.waitFor), never fixed sleeps.
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Chain, startChain } from './chain.js';
import { killAll } from './chain-support.js';

let chain: Chain | undefined;
afterEach(async () => {
  chain?.s3.destroy();
  await killAll();
  if (chain) await rm(chain.dir, { recursive: true, force: true });
  chain = undefined;
});

async function get(s3: S3Client, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: 'drill', Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function put(s3: S3Client, key: string, body: Buffer, sse: boolean): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: 'drill',
      Key: key,
      Body: body,
      ...(sse ? { ServerSideEncryption: 'AES256' } : {}),
    }),
  );
}

/** The S3 error code of a failed call (the SDK puts it in `name`), or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { name?: string }).name ?? String(err);
  }
}

describe('fault drills', () => {
  it('Vault stopped beyond the KES offline window: cached key serves, then kms errors, then recovery', async () => {
    chain = await startChain({ cache: { all: '1h', unused: '1h', offline: '5s' }, ping: '1s' });
    const { s3 } = chain;
    await s3.send(new CreateBucketCommand({ Bucket: 'drill' }));
    const body = randomBytes(100_000);
    await put(s3, 'sse', body, true);
    expect((await get(s3, 'sse')).equals(body)).toBe(true);
    // SSE GETs keep running through the whole outage; each outcome is recorded.
    const seen: string[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        seen.push(
          await outcome(
            get(s3, 'sse').then((b) => {
              if (!b.equals(body))
                throw Object.assign(new Error('different bytes'), { name: 'BodyMismatch' });
            }),
          ),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await chain.vault.stop();
    // Within the offline window the key KES cached keeps decrypting.
    expect((await get(s3, 'sse')).equals(body)).toBe(true);
    // Past it the cache is wiped and Vault is unreachable: a clear KMS error, no crash.
    let code = '';
    await vi.waitFor(
      async () => {
        code = await outcome(get(s3, 'sse'));
        expect(code).not.toBe('ok');
      },
      { timeout: 40_000, interval: 500 },
    );
    expect(code).toMatch(/^kms:/);
    expect(chain.minio.child.exitCode).toBeNull();
    await chain.startVault();
    await chain.unseal();
    await vi.waitFor(async () => expect((await get(s3, 'sse')).equals(body)).toBe(true), {
      timeout: 40_000,
      interval: 500,
    });
    running = false;
    await load;
    // Every request either served the right bytes or failed with a KMS error: no other failure kind.
    expect(seen.filter((o) => o !== 'ok' && !/^kms:/.test(o))).toEqual([]);
    expect(seen).toContain('ok');
    expect(seen.some((o) => /^kms:/.test(o))).toBe(true);
  }, 150_000);

  it('KES stopped: SSE requests fail with kms:* errors, plaintext objects are unaffected, then recovery', async () => {
    chain = await startChain();
    const { s3 } = chain;
    await s3.send(new CreateBucketCommand({ Bucket: 'drill' }));
    const plain = randomBytes(50_000);
    const secret = randomBytes(50_000);
    await put(s3, 'plain', plain, false);
    await put(s3, 'sse', secret, true);
    await chain.kes[0]!.stop();
    expect((await get(s3, 'plain')).equals(plain)).toBe(true);
    await put(s3, 'plain-2', plain, false);
    expect(await outcome(get(s3, 'sse'))).toMatch(/^kms:/);
    expect(await outcome(put(s3, 'sse-2', secret, true))).toMatch(/^kms:/);
    await chain.startKes(0);
    await vi.waitFor(async () => expect((await get(s3, 'sse')).equals(secret)).toBe(true), {
      timeout: 30_000,
      interval: 500,
    });
    await put(s3, 'sse-2', secret, true);
    expect((await get(s3, 'sse-2')).equals(secret)).toBe(true);
  }, 120_000);

  it('two KES servers behind one object store: killing one mid-load fails no request', async () => {
    chain = await startChain({ kesCount: 2 });
    const { s3 } = chain;
    await s3.send(new CreateBucketCommand({ Bucket: 'drill' }));
    let done = 0;
    let killed: Promise<unknown> | undefined;
    const results = await Promise.allSettled(
      Array.from({ length: 80 }, async (_, i) => {
        const body = randomBytes(20_000);
        await put(s3, `k${i}`, body, true);
        expect((await get(s3, `k${i}`)).equals(body)).toBe(true);
        done++;
        if (done === 10) killed = chain!.kes[0]!.stop('SIGKILL');
      }),
    );
    await killed;
    expect(chain.kes[0]!.child.signalCode).toBe('SIGKILL');
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  }, 120_000);

  it('kill -9 of the object store during 100 concurrent PUTs: no partial object, every acknowledged PUT readable', async () => {
    chain = await startChain();
    const { s3 } = chain;
    await s3.send(new CreateBucketCommand({ Bucket: 'drill' }));
    const bodies = new Map<string, Buffer>();
    const acked = new Set<string>();
    let killed: Promise<unknown> | undefined;
    await Promise.allSettled(
      Array.from({ length: 100 }, async (_, i) => {
        const key = `obj-${i}`;
        const body = randomBytes(256 * 1024 + i);
        bodies.set(key, body);
        await put(s3, key, body, i % 2 === 0);
        acked.add(key);
        if (acked.size === 20) killed = chain!.minio.stop('SIGKILL');
      }),
    );
    await killed;
    expect(chain.minio.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(20);
    await chain.startMinio();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'drill', MaxKeys: 1000 }));
    const keys = (listed.Contents ?? []).map((c) => c.Key!);
    for (const key of acked) expect(keys, key).toContain(key);
    // Every visible object is whole: its bytes equal what was sent for it (none truncated or mixed).
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    for (const key of keys) {
      const got = await get(s3, key);
      expect(sha(got), key).toBe(sha(bodies.get(key)!));
    }
    console.info(`kill -9 drill: ${acked.size} acknowledged, ${keys.length} visible after restart, of 100`);
  }, 120_000);
});
