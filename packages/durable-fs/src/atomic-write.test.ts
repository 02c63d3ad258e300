import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commitFile, TEMP_PREFIX, writeFileAtomic, writeTempFile } from './index.js';

// Every durability step, in order, as the module performs it.
const steps = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, ...rest) => {
    const fh = await fs.open(path, ...rest);
    const name = String(path);
    return new Proxy(fh, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'datasync' || prop === 'sync') {
          return async () => {
            await v.call(target);
            steps.push(`${prop} ${name}`);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return {
    ...fs,
    open,
    rename: async (a: string, b: string) => {
      await fs.rename(a, b);
      steps.push(`rename ${b}`);
    },
    link: async (a: string, b: string) => {
      await fs.link(a, b);
      steps.push(`link ${b}`);
    },
  };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durable-fs-'));
  steps.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const tmpOf = (s: string): boolean => s.includes(TEMP_PREFIX);

describe('writeFileAtomic', () => {
  it('fdatasyncs the temp, renames it over the target, then fsyncs the directory', async () => {
    const target = join(dir, 'a.json');
    await writeFile(target, 'old');
    await writeFileAtomic(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(steps.map((s) => (tmpOf(s) ? s.replace(/\.tmp-.*/, '<tmp>') : s))).toEqual([
      `datasync ${dir}/<tmp>`,
      `rename ${target}`,
      `sync ${dir}`,
    ]);
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('creates the file 0600 unless told otherwise', async () => {
    await writeFileAtomic(join(dir, 'k'), 'secret');
    expect((await stat(join(dir, 'k'))).mode & 0o777).toBe(0o600);
    await writeFileAtomic(join(dir, 'p'), 'public', { mode: 0o644 });
    expect((await stat(join(dir, 'p'))).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('exclusive: links, refuses a taken name with EEXIST and leaves it and no temp behind', async () => {
    const target = join(dir, 'key');
    await writeFileAtomic(target, 'first', { exclusive: true });
    expect(steps.at(-2)).toBe(`link ${target}`);
    expect(steps.at(-1)).toBe(`sync ${dir}`);
    await expect(writeFileAtomic(target, 'second', { exclusive: true })).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readFile(target, 'utf8')).toBe('first');
    expect(await readdir(dir)).toEqual(['key']);
  });

  it('writes the temp in tmpDir and fsyncs the extra directories along with the target one', async () => {
    const staging = join(dir, 'tmp');
    const parent = join(dir, 'b');
    const leaf = join(parent, 'c');
    await mkdir(staging);
    await mkdir(leaf, { recursive: true });
    await writeFileAtomic(join(leaf, 'meta.json'), '{}', { tmpDir: staging, syncDirs: [parent] });
    expect(steps[0]).toMatch(new RegExp(`^datasync ${staging}/\\.tmp-`));
    expect(steps.slice(2).sort()).toEqual([`sync ${leaf}`, `sync ${parent}`].sort());
    expect(await readdir(staging)).toEqual([]);
  });

  it('removes the temp when the commit fails', async () => {
    const staging = join(dir, 'tmp');
    await mkdir(staging);
    await expect(writeFileAtomic(join(dir, 'gone', 'x'), 'x', { tmpDir: staging })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await readdir(staging)).toEqual([]);
  });
});

describe('writeTempFile + commitFile', () => {
  it('is the same sequence split in two', async () => {
    const tmp = await writeTempFile(dir, 'v');
    expect(steps).toEqual([`datasync ${tmp}`]);
    await commitFile(tmp, join(dir, 'v'));
    expect(steps.slice(1)).toEqual([`rename ${join(dir, 'v')}`, `sync ${dir}`]);
    expect(await readdir(dir)).toEqual(['v']);
  });
});
