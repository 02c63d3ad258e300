// The three servers' logs (docs/observability.md#logs): one JSON line format (time, level, service,
// msg, request id) at the most verbose level, the object store's request id joined to the KES line
// it caused, and — over a full guide run with SSE-S3, SSE-KMS, SSE-C and a presigned GET — none of
// the secrets the run created in any log, raw, base64 or hex. Also: Vault's log_level and
// log_format from the config file, and the -log-level flag over them.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { httpsJson, presignPath, readShareFile } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, startChain } from './chain.js';
import {
  binDir,
  killAll,
  type PlainVault,
  plainVault,
  plainVaultApi,
  startProc,
  startVaultServer,
  tempDir,
} from './chain-support.js';

// The most verbose level and the JSON format for each server, through the environment the chain
// launcher passes on (VAULT_LOG_* as Vault's own, KES_LOG_* and MINIO_LOG_* as ours).
const LOG_ENV: Record<string, string> = {
  VAULT_LOG_LEVEL: 'trace',
  VAULT_LOG_FORMAT: 'json',
  KES_LOG_LEVEL: 'trace',
  KES_LOG_FORMAT: 'json',
  MINIO_LOG_LEVEL: 'trace',
  MINIO_LOG_FORMAT: 'json',
};

afterAll(async () => {
  await killAll();
});

type Secrets = Map<string, string[]>;

