// vault policy write|read|list|delete
import { readFile } from 'node:fs/promises';
import { parseFlags, UsageError } from '@kms-chain/cli';
import { type ApiResponse, VaultClient } from './client.js';
import { outputFormat } from './format.js';
import { err, failed, out, readStdin } from './io.js';

const formatFlag = { format: { type: 'string' } } as const;

/** The positional arguments, exactly `n` of them. */
function exactly(n: number, args: string[]): string[] {
  if (args.length !== n)
    throw new UsageError(`Wrong number of arguments (expected ${n}, got ${args.length})`);
  return args;
}

export async function policyWrite(args: string[]): Promise<number> {
  const client = new VaultClient();
  const [rawName, file] = exactly(2, parseFlags(args, {}).positionals) as [string, string];
  const name = rawName.trim().toLowerCase();
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    err(`Error opening policy file: ${(e as Error).message}`);
    return 1;
  }
  try {
    await client.request('PUT', `sys/policies/acl/${encodeURIComponent(name)}`, { policy: text });
  } catch (e) {
    return failed('Error uploading policy', e);
  }
  out(`Success! Uploaded policy: ${name}`);
  return 0;
}

export async function policyRead(args: string[]): Promise<number> {
  const client = new VaultClient();
  const { values, positionals } = parseFlags(args, formatFlag);
  const format = outputFormat(values.format);
  const name = exactly(1, positionals)[0]!.trim().toLowerCase();
  let res: ApiResponse;
  try {
    res = await client.request('GET', `sys/policies/acl/${encodeURIComponent(name)}`);
  } catch (e) {
    const code = failed(`Error reading policy named ${name}`, e);
    return code;
  }
  const data = (res.json?.['data'] ?? {}) as Record<string, unknown>;
  if (format === 'json') out(JSON.stringify(res.json, null, 2));
  else out(String(data['policy'] ?? ''));
  return 0;
}

export async function policyList(args: string[]): Promise<number> {
  const client = new VaultClient();
  const format = outputFormat(parseFlags(args, formatFlag).values.format);
  let res: ApiResponse;
  try {
    res = await client.request('GET', 'sys/policies/acl', undefined, { list: 'true' });
  } catch (e) {
    return failed('Error listing policies', e);
  }
  const keys = ((res.json?.['data'] as { keys?: string[] })?.keys ?? []) as string[];
  out(format === 'json' ? JSON.stringify(keys, null, 2) : keys.join('\n'));
  return 0;
}

export async function policyDelete(args: string[]): Promise<number> {
  const client = new VaultClient();
  const name = exactly(1, parseFlags(args, {}).positionals)[0]!.trim().toLowerCase();
  try {
    await client.request('DELETE', `sys/policies/acl/${encodeURIComponent(name)}`);
  } catch (e) {
    return failed(`Error deleting ${name}`, e);
  }
  out(`Success! Deleted policy: ${name}`);
  return 0;
}
