// `kes --version` (`-v`): the version the server also reports at /version, and the runtime.
import { createRequire } from 'node:module';
import type { Io } from './io.js';

/** This package's version, read from its package.json (two levels above both src/cli and dist/cli). */
export function kesVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

export async function versionCommand(_args: string[], io: Io): Promise<number> {
  io.out(`Version    ${kesVersion()}\n`);
  io.out(`Runtime    node ${process.version} ${process.platform}/${process.arch}\n`);
  return 0;
}
