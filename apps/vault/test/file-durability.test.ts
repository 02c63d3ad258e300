// The file backend's durability protocol, observed through its file-system calls: data fdatasynced
// before the rename, the rename covered by a directory fsync that started after it, directory
// fsyncs shared between concurrent writers (group commit), new directories fsynced in their
// parents, deletes made durable, and recovery when a remembered directory disappears.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileOps, FileStorage, nodeFileOps } from '../src/storage/file.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'vault-durable-'));
});
afterAll(async () => rm(base, { recursive: true, force: true }));

type Event =
  | { kind: 'fdatasync'; path: string; at: number }
  | { kind: 'rename'; from: string; to: string; at: number }
  | { kind: 'unlink'; path: string; at: number }
  | { kind: 'mkdir'; path: string; at: number }
  | { kind: 'dirsync-start' | 'dirsync-end'; path: string; at: number; id: number };

/** Real file-system calls, each logged with a sequence number when it completes (or starts). */
function recorder(opts: { failDirSync?: (dir: string) => boolean } = {}) {
  let clock = 0;
  let syncIds = 0;
  const events: Event[] = [];
  const fdPaths = new Map<number, string>();
  const ops: FileOps = {
    ...nodeFileOps,
    async open(path, flags, mode) {
      const fd = await nodeFileOps.open(path, flags, mode);
      fdPaths.set(fd, path);
      return fd;
    },
    async close(fd) {
      fdPaths.delete(fd);
      await nodeFileOps.close(fd);
    },
    async fdatasync(fd) {
      await nodeFileOps.fdatasync(fd);
      events.push({ kind: 'fdatasync', path: fdPaths.get(fd)!, at: clock++ });
    },
    async fsync(fd) {
      const path = fdPaths.get(fd)!;
      const id = syncIds++;
      events.push({ kind: 'dirsync-start', path, at: clock++, id });
      await nodeFileOps.fsync(fd);
      if (opts.failDirSync?.(path)) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      events.push({ kind: 'dirsync-end', path, at: clock++, id });
    },
    async rename(from, to) {
      await nodeFileOps.rename(from, to);
      events.push({ kind: 'rename', from, to, at: clock++ });
    },
    async unlink(path) {
      await nodeFileOps.unlink(path);
      events.push({ kind: 'unlink', path, at: clock++ });
    },
    async mkdir(path, options) {
      const r = await nodeFileOps.mkdir(path, options);
      events.push({ kind: 'mkdir', path, at: clock++ });
      return r;
    },
  };
  /** The first directory fsync of `dir` that started after `after` and ended before `before`. */
  const coveringSync = (dir: string, after: number, before: number) =>
    events.find(
      (s) =>
        s.kind === 'dirsync-start' &&
        s.path === dir &&
        s.at > after &&
        events.some((e) => e.kind === 'dirsync-end' && 'id' in e && e.id === s.id && e.at < before),
    );
  return { ops, events, now: () => clock++, coveringSync };
}

let n = 0;
const freshRoot = () => join(base, `r${n++}`);

