// Child processes of the benchmark: spawn a Node script, wait for the line that says where it
// listens, stop it, and read its memory figures from /proc.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * Runs `node <args>`. With `ready` (a RegExp) it resolves once stdout matches, returning the match;
 * without, once the process has spawned, its stdout then going to `log` too. Stderr goes to `log`
 * (a file path) when given, else is dropped. A child that exits before it is ready rejects with its
 * code and the output seen.
 */
export function startNode(name, args, { ready, env = {}, log, cwd, timeoutMs = 120_000 } = {}) {
  const fd = log ? openSync(log, 'a', 0o600) : 'ignore';
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', ready ? 'pipe' : fd, fd],
  });
  if (typeof fd === 'number') closeSync(fd);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready: ${out.slice(-400)}`));
    };
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name}: cannot start: ${err.message}`));
    });
    if (!ready) {
      child.once('spawn', () => {
        clearTimeout(timer);
        resolve({ name, child, match: null });
      });
      return;
    }
    child.once('exit', onExit);
    child.stdout.on('data', (chunk) => {
      if (out.length < 65_536) out += chunk;
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ name, child, match });
    });
  });
}

/** Whether a child process is still running. */
export function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child, graceMs = 10_000) {
  if (!child || !isRunning(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (isRunning(child)) child.kill('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick; another process may take it later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function statusKiB(pid, field) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]);
}

/**
 * Writes every dirty page to disk (`sync`), so a measurement does not pay for the write-back of the one
 * before it — s3rver, for one, never fsyncs, and its files would otherwise be flushed during the next
 * configuration's round. Resolves even where `sync` is missing.
 */
export function settleDisk() {
  return new Promise((resolve) => execFile('sync', () => resolve()));
}

/**
 * Resets the kernel's peak-RSS mark (VmHWM) of `pid` by writing 5 to its clear_refs (Linux ≥ 4.0).
 * Returns false where that is not allowed or not Linux; the peak then counts from process start.
 */
export async function resetPeakRss(pid) {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak resident set size (VmHWM) of `pid` in MiB, or undefined when /proc cannot tell. */
export async function peakRssMiB(pid) {
  try {
    return (await statusKiB(pid, 'VmHWM')) / 1024;
  } catch {
    return undefined;
  }
}
