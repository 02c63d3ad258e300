// A dev PKI that createDevPki reported made survives a power loss: each file's rename into the
// directory is fsynced before the call resolves.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { createDevPki } from './dev-pki.js';

const synced = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, ...rest) => {
    const fh = await fs.open(path, ...rest);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      await sync();
      synced.push(String(path));
    };
    return fh;
  };
  return { ...fs, open };
});

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

it('fsyncs the PKI directory after writing its files', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'dev-pki-')), 'pki');
  dirs.push(dir);
  await createDevPki(dir, { clients: [] });
  expect(synced).toContain(dir);
});
