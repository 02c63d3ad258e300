// Storage backends against one contract, and the file backend's on-disk layout (Vault's).
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStorage } from '../src/storage/file.js';
import { InmemStorage } from '../src/storage/inmem.js';
import type { Storage } from '../src/storage/storage.js';
import { storageContract } from './storage-contract.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-storage-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
const backends: Array<[string, () => Storage]> = [
  ['file', () => new FileStorage(join(dir, `s${n++}`))],
  ['inmem', () => new InmemStorage()],
];

describe.each(backends)('%s storage contract', (_name, make) => storageContract(make));

describe('file layout', () => {
  it('leaf files are _name with {"Value": base64}, 0600 in 0700 dirs, no temp files left, empty dirs removed', async () => {
    const root = join(dir, 'layout');
    const s = new FileStorage(root);
    await s.put('core/seal-config', Buffer.from('{"type":"shamir"}'));
    await s.put('logical/u1/deep/key', Buffer.from('v'));
    const raw = JSON.parse(await readFile(join(root, 'core', '_seal-config'), 'utf8'));
    expect(raw).toEqual({ Value: Buffer.from('{"type":"shamir"}').toString('base64') });
    expect((await stat(join(root, 'core', '_seal-config'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'logical', 'u1', 'deep'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(root, 'core'))).toEqual(['_seal-config']);
    await s.delete('logical/u1/deep/key');
    expect(await readdir(root)).toEqual(['core']);
  });
});
