// The built `minio` bin on an ephemeral loopback port over a fresh data directory, for the tests that
// drive it with real S3 clients (aws cli, boto3, rclone), started as the KMS guide does with
// MINIO_ACCESS_KEY=minio / MINIO_SECRET_KEY=minio123.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'minio');

/** A running `minio server`. */
export interface MinioBin {
  endpoint: string;
  /** Stops the server with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `minio server <dataDir> …args` (with `env` added to its environment, e.g. a static KMS key) and
 * resolves once it prints its API address.
 */
export async function startMinioBin(
  dataDir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<MinioBin> {
  const child: ChildProcess = spawn(bin, ['server', dataDir, '--address', '127.0.0.1:0', ...args], {
    env: { ...process.env, MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'minio123', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`minio exited with ${code}: ${out}`)));
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
