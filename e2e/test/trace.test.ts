// One request id across the chain (docs/observability.md#audit-and-trace): on a chain as `npm start`
// sets it up, an SSE PUT and GET each leave an entry in the object store's audit log, KES's audit
// entries for the generate/decrypt they caused name the same id, and Vault's file audit device (which
// the chain enables, auditing X-Request-Id) records the key read under it; `npm run trace -- <id>`
// joins the three into one timeline.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { chainAuditFiles, KEY_NAME, type TraceEvent } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, startChain } from './chain.js';
import { killAll, repoRoot } from './chain-support.js';

let chain: Chain;

beforeAll(async () => {
  // KES drops its whole key cache every 200 ms: a request made after a pause reads the key from Vault.
  chain = await startChain({ autoEncryption: true, cache: { all: '200ms', unused: '1h' } });
}, 120_000);

afterAll(async () => {
  await chain?.stop();
  await killAll();
});

function trace(id: string, json: boolean): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'scripts', 'trace.mjs'), '--data-dir', chain.dir, ...(json ? ['--json'] : []), id],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The trace's steps once every log has them (the servers write their audit entries asynchronously). */
async function steps(id: string, want: Array<TraceEvent['service']>): Promise<TraceEvent[]> {
  let events: TraceEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const r = trace(id, true);
    events = r.status === 0 ? (JSON.parse(r.stdout) as TraceEvent[]) : [];
    if (want.every((s) => events.some((e) => e.service === s))) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
  return events;
}

const pause = () => new Promise((r) => setTimeout(r, 500));

describe('npm run trace', () => {
  it('joins an SSE PUT and GET to the KES calls and Vault reads they caused', async () => {
    await chain.s3.send(new CreateBucketCommand({ Bucket: 'traced' }));
    await pause();
    const put = await chain.s3.send(new PutObjectCommand({ Bucket: 'traced', Key: 'a.txt', Body: 'hello' }));
    expect(put.ServerSideEncryption).toBeDefined();
    await pause();
    const get = await chain.s3.send(new GetObjectCommand({ Bucket: 'traced', Key: 'a.txt' }));
    expect(await get.Body!.transformToString()).toBe('hello');

    // The chain's set-up enabled Vault's file audit device.
    expect(existsSync(chainAuditFiles(chain.dir).vault)).toBe(true);
    const services: Array<TraceEvent['service']> = ['minio', 'kes', 'vault'];
    for (const [id, api, op] of [
      [put.$metadata.requestId!, 'PutObject', 'generate'],
      [get.$metadata.requestId!, 'GetObject', 'decrypt'],
    ] as const) {
      const events = await steps(id, services);
      const s3 = events.find((e) => e.service === 'minio');
      expect(s3).toMatchObject({
        operation: `${api} traced/a.txt`,
        identity: 'access key minio',
        keys: [KEY_NAME],
        outcome: '200 OK',
      });
      const kes = events.filter((e) => e.service === 'kes');
      expect(kes.map((e) => [e.operation, e.outcome])).toEqual([[`${op} ${KEY_NAME}`, '200']]);
      expect(kes[0]!.identity).toMatch(/^identity [0-9a-f]{16}…$/);
      // The S3 call spans the KES call it made.
      expect(kes[0]!.start).toBeGreaterThanOrEqual(s3!.start - 1);
      expect(kes[0]!.ms).toBeLessThanOrEqual(s3!.ms! + 1);
      const reads = events.filter((e) => e.service === 'vault');
      expect(reads).toContainEqual(
        expect.objectContaining({ operation: `read kv/minio/${KEY_NAME}`, keys: [KEY_NAME], outcome: 'ok' }),
      );
      expect(reads[0]!.identity).toMatch(/approle/);
      // Vault's step starts within KES's.
      expect(reads[0]!.start).toBeGreaterThanOrEqual(kes[0]!.start - 1);
      const text = trace(id, false);
      expect(text.status).toBe(0);
      expect(text.stdout).toContain(`Request ${id}`);
      expect(text.stdout).toMatch(new RegExp(`S3\\s+${api} traced/a.txt`));
      expect(text.stdout).toMatch(new RegExp(`KES\\s+${op} ${KEY_NAME}`));
      expect(text.stdout).toMatch(new RegExp(`Vault\\s+read kv/minio/${KEY_NAME}`));
    }
  });

  it('never shows key material: the traced logs carry no plaintext or sealed data key', async () => {
    const put = await chain.s3.send(new PutObjectCommand({ Bucket: 'traced', Key: 'b.txt', Body: 'x' }));
    const events = await steps(put.$metadata.requestId!, ['minio', 'kes']);
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/plaintext|ciphertext|"bytes"/);
    const minioLog = await readFile(chainAuditFiles(chain.dir).minio, 'utf8');
    expect(minioLog).not.toMatch(/X-Minio-Internal|Sealed-Key|"Authorization"/i);
  });

  it('exits 1 naming the logs it read for an id none of them has, and 2 without an id', () => {
    const none = trace('0000000000000001', false);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('no entry names this request id');
    expect(none.stdout).toContain(chainAuditFiles(chain.dir).minio);
    expect(spawnSync(process.execPath, [join(repoRoot, 'scripts', 'trace.mjs')]).status).toBe(2);
  });
});
