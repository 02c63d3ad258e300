// The built `minio` bin reads MINIO_AUDIT_* as MinIO names them: a webhook target with an id suffix
// receives the entries with its token, a file target writes them, and a target that is switched on
// without an endpoint stops the start naming the variable.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'bin', 'minio.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli.js'));
const baseEnv = { PATH: process.env.PATH ?? '', MINIO_ROOT_USER: 'minio', MINIO_ROOT_PASSWORD: 'minio123' };

describe.skipIf(!built)('minio bin audit targets', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-audit-cli-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('sends entries to MINIO_AUDIT_WEBHOOK_*_<ID> with its token and to MINIO_AUDIT_FILE_PATH', async () => {
    const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const file = join(work, 'audit.log');
    const child = spawn(process.execPath, [bin, 'server', join(work, 'data'), '--address', '127.0.0.1:0'], {
      env: {
        ...baseEnv,
        MINIO_AUDIT_WEBHOOK_ENABLE_SIEM: 'on',
        MINIO_AUDIT_WEBHOOK_ENDPOINT_SIEM: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`,
        MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_SIEM: 's3cr3t-token',
        MINIO_AUDIT_FILE_ENABLE: 'on',
        MINIO_AUDIT_FILE_PATH: file,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /API: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const res = await fetch(`${endpoint}/some-bucket/some-key`);
      expect(res.status).toBe(403);
      const id = res.headers.get('x-amz-request-id')!;
      for (let i = 0; i < 100 && !got.some((g) => g.body.includes(id)); i++)
        await new Promise((r) => setTimeout(r, 50));
      const hit = got.find((g) => g.body.includes(id));
      expect(hit?.headers['authorization']).toBe('Bearer s3cr3t-token');
      expect(JSON.parse(hit!.body)).toMatchObject({
        requestID: id,
        api: { name: 'GetObject', bucket: 'some-bucket', object: 'some-key', statusCode: 403 },
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The file target is flushed on the way out.
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { requestID: string }).requestID)).toContain(id);
    } finally {
      child.kill('SIGKILL');
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });

  it('refuses to start when a webhook is on without an endpoint, naming the variable', () => {
    const r = spawnSync(process.execPath, [bin, 'server', join(work, 'data2'), '--address', '127.0.0.1:0'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...baseEnv, MINIO_AUDIT_WEBHOOK_ENABLE_X: 'on' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'MINIO_AUDIT_WEBHOOK_ENDPOINT_X is required when MINIO_AUDIT_WEBHOOK_ENABLE_X is on',
    );
  });
});
