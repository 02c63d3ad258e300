// `kill -9` of our vault (file storage) in the middle of concurrent KV writes and AppRole logins:
// after a restart and unseal, every acknowledged write reads back with the value that was
// acknowledged (or one written after it), every acknowledged login token still works, and nothing
// half-written is visible — the temp files the kill left behind are not listed as keys.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlainVault, plainVault, plainVaultApi } from './chain-support.js';

let vault: PlainVault;

beforeAll(async () => {
  vault = await plainVault('vault-crash-');
});

afterAll(async () => {
  await vault?.dispose('SIGKILL');
});

const api = plainVaultApi(() => vault.port);

async function walk(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await walk(join(d, e.name))));
    else out.push(join(d, e.name));
  }
  return out;
}

describe('vault killed with -9 during writes and logins', { timeout: 120_000 }, () => {
  it('keeps every acknowledged write and login; shows nothing partial', async () => {
    const first = await vault.start();
    const { unsealKey: key, root } = await vault.init();
    await api('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    await api('POST', 'sys/auth/approle', { type: 'approle' }, root);
    await api('PUT', 'sys/policies/acl/app', { policy: 'path "kv/*" { capabilities = ["read"] }' }, root);
    await api('POST', 'auth/approle/role/app', { token_policies: 'app' }, root);
    const roleId = (await api('GET', 'auth/approle/role/app/role-id', undefined, root)).json.data.role_id;
    const secretId = (await api('POST', 'auth/approle/role/app/secret-id', {}, root)).json.data.secret_id;

    // 16 writers, each overwriting its own 3 keys with increasing values (one writer per key,
    // so per key the order of writes is known); 8 clients log in; the kill comes after 150
    // acknowledged writes, while requests are still in flight.
    const acked = new Map<string, number>();
    const started = new Map<string, number>();
    const tokens: string[] = [];
    let ackCount = 0;
    let killed: Promise<number | string> | undefined;
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 1; !stop; n++) {
        const k = `w${w}-k${n % 3}`;
        started.set(k, n);
        try {
          const r = await api('PUT', `kv/crash/${k}`, { n }, root);
          if (r.status !== 204) throw new Error(`status ${r.status}`);
        } catch {
          stop = true;
          return;
        }
        acked.set(k, n);
        if (++ackCount === 150) killed = first.stop('SIGKILL');
      }
    };
    const loginer = async () => {
      while (!stop) {
        try {
          const r = await api('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          tokens.push(r.json.auth.client_token);
        } catch {
          stop = true;
          return;
        }
      }
    };
    await Promise.all([
      ...Array.from({ length: 16 }, (_, w) => writer(w)),
      ...Array.from({ length: 8 }, () => loginer()),
    ]);
    expect(await killed).toBe('SIGKILL');
    expect(ackCount).toBeGreaterThanOrEqual(150);
    expect(tokens.length).toBeGreaterThan(0);

    await vault.start();
    expect((await api('GET', 'sys/seal-status')).json.sealed).toBe(true);
    expect((await api('PUT', 'sys/unseal', { key })).json.sealed).toBe(false);

    const listed: string[] = (await api('GET', 'kv/crash?list=true', undefined, root)).json.data.keys;
    expect(listed.every((k) => /^w\d+-k\d$/.test(k))).toBe(true);
    expect(acked.size).toBeGreaterThan(0);
    for (const [k, n] of acked) {
      const r = await api('GET', `kv/crash/${k}`, undefined, root);
      expect(r.status, k).toBe(200);
      // The acknowledged value, or the one write to this key that was in flight at the kill.
      expect(r.json.data.n, k).toBeGreaterThanOrEqual(n);
      expect(r.json.data.n, k).toBeLessThanOrEqual(started.get(k)!);
    }
    for (const t of tokens) {
      const r = await api('GET', 'auth/token/lookup-self', undefined, t);
      expect(r.status, 'acknowledged login token').toBe(200);
    }
    // A write after the restart sweeps the kill's temp files from its directory.
    expect((await api('PUT', 'kv/crash/after', { n: 0 }, root)).status).toBe(204);
    const crashDir = (await walk(join(vault.dir, 'data')))
      .find((f) => f.endsWith('/_after'))!
      .slice(0, -'/_after'.length);
    expect((await readdir(crashDir)).filter((f) => f.endsWith('.temp'))).toEqual([]);
    // Every entry is whole: `{"Value": <base64>}`.
    const leaves = (await walk(join(vault.dir, 'data'))).filter((f) => !f.endsWith('.temp'));
    expect(leaves.length).toBeGreaterThan(48);
    for (const f of leaves) {
      const entry = JSON.parse(await readFile(f, 'utf8'));
      expect(Object.keys(entry), f).toEqual(['Value']);
      expect(entry.Value, f).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    }
  });
});
