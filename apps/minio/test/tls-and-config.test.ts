// HTTPS from a MinIO-style certs directory, and the environment / address parsing of the CLI.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertsDir } from '../src/config/certs.js';
import { ConfigError, loadEnvConfig, parseAddress } from '../src/config/env.js';
import { ACCESS_KEY, collect, devCertsDir, SECRET_KEY, startServer, type TestServer } from './helpers.js';

describe('HTTPS', () => {
  let work: string;
  let srv: TestServer;
  let client: S3Client;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-tls-'));
    const { certs, ca } = await devCertsDir(work);
    srv = await startServer({ tls: loadCertsDir(certs) });
    client = new S3Client({
      endpoint: srv.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestHandler: { httpsAgent: new Agent({ ca }) },
    });
  });
  afterAll(async () => {
    client.destroy();
    await srv.close();
    await rm(work, { recursive: true, force: true });
  });

  it('serves S3 over TLS with the certs directory', async () => {
    expect(srv.endpoint.startsWith('https://')).toBe(true);
    await client.send(new CreateBucketCommand({ Bucket: 'secure' }));
    await client.send(new PutObjectCommand({ Bucket: 'secure', Key: 'k', Body: 'over tls' }));
    const out = await client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'k' }));
    expect((await collect(out.Body as AsyncIterable<Uint8Array>)).toString()).toBe('over tls');
  });

  it('finds no TLS in an empty directory and refuses half a pair', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'minio-certs-'));
    expect(loadCertsDir(empty)).toBeUndefined();
    await writeFile(join(empty, 'public.crt'), 'x');
    expect(() => loadCertsDir(empty)).toThrow(ConfigError);
    await rm(empty, { recursive: true, force: true });
  });
});

describe('environment', () => {
  it.each([
    [{ MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'password1' }, 'admin', 'password1'],
    [{ MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'minio123' }, 'minio', 'minio123'],
    [
      {
        MINIO_ROOT_USER: 'root',
        MINIO_ROOT_PASSWORD: 'rootpass1',
        MINIO_ACCESS_KEY: 'x1x',
        MINIO_SECRET_KEY: 'y1y1y1y1',
      },
      'root',
      'rootpass1',
    ],
    [{}, 'minioadmin', 'minioadmin'],
  ])('reads credentials from %o', (env, accessKey, secretKey) => {
    expect(loadEnvConfig(env).credentials).toEqual({ accessKey, secretKey });
  });

  it.each([
    [{ MINIO_ROOT_USER: 'admin' }, 'MINIO_ROOT_PASSWORD'],
    [{ MINIO_SECRET_KEY: 'secret123' }, 'MINIO_ACCESS_KEY'],
    [{ MINIO_ROOT_USER: 'ad', MINIO_ROOT_PASSWORD: 'password1' }, 'MINIO_ROOT_USER'],
    [{ MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'short' }, 'MINIO_ROOT_PASSWORD'],
  ])('refuses %o naming %s', (env, name) => {
    expect(() => loadEnvConfig(env)).toThrow(name);
  });

  it('reads region and domains', () => {
    const c = loadEnvConfig({ MINIO_SITE_REGION: 'eu-west-1', MINIO_DOMAIN: 'S3.example.com, local' });
    expect(c.region).toBe('eu-west-1');
    expect(c.domains).toEqual(['s3.example.com', 'local']);
  });

  it.each([
    [':9000', { host: '', port: 9000 }],
    ['127.0.0.1:9001', { host: '127.0.0.1', port: 9001 }],
    ['[::1]:9002', { host: '::1', port: 9002 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('parses --address %s', (value, expected) => {
    expect(parseAddress(value)).toEqual(expected);
  });

  it.each(['9000', ':99999', 'host:', ''])('refuses --address %s', (value) => {
    expect(() => parseAddress(value)).toThrow(ConfigError);
  });
});
