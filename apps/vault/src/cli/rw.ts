// vault read | write | list | delete — the generic logical commands.
import { parseFlags, UsageError } from '@kms-chain/cli';
import { ApiError, type ApiResponse, VaultClient } from './client.js';
import { parseDataArgs } from './data-args.js';
import { columns, goValue, outputFormat, secretJson, secretTable, warningsBlock } from './format.js';
import { err, failed, out } from './io.js';

const clean = (path: string) => path.replace(/^\/+/, '');

const readFlags = { format: { type: 'string' }, field: { type: 'string' } } as const;
const writeFlags = { ...readFlags, force: { type: 'boolean', aliases: ['f'] } } as const;

/** Prints a response as table/json or one field; returns the exit code. */
export function printSecret(secret: Record<string, unknown>, format: string, field: string): number {
  if (field) {
    const data = (secret['data'] ?? {}) as Record<string, unknown>;
    const auth = (secret['auth'] ?? {}) as Record<string, unknown>;
    const authFields: Record<string, unknown> = {
      token: auth['client_token'],
      token_accessor: auth['accessor'],
      token_duration: auth['lease_duration'],
      token_renewable: auth['renewable'],
      token_policies: auth['token_policies'],
      policies: auth['policies'],
    };
    const v = field in data ? data[field] : secret['auth'] ? authFields[field] : undefined;
    if (v === undefined) {
      err(`Field "${field}" not present in secret`);
      return 1;
    }
    const text = typeof v === 'string' ? v : format === 'json' ? JSON.stringify(v) : goValue(v);
    process.stdout.write(process.stdout.isTTY ? `${text}\n` : text);
    return 0;
  }
  if (format === 'json') {
    out(secretJson(secret));
    return 0;
  }
  const warn = warningsBlock(secret);
  const table = secretTable(secret);
  if (warn) process.stdout.write(table ? warn : warn.trimEnd() + '\n');
  if (table) out(table);
  return 0;
}

export async function read(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, readFlags);
  const format = outputFormat(values.format);
  const [path, ...kv] = positionals;
  if (!path) throw new UsageError('Not enough arguments (expected 1, got 0)');
  const query = Object.fromEntries(Object.entries(await parseDataArgs(kv)).map(([k, v]) => [k, String(v)]));
  const client = new VaultClient();
  let res: ApiResponse;
  try {
    res = await client.request('GET', clean(path), undefined, query);
  } catch (e) {
    if (e instanceof ApiError && e.response.status === 404 && !e.response.json?.['data']) {
      err(`No value found at ${clean(path)}`);
      return 2;
    }
    return failed(`Error reading ${clean(path)}`, e);
  }
  if (!res.json) {
    err(`No value found at ${clean(path)}`);
    return 2;
  }
  return printSecret(res.json, format, values.field ?? '');
}

export async function write(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, writeFlags);
  const format = outputFormat(values.format);
  const [path, ...kv] = positionals;
  if (!path) throw new UsageError('Not enough arguments (expected 1, got 0)');
  if (kv.length === 0 && !values.force) {
    err('Must supply data or use -force');
    return 1;
  }
  const data = kv.length ? await parseDataArgs(kv) : null;
  let res: ApiResponse;
  try {
    res = await new VaultClient().request('PUT', clean(path), data);
  } catch (e) {
    return failed(`Error writing data to ${clean(path)}`, e);
  }
  if (!res.json || res.status === 204) {
    out(`Success! Data written to: ${clean(path)}`);
    return 0;
  }
  return printSecret(res.json, format, values.field ?? '');
}

export async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { format: readFlags.format });
  const format = outputFormat(values.format);
  const [path] = positionals;
  if (!path || positionals.length > 1)
    throw new UsageError(`Wrong number of arguments (expected 1, got ${positionals.length})`);
  let res: ApiResponse;
  try {
    res = await new VaultClient().request('GET', clean(path), undefined, { list: 'true' });
  } catch (e) {
    if (e instanceof ApiError && e.response.status === 404) {
      err(`No value found at ${clean(path)}`);
      return 2;
    }
    return failed(`Error listing ${clean(path)}`, e);
  }
  const keys = (res.json?.['data'] as { keys?: unknown[] } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    err(`No value found at ${clean(path)}`);
    return 2;
  }
  if (format === 'json') out(JSON.stringify(keys, null, 2));
  else out(columns([['Keys'], ['----'], ...keys.map((k) => [String(k)])]));
  return 0;
}

export async function del(args: string[]): Promise<number> {
  const [path, ...kv] = parseFlags(args, {}).positionals;
  if (!path) throw new UsageError('Not enough arguments (expected 1, got 0)');
  const query = Object.fromEntries(Object.entries(await parseDataArgs(kv)).map(([k, v]) => [k, String(v)]));
  try {
    await new VaultClient().request('DELETE', clean(path), undefined, query);
  } catch (e) {
    return failed(`Error deleting ${clean(path)}`, e);
  }
  out(`Success! Data deleted (if it existed) at: ${clean(path)}`);
  return 0;
}
