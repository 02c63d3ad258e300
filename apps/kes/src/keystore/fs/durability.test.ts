// A key whose create resolved must survive a power loss: data sealed under it is unreadable
// without it. So the new name is made durable (directory fsync) before create resolves.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { FsKeystore } from './index.js';

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

it('create fsyncs the key directory before it resolves', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kes-fs-'));
  dirs.push(root);
  const dir = join(root, 'keys');
  await new FsKeystore(dir).create('k1', 'value');
  expect(synced).toContain(dir);
});
