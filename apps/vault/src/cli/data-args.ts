// `k=v` arguments as Vault's kvbuilder reads them: `k=@file`, `k=-` (stdin), a lone `-` (a JSON
// object on stdin) or `@file.json`; a repeated key becomes a list.
import { readFile } from 'node:fs/promises';
import { UsageError } from '@kms-chain/cli';
import { readStdin } from './io.js';

export async function parseDataArgs(args: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdinOnce = async () => {
    if (stdinUsed) throw new UsageError('stdin can only be read once');
    stdinUsed = true;
    return readStdin();
  };
  for (const arg of args) {
    if (arg === '-' || (arg.startsWith('@') && !arg.includes('='))) {
      const text = arg === '-' ? await stdinOnce() : await readFile(arg.slice(1), 'utf8');
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`Failed to parse K=V data: invalid JSON: ${(e as Error).message}`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new UsageError('Failed to parse K=V data: expected a JSON object');
      Object.assign(out, obj);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `Failed to parse K=V data: invalid key/value pair "${arg}": format must be key=value`,
      );
    const key = arg.slice(0, eq);
    let value: string = arg.slice(eq + 1);
    if (value === '-') value = await stdinOnce();
    else if (value.startsWith('@')) {
      try {
        value = await readFile(value.slice(1), 'utf8');
      } catch (e) {
        throw new UsageError(`Failed to parse K=V data: error reading file: ${(e as Error).message}`);
      }
    }
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
