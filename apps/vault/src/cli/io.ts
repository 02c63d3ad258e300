import { ApiError, TransportError } from './client.js';

export const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};
export const err = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
};

/** Prints a failed request as Vault does (`Error <doing>: …`) and returns exit code 2. */
export function failed(doing: string, e: unknown, namespace?: string): number {
  // Vault's UI.Error always appends a newline, even after the multierror's own blank lines.
  if (e instanceof ApiError) process.stderr.write(`${doing}: ${e.render(namespace)}\n`);
  else if (e instanceof TransportError) process.stderr.write(`${doing}: ${e.message}\n`);
  else throw e;
  return 2;
}

/** Reads all of stdin (for `-` arguments). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
