// The three programs are on PATH after `npm install`: root node_modules/.bin holds vault, kes and
// minio, and each runs its compiled CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binDir, freePort } from './chain-support.js';

describe.each(['vault', 'kes', 'minio'])('%s bin', (name) => {
  it('is linked into node_modules/.bin and runs', () => {
    const bin = join(binDir, name);
    expect(existsSync(bin)).toBe(true);
    const run = spawnSync(bin, [], { encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(2);
    expect(run.stderr.toLowerCase()).toContain('usage');
  });
});

describe('a server whose log reader goes away', () => {
  it('keeps serving after its stdout pipe closes (`vault server -dev | head -1`)', async () => {
    const port = await freePort();
    const child = spawn(join(binDir, 'vault'), ['server', '-dev'], {
      env: { ...process.env, VAULT_DEV_LISTEN_ADDRESS: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      // Close our end after the first line, as `head -1` does; the banner still has lines to write.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      child.stderr.destroy();
      let health = 0;
      for (let i = 0; i < 100 && health !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`http://127.0.0.1:${port}/v1/sys/health`).then(
          (res) => res.status,
          () => 0,
        );
      }
      expect(health).toBe(200);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