/** Every form a secret could be written in: as given, base64 (both alphabets) and hex of its text. */
function forms(value: string | Buffer): string[] {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
  const out = new Set([bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')]);
  if (!Buffer.isBuffer(value)) out.add(value);
  // A short text's base64 could occur by chance in a long log; 8 characters and up are specific.
  return [...out].filter((f) => f.length >= 8);
}

function add(secrets: Secrets, what: string, ...values: Array<string | Buffer>): void {
  const list = secrets.get(what) ?? [];
  for (const v of values) list.push(...forms(v));
  secrets.set(what, list);
}

/** The base64 body of a PEM, as one string, and its first line (a leak may be of either). */
function pemBody(pem: string): string[] {
  const lines = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return [lines.join(''), lines[0]!];
}

/** `secret in log` for each secret form found in a log text. */
function leaks(logs: Record<string, string>, secrets: Secrets): string[] {
  const found: string[] = [];
  for (const [log, text] of Object.entries(logs))
    for (const [what, values] of secrets)
      for (const v of values) if (text.includes(v)) found.push(`${what} in ${log}`);
  return found;
}

/** The JSON lines of a log (a server also prints its banner and CLI text, which are not logs). */
function records(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logs at trace level over a guide run', () => {
  let chain: Chain;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const [k, v] of Object.entries(LOG_ENV)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    chain = await startChain();
  }, 120_000);

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    chain?.s3.destroy();
    await chain?.stop();
    if (chain) await rm(chain.dir, { recursive: true, force: true });
  });

  it('write no secret the run created, in any form, to any of the three logs', async () => {
    const secrets: Secrets = new Map();
    const { s3 } = chain;
    const ca = chain.ca;

    // Objects with the three kinds of SSE, written and read back.
    const marker = `plaintext-${randomBytes(8).toString('hex')}`;
    const body = Buffer.from(marker.repeat(100));
    const ssecKey = randomBytes(32);
    const wrongKey = randomBytes(32);
    const ssecOf = (key: Buffer) => ({
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: key.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' }));
    const puts = [
      await s3.send(
        new PutObjectCommand({ Bucket: 'logs', Key: 's3', Body: body, ServerSideEncryption: 'AES256' }),
      ),
      await s3.send(
        new PutObjectCommand({
          Bucket: 'logs',
          Key: 'kms',
          Body: body,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: 'minio-key-1',
        }),
      ),
      await s3.send(new PutObjectCommand({ Bucket: 'logs', Key: 'c', Body: body, ...ssecOf(ssecKey) })),
    ];
    for (const [Key, extra] of [
      ['s3', {}],
      ['kms', {}],
      ['c', ssecOf(ssecKey)],
    ] as const) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'logs', Key, ...extra }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    }
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'logs', Key: 'c', ...ssecOf(wrongKey) })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });

    // A presigned GET: its signature is a bearer credential while the URL is valid.
    const host = `127.0.0.1:${chain.minioPort}`;
    const presigned = presignPath(
      host,
      { accessKey: 'minio', secretKey: 'minio123', region: 'us-east-1' },
      { method: 'GET', path: '/logs/s3', expires: 600 },
    );
    const viaUrl = await httpsJson(`${chain.urls.minio}${presigned}`, { ca });
    expect(viaUrl.status).toBe(200);
    const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(presigned)![1]!;

    // A data key straight from KES with minio's identity, and the master key as Vault stores it.
    const generated = await httpsJson(`${chain.urls.kes}/v1/key/generate/minio-key-1`, {
      method: 'POST',
      body: {},
      ...chain.minioTls,
    });
    expect(generated.status).toBe(200);
    const vaultApi = `${chain.urls.vault}/v1`;
    const stored = await httpsJson(`${vaultApi}/kv/minio/minio-key-1`, { ca, token: chain.rootToken });
    expect(stored.status).toBe(200);
    const storedKeyBytes = [...JSON.stringify(stored.body.data).matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)].map(
      (m) => m[0],
    );
    expect(storedKeyBytes.length).toBeGreaterThan(0);

    // A Vault KV secret written and read, and a login with a wrong secret ID.
    const kvSecret = `kv-${randomBytes(12).toString('hex')}`;
    expect(
      (
        await httpsJson(`${vaultApi}/kv/app/db`, {
          method: 'POST',
          ca,
          token: chain.rootToken,
          body: { password: kvSecret },
        })
      ).status,
    ).toBe(204);
    expect(
      (await httpsJson(`${vaultApi}/kv/app/db`, { ca, token: chain.rootToken })).body.data.password,
    ).toBe(kvSecret);
    const wrongSecretId = `sid-${randomBytes(12).toString('hex')}`;
    const login = await httpsJson(`${vaultApi}/auth/approle/login`, {
      method: 'POST',
      ca,
      body: { role_id: chain.approle.roleId, secret_id: wrongSecretId },
    });
    expect(login.status).toBe(400);
    // A good login: the token Vault issues is a secret too.
    const good = await httpsJson(`${vaultApi}/auth/approle/login`, {
      method: 'POST',
      ca,
      body: { role_id: chain.approle.roleId, secret_id: chain.approle.secretId },
    });
    expect(good.status).toBe(200);

    const shares = (await readShareFile(chain.files.shareFile))!;
    add(secrets, 'Vault root token', chain.rootToken);
    add(
      secrets,
      'unseal share',
      ...shares.unseal_keys_b64,
      ...shares.unseal_keys_b64.map((k) => Buffer.from(k, 'base64')),
    );
    add(secrets, 'AppRole secret ID', chain.approle.secretId, wrongSecretId);
    add(secrets, 'AppRole token', good.body.auth.client_token);
    add(secrets, 'S3 secret key', chain.credentials.secretKey);
    add(secrets, 'presigned URL signature', signature);
    add(secrets, 'SSE-C key', ssecKey, wrongKey);
    add(secrets, 'KES data key', Buffer.from(generated.body.plaintext, 'base64'));
    add(secrets, 'KES master key', ...storedKeyBytes);
    add(secrets, 'KV secret', kvSecret);
    add(secrets, 'object plaintext', marker);
    const pems = [chain.pki.server.keyPem, ...Object.values(chain.pki.clients).map((c) => c.keyPem)];
    secrets.set('TLS private key', pems.flatMap(pemBody));

    // Stop the servers so that every line is on disk, then read the three logs.
    await chain.stop();
    const logs: Record<string, string> = {
      'vault log': await readFile(chain.logOf('vault'), 'utf8'),
      'kes log': await readFile(chain.logOf('kes'), 'utf8'),
      'minio log': await readFile(chain.logOf('minio'), 'utf8'),
    };

    // The scan finds what it looks for: a line carrying a secret in base64 is caught.
    const planted = `{"msg":"x","v":"${Buffer.from(chain.approle.secretId).toString('base64')}"}`;
    expect(leaks({ planted }, secrets)).toEqual(['AppRole secret ID in planted']);

    expect(leaks(logs, secrets)).toEqual([]);

    // The logs are the real thing: JSON lines at trace level with request lines from all three.
    const byService: Record<string, Array<Record<string, unknown>>> = {};
    for (const [name, text] of Object.entries(logs)) {
      const recs = records(text);
      const service = name.split(' ')[0]!;
      for (const r of recs) {
        expect(r).toMatchObject({ service, level: expect.any(String), msg: expect.any(String) });
        expect(r['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      byService[service] = recs;
      expect(
        recs.filter((r) => r['msg'] === 'request completed' && r['level'] === 'debug').length,
      ).toBeGreaterThan(3);
      for (const r of recs.filter((r) => r['msg'] === 'request completed')) {
        expect(r['reqId']).toEqual(expect.any(String));
        expect(String(r['path'])).not.toContain('?');
      }
    }
    // The object store's request id names its request line and the KES calls that request made.
    const sseS3Put = puts[0]!.$metadata.requestId!;
    expect(byService['minio']!.some((r) => r['reqId'] === sseS3Put && r['method'] === 'PUT')).toBe(true);
    expect(byService['kes']!.some((r) => r['xRequestId'] === sseS3Put)).toBe(true);
  });
});

