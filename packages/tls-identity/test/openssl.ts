// Test helpers: run the openssl CLI the way the guide does, in a scratch directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory with a shell that runs commands in it. */
export interface Scratch {
  dir: string;
  /** Runs `cmd` with `sh -c` in the directory; returns stdout; throws on a non-zero exit. */
  sh(cmd: string): string;
  /** Reads a file of the directory as UTF-8. */
  read(name: string): string;
  /** Reads a file of the directory as bytes. */
  bytes(name: string): Buffer;
  path(name: string): string;
  remove(): void;
}

export function scratch(prefix = 'tls-identity-'): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    sh: (cmd) =>
      execFileSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    read: (name) => readFileSync(join(dir, name), 'utf8'),
    bytes: (name) => readFileSync(join(dir, name)),
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The identity openssl computes for a certificate file: SHA-256 over the DER public key
 * (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`).
 */
export function opensslIdentity(s: Scratch, certFile: string): string {
  return s
    .sh(`openssl x509 -in ${certFile} -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`)
    .split(/\s+/)[0]!;
}