describe('file storage durability', () => {
  it('a put resolves after fdatasync → rename → a directory fsync that started after the rename', async () => {
    const rec = recorder();
    const root = freshRoot();
    const s = new FileStorage(root, rec.ops);
    await s.put('logical/u1/k', Buffer.from('v1'));
    const done = rec.now();
    const file = join(root, 'logical', 'u1', '_k');
    const rename = rec.events.find((e) => e.kind === 'rename' && e.to === file);
    expect(rename).toBeDefined();
    const tmp = (rename as { from: string }).from;
    expect(tmp).toMatch(/\/_k\.[0-9a-f]{8}[0-9a-z]+\.temp$/);
    const data = rec.events.find((e) => e.kind === 'fdatasync' && e.path === tmp);
    expect(data!.at).toBeLessThan(rename!.at);
    expect(rec.coveringSync(dirname(file), rename!.at, done)).toBeDefined();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ Value: Buffer.from('v1').toString('base64') });
  });

  it('new directories are fsynced in their parents before the put resolves; known ones are not re-made', async () => {
    const rec = recorder();
    const root = freshRoot();
    const s = new FileStorage(root, rec.ops);
    await s.put('a/b/c/k1', Buffer.from('1'));
    const done = rec.now();
    for (const d of ['a', 'a/b', 'a/b/c']) {
      const dir = join(root, d);
      const made = rec.events.find((e) => e.kind === 'mkdir' && e.path === dir);
      expect(made, d).toBeDefined();
      expect(rec.coveringSync(dirname(dir), made!.at, done), d).toBeDefined();
    }
    const mkdirs = rec.events.filter((e) => e.kind === 'mkdir').length;
    await s.put('a/b/c/k2', Buffer.from('2'));
    await s.put('a/b/c/k1', Buffer.from('3'));
    expect(rec.events.filter((e) => e.kind === 'mkdir').length).toBe(mkdirs);
    expect(await s.list('a/b/c/')).toEqual(['k1', 'k2']);
  });

  it('concurrent puts into one directory share directory fsyncs, and each is still covered', async () => {
    const rec = recorder();
    const root = freshRoot();
    const s = new FileStorage(root, rec.ops);
    await s.put('sys/token/id/warm', Buffer.from('w'));
    const first = rec.now();
    const resolvedAt = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        s.put(`sys/token/id/t${i}`, Buffer.from(`v${i}`)).then(() => resolvedAt.set(`t${i}`, rec.now())),
      ),
    );
    const dir = join(root, 'sys', 'token', 'id');
    const syncs = rec.events.filter((e) => e.kind === 'dirsync-start' && e.path === dir && e.at > first);
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(syncs.length).toBeLessThan(32);
    for (const [name, at] of resolvedAt) {
      const rename = rec.events.find((e) => e.kind === 'rename' && e.to === join(dir, `_${name}`));
      expect(rec.coveringSync(dir, rename!.at, at), name).toBeDefined();
    }
    expect((await s.list('sys/token/id/')).length).toBe(33);
  });

  it('a delete resolves after a directory fsync that follows the unlink (or the folder removal)', async () => {
    const rec = recorder();
    const root = freshRoot();
    const s = new FileStorage(root, rec.ops);
    await s.put('x/keep', Buffer.from('1'));
    await s.put('x/gone', Buffer.from('2'));
    await s.put('y/z/only', Buffer.from('3'));
    await s.delete('x/gone');
    let done = rec.now();
    const unlink = rec.events.find((e) => e.kind === 'unlink' && e.path === join(root, 'x', '_gone'));
    expect(rec.coveringSync(join(root, 'x'), unlink!.at, done)).toBeDefined();
    // Deleting the only entry removes y/z and y; the removal of y is an entry of the root.
    const mark = rec.now();
    await s.delete('y/z/only');
    done = rec.now();
    expect(await readdir(root)).toEqual(['x']);
    expect(rec.coveringSync(root, mark, done)).toBeDefined();
  });

  it('a remembered directory removed by a delete (or behind its back) is made again', async () => {
    const root = freshRoot();
    const s = new FileStorage(root);
    await s.put('p/q/k', Buffer.from('1'));
    await s.delete('p/q/k');
    expect(await readdir(root)).toEqual([]);
    await s.put('p/q/k', Buffer.from('2'));
    expect((await s.get('p/q/k'))!.toString()).toBe('2');
    await rm(join(root, 'p'), { recursive: true });
    await s.put('p/q/other', Buffer.from('3'));
    await s.put('p/r/k', Buffer.from('4'));
    expect((await s.get('p/q/other'))!.toString()).toBe('3');
    expect(await s.list('p/')).toEqual(['q/', 'r/']);
  });

  it('a failed directory fsync fails every put that waited on it, and leaves no temp file', async () => {
    let failing = false;
    const rec = recorder({ failDirSync: () => failing });
    const root = freshRoot();
    const s = new FileStorage(root, rec.ops);
    await s.put('d/warm', Buffer.from('w'));
    failing = true;
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => s.put(`d/k${i}`, Buffer.from('x'))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason.code).toBe('EIO');
    failing = false;
    await s.put('d/after', Buffer.from('ok'));
    expect((await s.get('d/after'))!.toString()).toBe('ok');
    expect((await readdir(join(root, 'd'))).filter((f) => f.endsWith('.temp'))).toEqual([]);
  });
});

describe('temp files left by a crashed process', () => {
  it('are removed the first time a later process writes into their directory; entries stay', async () => {
    const root = freshRoot();
    const first = new FileStorage(root);
    await first.put('sys/token/id/a', Buffer.from('1'));
    await first.put('top', Buffer.from('2'));
    const stale = ['_a.0badc0de5.temp', '_b.0badc0de6.temp'];
    for (const f of stale) await writeFile(join(root, 'sys', 'token', 'id', f), '{"Value":"');
    await writeFile(join(root, '_top.0badc0de7.temp'), '');
    await writeFile(join(root, 'sys', 'token', 'id', 'not-a-temp.txt'), 'x');
    const later = new FileStorage(root);
    await later.put('sys/token/id/c', Buffer.from('3'));
    await later.put('other', Buffer.from('4'));
    expect((await readdir(join(root, 'sys', 'token', 'id'))).sort()).toEqual(['_a', '_c', 'not-a-temp.txt']);
    expect((await readdir(root)).sort()).toEqual(['_other', '_top', 'sys']);
    expect((await later.get('sys/token/id/a'))!.toString()).toBe('1');
  });
});
