// Memory locking through the `vault` bin: without `disable_mlock` the server locks its key arena
// (banner `Mlock: supported: true, enabled: true`, VmLck in /proc) and serves init, unseal,
// rotation, sealing and unsealing again from it; when the kernel refuses (no CAP_IPC_LOCK and a
// small RLIMIT_MEMLOCK, made with setpriv + prlimit) it stops with Vault's message, exit 1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binDir,
  type PlainVault,
  plainVault,
  plainVaultApi,
  plainVaultConfig,
  startVaultServer,
} from './chain-support.js';

let vault: PlainVault;

beforeAll(async () => {
  vault = await plainVault('vault-mlock-', { mlock: true });
});

afterAll(async () => {
  await vault?.dispose();
});

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canDropCap =
  process.platform === 'linux' && process.getuid?.() === 0 && has('setpriv') && has('prlimit');

const api = plainVaultApi(() => vault.port);

describe.skipIf(process.platform !== 'linux')('vault server mlock', { timeout: 60_000 }, () => {
  it.skipIf(!canDropCap)('refused locking stops the server with Vault’s message and exit 1', () => {
    for (const [limit, reason] of [
      ['8192', 'cannot allocate memory'],
      ['0', 'operation not permitted'],
    ] as const) {
      const r = spawnSync(
        'setpriv',
        [
          '--bounding-set',
          '-ipc_lock',
          '--inh-caps',
          '-ipc_lock',
          'prlimit',
          `--memlock=${limit}`,
          join(binDir, 'vault'),
          'server',
          '-config',
          vault.config,
        ],
        { cwd: vault.dir, encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).not.toContain('Vault server started');
      expect(r.stderr).toMatch(
        new RegExp(`^Error initializing core: Failed to lock memory: ${reason}\\n\\nThis usually means`),
      );
      expect(r.stderr).toContain('set the `disable_mlock` configuration option');
      expect(r.stderr).toContain('setcap cap_ipc_lock=+ep');
    }
  });

  it('disable_mlock: supported but not enabled, nothing locked', async () => {
    const cfg = join(vault.dir, 'no-mlock.hcl');
    await writeFile(
      cfg,
      plainVaultConfig(join(vault.dir, 'data-no-mlock'), vault.port, 'disable_mlock = true\n'),
    );
    const s = await startVaultServer(vault.dir, ['-config', cfg]);
    try {
      expect(s.out()).toMatch(/^ {10}Mlock: supported: true, enabled: false$/m);
      expect(s.out()).not.toContain('WARNING! mlock');
      const status = readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
      expect(Number(/^VmLck:\s+(\d+) kB$/m.exec(status)?.[1])).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('locks the key arena and serves init, unseal, rotate, seal and unseal from it', async () => {
    const server = await vault.start();
    expect(server.out()).toMatch(/^ {10}Mlock: supported: true, enabled: true$/m);
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    expect(Number(/^VmLck:\s+(\d+) kB$/m.exec(status)?.[1])).toBeGreaterThanOrEqual(64);

    const init = await api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
    expect(init.status).toBe(200);
    const keys: string[] = init.json.keys_base64;
    const token: string = init.json.root_token;
    const unseal = async () => {
      expect((await api('PUT', 'sys/unseal', { key: keys[0] })).json.progress).toBe(1);
      expect((await api('PUT', 'sys/unseal', { key: keys[2] })).json.sealed).toBe(false);
    };
    await unseal();
    expect((await api('POST', 'sys/mounts/kv', { type: 'kv' }, token)).status).toBe(204);
    expect((await api('PUT', 'kv/a', { v: 'one' }, token)).status).toBe(204);
    expect((await api('POST', 'sys/rotate', {}, token)).status).toBe(204);
    expect((await api('PUT', 'kv/b', { v: 'two' }, token)).status).toBe(204);
    expect((await api('PUT', 'sys/seal', {}, token)).status).toBe(204);
    expect((await api('GET', 'kv/a', undefined, token)).status).toBe(503);
    await unseal();
    expect((await api('GET', 'kv/a', undefined, token)).json.data).toEqual({ v: 'one' });
    expect((await api('GET', 'kv/b', undefined, token)).json.data).toEqual({ v: 'two' });
    expect((await api('GET', 'sys/key-status', undefined, token)).json.data.term).toBe(2);
  });
});
