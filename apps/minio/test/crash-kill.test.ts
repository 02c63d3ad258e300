// The built `minio` bin killed with SIGKILL in the middle of a streamed PUT, an UploadPart and a
// CompleteMultipartUpload, then restarted on the same directory: the committed version of the object
// is intact, no partial object is visible, and the startup sweep leaves no stray file behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, collect, md5, objectDir, SECRET_KEY, sdkClient } from './helpers.js';
import { signHeaders } from './raw-http.js';

const bin = join(import.meta.dirname, '..', 'bin', 'minio.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli.js'));
const MiB = 1024 * 1024;

const parent = await mkdtemp(join(tmpdir(), 'minio-kill-'));
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  port: number;
  s3: S3Client;
  /** Everything the server printed on stdout so far. */
  output(): string;
}

async function start(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'server', dataDir, '--address', '127.0.0.1:0'], {
    // JSON log lines: the test reads the startup sweep's counts from them.
    env: {
      ...process.env,
      MINIO_ROOT_USER: ACCESS_KEY,
      MINIO_ROOT_PASSWORD: SECRET_KEY,
      MINIO_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /API: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`minio exited with ${code}: ${out}`)));
  });
  return { child, port, s3: sdkClient(`http://127.0.0.1:${port}`), output: () => out };
}

async function kill9(srv: Running): Promise<void> {
  srv.s3.destroy();
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  const exited = new Promise((r) => srv.child.once('exit', r));
  srv.child.kill('SIGKILL');
  await exited;
}

/** What the startup sweep reported removing, from the warn line the server logs when it removed any. */
async function sweepReport(srv: Running): Promise<Record<string, number>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`no sweep line within 30 s; the server printed:\n${srv.output().slice(-2000)}`);
    for (const line of srv.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { swept?: Record<string, number> };
      if (entry.swept) return entry.swept;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Files in the data directory that nothing references: staging files, object folders without
 * meta.json, data files meta.json does not list, part files without their record. Must be none.
 */
async function strays(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  const sys = join(dataDir, '.minio.sys');
  for (const name of await readdir(join(sys, 'tmp'))) found.push(`tmp/${name}`);
  for (const bucket of await readdir(dataDir)) {
    if (bucket.startsWith('.')) continue;
    for (const shard of await readdir(join(dataDir, bucket))) {
      for (const h of await readdir(join(dataDir, bucket, shard))) {
        const dir = join(dataDir, bucket, shard, h);
        const names = await readdir(dir);
        if (!names.includes('meta.json')) {
          found.push(`${bucket}/${h}/ (no meta.json)`);
          continue;
        }
        const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
          parts: Array<{ file: string }>;
        };
        const files = new Set(meta.parts.map((p) => p.file));
        for (const n of names) if (n !== 'meta.json' && !files.has(n)) found.push(`${bucket}/${h}/${n}`);
      }
    }
  }
  const uploads = join(sys, 'multipart');
  for (const bucket of await readdir(uploads)) {
    for (const id of await readdir(join(uploads, bucket))) {
      const names = await readdir(join(uploads, bucket, id));
      const referenced = new Set<string>();
      for (const n of names.filter((x) => x.endsWith('.json') && x !== 'upload.json')) {
        referenced.add(
          (JSON.parse(await readFile(join(uploads, bucket, id, n), 'utf8')) as { file: string }).file,
        );
      }
      for (const n of names) {
        if (n.startsWith('part.') && !n.endsWith('.json') && !referenced.has(n))
          found.push(`upload ${id}/${n}`);
      }
    }
  }
  return found;
}

async function get(s3: S3Client, Key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'crash', Key }));
  return collect(out.Body as AsyncIterable<Uint8Array>);
}

/**
 * Starts a signed PUT (UNSIGNED-PAYLOAD) that announces `total` bytes and sends only `sent` of them;
 * the request stays open until the server dies.
 */
