// The trace reader over hand-written audit lines in the three servers' shapes: entries joined by the id
// (and only by it), Vault's request and response paired, order by start time, lines that do not parse
// skipped, absent logs named.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainAuditLogPaths, formatTrace, traceRequest } from './trace.js';

const ID = '187E1C2D3A4B5C6D';
const OTHER = '187E1C2D3A4B5C6E';
let dir: string;

const minio = (id: string, end: string, ns: number) =>
  JSON.stringify({
    version: '1',
    time: end,
    trigger: 'incoming',
    api: {
      name: 'GetObject',
      bucket: 'b',
      object: 'o',
      status: 'OK',
      statusCode: 200,
      rx: 0,
      tx: 5,
      timeToResponseInNS: String(ns),
    },
    requestID: id,
    accessKey: 'minio',
    tags: { kms: [{ op: 'decrypt', key: 'k1', ms: 2, outcome: 'ok' }] },
  });
const kes = (id: string | undefined, end: string, micros: number) =>
  JSON.stringify({
    time: end,
    request: {
      ip: '127.0.0.1',
      path: '/v1/key/decrypt/k1',
      identity: 'ab'.repeat(32),
      ...(id ? { request_id: id } : {}),
    },
    response: { code: 200, time: micros },
  });
const vault = (type: 'request' | 'response', rid: string, id: string, time: string, error?: string) =>
  JSON.stringify({
    time,
    type,
    auth: { display_name: 'approle', metadata: { role_name: 'kes-role' }, client_token: 'hmac-sha256:aa' },
    request: { id: rid, operation: 'read', path: 'kv/minio/k1', headers: { 'x-request-id': [id] } },
    ...(type === 'response' ? { response: { data: { k1: 'hmac-sha256:bb' } } } : {}),
    ...(error ? { error } : {}),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-'));
  await writeFile(
    join(dir, 'minio.log'),
    [minio(OTHER, '2026-12-07T01:00:00.050Z', 1e6), minio(ID, '2026-12-07T01:00:00.100Z', 20e6)].join('\n'),
  );
  await writeFile(
    join(dir, 'kes.log'),
    [
      kes(undefined, '2026-12-07T01:00:00.090Z', 5000),
      `{"cut": "${ID}`,
      kes(ID, '2026-12-07T01:00:00.095Z', 10_000),
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'vault.log'),
    [
      vault('request', 'r1', ID, '2026-12-07T01:00:00.089Z'),
      vault('request', 'r2', OTHER, '2026-12-07T01:00:00.089Z'),
      vault('response', 'r1', ID, '2026-12-07T01:00:00.091Z'),
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const paths = () => ({
  minio: [join(dir, 'minio.log')],
  kes: [join(dir, 'kes.log')],
  vault: [join(dir, 'vault.log'), join(dir, 'absent.log')],
});

describe('traceRequest', () => {
  it('joins the three logs by id, pairs Vault entries and orders by start', async () => {
    const events = await traceRequest(ID, paths());
    expect(events.map((e) => [e.service, e.operation, e.outcome, e.keys])).toEqual([
      ['minio', 'GetObject b/o', '200 OK', ['k1']],
      ['kes', 'decrypt k1', '200', ['k1']],
      ['vault', 'read kv/minio/k1', 'ok', ['k1']],
    ]);
    const [s3, k, v] = events;
    expect(s3!.start).toBe(Date.parse('2026-12-07T01:00:00.080Z'));
    expect(s3!.ms).toBe(20);
    expect(k!.start).toBe(Date.parse('2026-12-07T01:00:00.085Z'));
    expect(k!.identity).toBe(`identity ${'ab'.repeat(8)}…`);
    expect(v).toMatchObject({ identity: 'approle, role kes-role', ms: 2 });
    expect(JSON.stringify(events)).not.toContain('hmac-sha256');
  });

  it('formats one line per step relative to the first, naming absent logs when nothing matches', async () => {
    const text = formatTrace(ID, await traceRequest(ID, paths()), paths());
    expect(text.split('\n').slice(0, 4)).toEqual([
      `Request ${ID}`,
      expect.stringMatching(
        /^ {2}\+0\.000 ms\s+S3\s+GetObject b\/o\s+access key minio\s+key k1\s+200 OK\s+20\.000 ms$/,
      ),
      expect.stringMatching(/^ {2}\+5\.000 ms\s+KES\s+decrypt k1\s+identity a/),
      expect.stringMatching(
        /^ {2}\+9\.000 ms\s+Vault\s+read kv\/minio\/k1\s+approle, role kes-role\s+key k1\s+ok\s+2\.000 ms$/,
      ),
    ]);
    const none = formatTrace('NOPE', await traceRequest('NOPE', paths()), paths());
    expect(none).toContain('no entry names this request id');
    expect(none).toContain(`${join(dir, 'absent.log')} (absent)`);
  });

  it('finds every KES audit log of a chain directory', async () => {
    const logs = join(dir, 'chain', 'logs');
    await mkdir(logs, { recursive: true });
    for (const f of ['kes-audit.log', 'kes-1-audit.log', 'kes.log', 'minio-audit.log'])
      await writeFile(join(logs, f), '');
    expect(chainAuditLogPaths(join(dir, 'chain')).kes).toEqual([
      join(logs, 'kes-1-audit.log'),
      join(logs, 'kes-audit.log'),
    ]);
  });
});
