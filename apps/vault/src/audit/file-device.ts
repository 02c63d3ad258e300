// The `file` audit device: appends one JSON line per entry to `file_path` (or stdout, or nowhere
// for `discard`). Options as Vault reads them: file_path (alias path), format (json), prefix,
// log_raw, hmac_accessor, mode (octal, default 0600; 0000 keeps the file's own), skip_test.
//
// Each entry is written with one synchronous append before the request goes on: the core only
// runs a request once an entry says it happened, and a failed write must be known right then
// (docs/vault.md#audit, fail-closed). A failed write re-opens the file once and retries, so a
// rotated log (renamed away by logrotate) is picked up again as Vault does.
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { badRequest } from '../errors.js';
import type { FormatOptions } from './entry.js';

export interface FileDeviceConfig extends FormatOptions {
  /** A file path, `stdout` or `discard`. */
  path: string;
  prefix: string;
  mode: number | undefined;
  skipTest: boolean;
}

/** Go's strconv.ParseBool, with its error text. */
function parseBool(v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** The device's options, checked as Vault's factory checks them (400 with its words). */
export function parseFileOptions(options: Record<string, string>): FileDeviceConfig {
  let path = options['file_path'] ?? options['path'];
  if (path === undefined) throw badRequest('file_path is required');
  if (path.toLowerCase() === 'stdout') path = 'stdout';
  if (path.toLowerCase() === 'discard') path = 'discard';
  const format = options['format'] ?? 'json';
  if (format === 'jsonx')
    throw badRequest('jsonx formatting is not supported by this server, use json by omitting "format"');
  if (format !== 'json') throw badRequest(`unknown format type ${JSON.stringify(format)}`);
  let mode: number | undefined = 0o600;
  const rawMode = options['mode'];
  if (rawMode !== undefined) {
    if (!/^[0-7]+$/.test(rawMode))
      throw badRequest(`strconv.ParseUint: parsing ${JSON.stringify(rawMode)}: invalid syntax`);
    const m = Number.parseInt(rawMode, 8);
    if (m > 0o7777) throw badRequest('file mode does not represent a regular file');
    // 0 keeps the mode the file has; execute bits are never set on an audit log.
    mode = m === 0 ? undefined : m & ~0o111;
  }
  return {
    path,
    prefix: options['prefix'] ?? '',
    raw: options['log_raw'] !== undefined ? parseBool(options['log_raw']) : false,
    hmacAccessor: options['hmac_accessor'] !== undefined ? parseBool(options['hmac_accessor']) : true,
    mode,
    skipTest: options['skip_test'] === 'true',
  };
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
};

/** A file error in Go's words (`open /x: permission denied`), without Node's decorations. */
export function fileError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return `${op} ${path}: ${ERRNO_TEXT[code] ?? code.toLowerCase() ?? 'error'}`;
}

export class FileDevice {
  readonly config: FileDeviceConfig;
  #fd: number | undefined;

  constructor(config: FileDeviceConfig) {
    this.config = config;
  }

  /** Opens the file now, so a path that cannot be written is refused at enable time. */
  open(): void {
    if (this.config.path === 'stdout' || this.config.path === 'discard' || this.#fd !== undefined) return;
    const path = this.config.path;
    try {
      mkdirAll(dirname(path));
      const mode = this.config.mode ?? statSync(path).mode & 0o7777;
      this.#fd = openSync(path, 'a', mode);
      // Only a regular file takes the mode: never a device such as /dev/null.
      if (this.config.mode !== undefined && fstatSync(this.#fd).isFile()) chmodSync(path, this.config.mode);
    } catch (err) {
      this.close();
      throw (err as NodeJS.ErrnoException).code ? new Error(fileError('open', path, err)) : err;
    }
  }

  /** Appends one line (prefix + entry + newline). Throws when it could not be written. */
  write(line: string): void {
    if (this.config.path === 'discard') return;
    const buf = Buffer.from(`${this.config.prefix}${line}\n`, 'utf8');
    if (this.config.path === 'stdout') {
      // process.stdout, not fd 1: it shares the server's log stream and its ordering.
      process.stdout.write(buf);
      return;
    }
    try {
      this.open();
      writeAll(this.#fd!, buf);
    } catch {
      this.close();
      this.open();
      try {
        writeAll(this.#fd!, buf);
      } catch (err) {
        throw new Error(fileError('write', this.config.path, err));
      }
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Already gone: nothing to release.
    }
    this.#fd = undefined;
  }
}

/**
 * Go's MkdirAll: creates the missing directories one by one, 0700. (Node's recursive mkdir never
 * returns for some paths under /proc.)
 */
function mkdirAll(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) throw new Error(`mkdir ${d}: not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw err;
      missing.unshift(d);
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      throw new Error(fileError('mkdir', d, err));
    }
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += n;
  }
}
