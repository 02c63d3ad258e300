// The built `minio` bin on an ephemeral loopback port over a fresh data directory, for the tests that
// drive it with real S3 clients (aws cli, boto3, rclone), started as the KMS guide does with
// MINIO_ACCESS_KEY=minio / MINIO_SECRET_KEY=minio123.
import { join } from 'node:path';
import { startProc } from '@kms-chain/tools';
import { binDir } from './chain-support.js';

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
  const proc = startProc(join(binDir, 'minio'), ['server', dataDir, '--address', '127.0.0.1:0', ...args], {
    env: { MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'minio123', ...env },
  });
  const [, endpoint] = await proc.waitFor(/API: (http:\/\/127\.0\.0\.1:\d+)/);
  return {
    endpoint: endpoint!,
    async stop() {
      await proc.stop();
    },
  };
}
