// Shared by the chain and vault-* tests: processes with our bins first on PATH (the launcher,
// freePort and the rest come from @kms-chain/tools), a shell like a user's, a `vault server` child,
// and S3 clients that trust a given CA. Nothing here imports app internals: the chain is driven
// through its bins and real clients only.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort, startProc as launch, type Proc } from '@kms-chain/tools';

export { freePort, freePortRange, isListening, killAll, type Proc } from '@kms-chain/tools';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const binDir = join(repoRoot, 'node_modules', '.bin');

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Spawns `cmd` with captured output and our bins first on PATH; `env` is merged over the test's. */
export function startProc(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Proc {
  return launch(cmd, args, { cwd: opts.cwd, env: { PATH: `${binDir}:${process.env['PATH']}`, ...opts.env } });
}

export interface ShellResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one bash line in `dir` like a user at a terminal, with our bins first on PATH. */
export function sh(dir: string, cmd: string, env: Record<string, string> = {}): ShellResult {
  const r = spawnSync('bash', ['-c', cmd], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, HOME: dir, PATH: `${binDir}:${process.env['PATH']}`, ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like sh, but throws with the command's output unless it exits 0; returns stdout. */
export function shOk(dir: string, cmd: string, env: Record<string, string> = {}): string {
  const r = sh(dir, cmd, env);
  if (r.status !== 0) throw new Error(`${cmd} → exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A shell bound to `dir`; `env` may be changed between lines and applies to every later one. */
export interface Shell {
  dir: string;
  env: Record<string, string>;
  /** Runs one shell line like sh, with `env` and then `extraEnv` over the environment. */
  run(cmd: string, extraEnv?: Record<string, string>): ShellResult;
}

export function shell(dir: string, env: Record<string, string>): Shell {
  const s: Shell = { dir, env, run: (cmd, extraEnv = {}) => sh(dir, cmd, { ...s.env, ...extraEnv }) };
  return s;
}

/**
 * A vault config (HCL) with file storage in `dataDir` and a plain-HTTP loopback listener on `port`,
 * for the tests that drive the server itself rather than its TLS; `extra` lines are appended.
 */
export function plainVaultConfig(dataDir: string, port: number, extra = ''): string {
  return `storage "file" { path = "${dataDir}" }
listener "tcp" {
  address     = "127.0.0.1:${port}"
  tls_disable = 1
}
${extra}`;
}

/** A vault API reply: status and parsed JSON body (undefined when empty). */
export interface VaultReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read Vault's JSON envelopes field by field.
  json: any;
}

/** A plain-HTTP client for the vault on loopback `port`: `api(method, path, body?, token?)`. */
export function plainVaultApi(port: () => number) {
  return async (method: string, path: string, body?: unknown, token?: string): Promise<VaultReply> => {
    const res = await fetch(`http://127.0.0.1:${port()}/v1/${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { 'x-vault-token': token } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
}

/** Starts `vault server …args` in `dir` and resolves once its banner says it is serving. */
export async function startVaultServer(dir: string, args: string[]): Promise<Proc> {
  const proc = startProc(join(binDir, 'vault'), ['server', ...args], { cwd: dir, env: { HOME: dir } });
  await proc.waitFor(/==> Vault server started!/);
  return proc;
}

/** A vault made by plainVault: its temp dir, port and config, and the server once started. */
export interface PlainVault {
  dir: string;
  port: number;
  /** Path of its config.hcl: file storage in `dir`/data, plain HTTP on 127.0.0.1:`port`. */
  config: string;
  /** The server started last; undefined before the first start(). */
  server: Proc | undefined;
  /** Starts `vault server -config config.hcl` (again after a stop or a kill); resolves at its banner. */
  start(): Promise<Proc>;
  /** sys/init with one key share; unseals with it unless `sealed`. */
  init(opts?: { sealed?: boolean }): Promise<{ unsealKey: string; root: string }>;
  /** Stops the server with `signal` (default SIGTERM) and deletes `dir`: for afterAll. */
  dispose(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A temp dir (`prefix`) holding a plainVaultConfig on a free port, with `disable_mlock = true`
 * unless `mlock` is set. Nothing is started yet.
 */
export async function plainVault(prefix: string, opts: { mlock?: boolean } = {}): Promise<PlainVault> {
  const dir = await tempDir(prefix);
  const port = await freePort();
  const config = join(dir, 'config.hcl');
  await writeFile(
    config,
    plainVaultConfig(join(dir, 'data'), port, opts.mlock ? '' : 'disable_mlock = true\n'),
  );
  const api = plainVaultApi(() => port);
  const vault: PlainVault = {
    dir,
    port,
    config,
    server: undefined,
    async start() {
      vault.server = await startVaultServer(dir, ['-config', config]);
      return vault.server;
    },
    async init({ sealed = false } = {}) {
      const init = (await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })).json;
      const unsealKey: string = init.keys_base64[0];
      if (!sealed) await api('PUT', 'sys/unseal', { key: unsealKey });
      return { unsealKey, root: init.root_token };
    },
    async dispose(signal = 'SIGTERM') {
      await vault.server?.stop(signal);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return vault;
}

/** An AWS SDK v3 S3 client, path-style, trusting `ca` (PEM) when given, no retries. */
export function s3Client(endpoint: string, accessKey: string, secretKey: string, ca?: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    maxAttempts: 1,
    ...(ca ? { requestHandler: { httpsAgent: new Agent({ ca }) } } : {}),
  });
}

/**
 * The environment of an AWS client the tests run (the aws CLI, boto3 scripts): cut off from the
 * user's config and credentials files, HOME in `home`, no python bytecode written into the repo;
 * with `secret`, signing as the test root user `minio` in us-east-1.
 */
export function awsEnv(home: string, secret?: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    PYTHONDONTWRITEBYTECODE: '1',
    ...(secret === undefined
      ? {}
      : { AWS_ACCESS_KEY_ID: 'minio', AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-east-1' }),
  };
}
