import { ApiError, TransportError } from './client.js';

export const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};
export const err = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
};

/** Prints a failed request as Vault does (`Error <doing>: …`) and returns exit code 2. */
export function failed(doing: string, e: unknown, namespace?: string): number {
  if (e instanceof ApiError) err(`${doing}: ${e.render(namespace)}`);
  else if (e instanceof TransportError) err(`${doing}: ${e.message}`);
  else throw e;
  return 2;
}

/** Reads all of stdin (for `-` arguments). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