function startPartialPut(port: number, path: string, query: string, total: number, sent: number): void {
  const host = `127.0.0.1:${port}`;
  const headers = signHeaders(host, {
    method: 'PUT',
    path,
    query,
    headers: { 'content-length': String(total) },
  });
  const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `${path}?${query}`, headers });
  req.on('error', () => {});
  const block = randomBytes(MiB);
  let written = 0;
  const pump = () => {
    while (written < sent) {
      written += MiB;
      if (!req.write(block)) {
        req.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** Polls `check` without pause (a commit takes milliseconds) until it holds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setImmediate(r));
}

/** Waits until the staging area holds `count` files of at least `bytes` bytes each. */
async function stagedAtLeast(dataDir: string, count: number, bytes: number): Promise<void> {
  const tmp = join(dataDir, '.minio.sys', 'tmp');
  for (;;) {
    const sizes = await Promise.all(
      (await readdir(tmp)).map((n) =>
        stat(join(tmp, n)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    if (sizes.filter((s) => s >= bytes).length >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!built)('kill -9 and restart', () => {
  it('mid streamed PUT and mid UploadPart: the old version stays, the partial bodies are swept', {
    timeout: 120_000,
  }, async () => {
    const dataDir = join(parent, 'put');
    let srv = await start(dataDir);
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const v1 = randomBytes(3 * MiB);
    await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key: 'obj', Body: v1 }));
    const upload = await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: 'crash', Key: 'mp' }));

    startPartialPut(srv.port, '/crash/obj', '', 64 * MiB, 16 * MiB);
    startPartialPut(srv.port, '/crash/mp', `partNumber=1&uploadId=${upload.UploadId}`, 8 * MiB, 4 * MiB);
    await stagedAtLeast(dataDir, 2, 2 * MiB);
    await kill9(srv);

    srv = await start(dataDir);
    try {
      expect(md5(await get(srv.s3, 'obj'))).toBe(md5(v1));
      const listed = await srv.s3.send(new ListObjectsV2Command({ Bucket: 'crash' }));
      expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([['obj', v1.length]]);
      expect(await sweepReport(srv)).toMatchObject({ staging: 2 });
      expect(await strays(dataDir)).toEqual([]);
      const parts = await srv.s3.send(
        new ListPartsCommand({ Bucket: 'crash', Key: 'mp', UploadId: upload.UploadId }),
      );
      expect(parts.Parts ?? []).toEqual([]);
    } finally {
      await kill9(srv);
    }
  });

  it('mid CompleteMultipartUpload: the object is the old or the new version whole', {
    timeout: 180_000,
  }, async () => {
    const dataDir = join(parent, 'complete');
    const partData = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB)];
    const whole = md5(Buffer.concat(partData));
    const old = randomBytes(200 * 1024);
    // The kill lands at different points of the commit: as the request leaves, once the first part is
    // linked into the object's folder, once the old version's data file is gone (committed, upload not
    // yet removed), after the reply. Each point must leave one whole version; where exactly a kill
    // lands is up to the scheduler, so the outcome may be either version at any point.
    const points = ['sent', 'linked', 'old-removed', 'replied'] as const;
    let srv = await start(dataDir);
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    try {
      for (const [i, point] of points.entries()) {
        const Key = `obj-${i}`;
        await srv.s3.send(new PutObjectCommand({ Bucket: 'crash', Key, Body: old }));
        const { UploadId } = await srv.s3.send(new CreateMultipartUploadCommand({ Bucket: 'crash', Key }));
        const etags: string[] = [];
        for (const [n, Body] of partData.entries()) {
          const r = await srv.s3.send(
            new UploadPartCommand({ Bucket: 'crash', Key, UploadId, PartNumber: n + 1, Body }),
          );
          etags.push(r.ETag!);
        }
        const dir = objectDir(dataDir, 'crash', Key);
        const before = await readdir(dir);
        const replied = srv.s3
          .send(
            new CompleteMultipartUploadCommand({
              Bucket: 'crash',
              Key,
              UploadId,
              MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
            }),
          )
          .catch(() => {});
        if (point === 'linked') await until(async () => (await readdir(dir)).length > before.length);
        if (point === 'old-removed')
          await until(async () => !(await readdir(dir)).includes(before.find((n) => n !== 'meta.json')!));
        if (point === 'replied') await replied;
        await kill9(srv);

        srv = await start(dataDir);
        const got = md5(await get(srv.s3, Key));
        expect([md5(old), whole]).toContain(got);
        // A listing waits for the bucket's share of the startup sweep.
        const listed = await srv.s3.send(new ListObjectsV2Command({ Bucket: 'crash' }));
        expect(listed.Contents?.find((c) => c.Key === Key)?.Size).toBe(got === whole ? 11 * MiB : old.length);
        expect(await strays(dataDir)).toEqual([]);
        // An upload the crash kept from completing can still be completed.
        const open = await srv.s3.send(new ListMultipartUploadsCommand({ Bucket: 'crash' }));
        if (got !== whole && open.Uploads?.some((u) => u.UploadId === UploadId)) {
          await srv.s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: 'crash',
              Key,
              UploadId,
              MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
            }),
          );
          expect(md5(await get(srv.s3, Key))).toBe(whole);
        }
      }
    } finally {
      await kill9(srv);
    }
  });
});