describe("Vault's log_level and log_format", () => {
  let vault: PlainVault;
  afterAll(async () => vault?.dispose());

  it('come from the config file, and -log-level overrides the file', async () => {
    vault = await plainVault('kms-chain-vault-log-');
    const config = `${await readFile(vault.config, 'utf8')}log_level = "debug"\nlog_format = "json"\n`;
    await writeFile(vault.config, config);
    const api = plainVaultApi(() => vault.port);
    const server = await vault.start();
    expect((await api('GET', 'sys/health')).status).toBe(501);
    await expect
      .poll(() => records(server.out()).find((r) => r['msg'] === 'request completed'))
      .toMatchObject({ service: 'vault', level: 'debug', path: '/v1/sys/health', status: 501 });
    expect(server.out()).toContain('Log Level: debug');
    await server.stop('SIGTERM');

    // The flag wins: at warn, neither request lines nor info lines are written.
    const quiet = await startVaultServer(vault.dir, ['-config', vault.config, '-log-level=warn']);
    expect((await api('GET', 'sys/health')).status).toBe(501);
    await new Promise((r) => setTimeout(r, 300));
    expect(quiet.out()).toContain('Log Level: warn');
    expect(records(quiet.out()).filter((r) => r['level'] === 'debug' || r['level'] === 'info')).toEqual([]);
    await quiet.stop('SIGTERM');

    // An unknown level is refused at start.
    const bad = startProc(join(binDir, 'vault'), ['server', '-config', vault.config, '-log-level=loud'], {
      cwd: vault.dir,
      env: { HOME: vault.dir },
    });
    expect(await bad.exited).toBe(1);
    expect(bad.out()).toContain('unknown log level: loud');
  });
});

describe('an unknown level or format stops the start', () => {
  it.each([
    ['kes', ['server', '--dev', '--log-level=loud'], {}, 1, 'unknown log level: loud'],
    ['kes', ['server', '--dev'], { KES_LOG_FORMAT: 'xml' }, 1, 'unknown log format: xml'],
    ['minio', ['server', 'data'], { MINIO_LOG_LEVEL: 'loud' }, 1, 'MINIO_LOG_LEVEL: unknown log level: loud'],
    [
      'minio',
      ['server', 'data'],
      { MINIO_LOG_FORMAT: 'xml' },
      1,
      'MINIO_LOG_FORMAT: unknown log format: xml',
    ],
  ] as const)('%s %j %j exits %d: %s', async (bin, args, env, code, message) => {
    const dir = await tempDir('kms-chain-log-words-');
    try {
      const p = startProc(join(binDir, bin), [...args], { cwd: dir, env: { HOME: dir, ...env } });
      expect(await p.exited).toBe(code);
      expect(p.out()).toContain(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
