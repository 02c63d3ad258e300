// vault kv get|put|delete|list — resolves the mount's KV version through
// sys/internal/ui/mounts/<path> and adds `data/` or `metadata/` for v2 mounts.
import { parseFlags, UsageError } from '@kms-chain/cli';
import { ApiError, type ApiResponse, VaultClient } from './client.js';
import { parseDataArgs } from './data-args.js';
import { columns, goValue, kvTable, outputFormat, secretJson, secretTable } from './format.js';
import { err, failed, out } from './io.js';

interface MountInfo {
  mount: string;
  version: 1 | 2;
}

async function mountOf(client: VaultClient, path: string): Promise<MountInfo> {
  const res = await client.request('GET', `sys/internal/ui/mounts/${path}`);
  const data = (res.json?.['data'] ?? {}) as Record<string, unknown>;
  const options = (data['options'] ?? {}) as Record<string, unknown>;
  return { mount: String(data['path'] ?? ''), version: options['version'] === '2' ? 2 : 1 };
}

const insert = (info: MountInfo, path: string, part: string) =>
  info.version === 2 ? `${info.mount}${part}/${path.slice(info.mount.length)}` : path;

/** Vault's `padEqualSigns`: `=` signs on both sides, their total rounded up to even, ≥ 4. */
function header(title: string, width: number): string {
  let eq = width - (title.length + 2);
  if (eq <= 0) eq = 4;
  if (eq % 2 !== 0) eq++;
  return `${'='.repeat(eq / 2)} ${title} ${'='.repeat(eq / 2)}`;
}

/** Vault's `getHeaderForMap`: width = longest key + 4 (column gap) + 5 (len("Value")). */
const mapHeader = (title: string, data: Record<string, unknown>) =>
  header(title, Math.max(0, ...Object.keys(data).map((k) => k.length)) + 9);

function metadataBlock(path: string, meta: Record<string, unknown>): string {
  const rows = Object.keys(meta)
    .sort()
    .map((k) => [k, goValue(meta[k])] as [string, string]);
  return `${header('Secret Path', path.length)}\n${path}\n\n${mapHeader('Metadata', meta)}\n${kvTable(rows)}`;
}

// The four commands take the same flags.
const kvFlags = {
  format: { type: 'string' },
  field: { type: 'string' },
  version: { type: 'string' },
  cas: { type: 'string' },
  mount: { type: 'string' },
} as const;

export const kvGet = (args: string[]) => kv('get', args);
export const kvPut = (args: string[]) => kv('put', args);
export const kvDelete = (args: string[]) => kv('delete', args);
export const kvList = (args: string[]) => kv('list', args);

async function kv(sub: 'get' | 'put' | 'delete' | 'list', args: string[]): Promise<number> {
  const client = new VaultClient();
  const { values, positionals } = parseFlags(args, kvFlags);
  const format = outputFormat(values.format);
  const [rawPath, ...kvArgs] = positionals;
  if (!rawPath) throw new UsageError('Not enough arguments (expected 1, got 0)');
  const path = `${values.mount ? `${values.mount.replace(/\/+$/, '')}/` : ''}${rawPath.replace(/^\/+/, '')}`;
  let info: MountInfo;
  try {
    info = await mountOf(client, path);
  } catch (e) {
    return failed(`Error determining if path ${path} is a KV v2 mount`, e);
  }
  try {
    switch (sub) {
      case 'get': {
        const query: Record<string, string> = values.version ? { version: values.version } : {};
        const apiPath = insert(info, path, 'data');
        let res: ApiResponse;
        try {
          res = await client.request('GET', apiPath, undefined, query);
        } catch (e) {
          if (e instanceof ApiError && e.response.status === 404) {
            err(`No value found at ${apiPath}`);
            return 2;
          }
          throw e;
        }
        const secret = res.json ?? {};
        const field = values.field ?? '';
        if (info.version === 1) {
          if (field || format === 'json') {
            const { printSecret } = await import('./rw.js');
            return printSecret(secret, format, field);
          }
          out(secretTable(secret));
          return 0;
        }
        const d = (secret['data'] ?? {}) as {
          data?: Record<string, unknown>;
          metadata?: Record<string, unknown>;
        };
        if (field) {
          const v = d.data?.[field];
          if (v === undefined) {
            err(`Field "${field}" not present in secret`);
            return 1;
          }
          process.stdout.write(typeof v === 'string' ? v : goValue(v));
          return 0;
        }
        if (format === 'json') {
          out(secretJson(secret));
          return 0;
        }
        const data = d.data ?? {};
        const rows = Object.keys(data)
          .sort()
          .map((k) => [k, goValue(data[k])] as [string, string]);
        out(`${metadataBlock(apiPath, d.metadata ?? {})}\n\n${mapHeader('Data', data)}\n${kvTable(rows)}`);
        return 0;
      }
      case 'put': {
        const data = await parseDataArgs(kvArgs);
        if (Object.keys(data).length === 0) throw new UsageError('Must supply data');
        const apiPath = insert(info, path, 'data');
        const body =
          info.version === 2 ? { data, options: values.cas ? { cas: Number(values.cas) } : {} } : data;
        const res = await client.request('PUT', apiPath, body);
        if (info.version === 1 || !res.json) {
          out(`Success! Data written to: ${apiPath}`);
          return 0;
        }
        if (format === 'json') out(secretJson(res.json));
        else out(metadataBlock(apiPath, (res.json['data'] ?? {}) as Record<string, unknown>));
        return 0;
      }
      case 'delete': {
        const apiPath = insert(info, path, 'data');
        await client.request('DELETE', apiPath);
        out(`Success! Data deleted (if it existed) at: ${apiPath}`);
        return 0;
      }
      default: {
        const apiPath = insert(info, path, 'metadata');
        let res: ApiResponse;
        try {
          res = await client.request('GET', apiPath, undefined, { list: 'true' });
        } catch (e) {
          if (e instanceof ApiError && e.response.status === 404) {
            err(`No value found at ${apiPath}`);
            return 2;
          }
          throw e;
        }
        const keys = ((res.json?.['data'] as { keys?: string[] })?.keys ?? []) as string[];
        if (format === 'json') out(JSON.stringify(keys, null, 2));
        else out(columns([['Keys'], ['----'], ...keys.map((k) => [k])]));
        return 0;
      }
    }
  } catch (e) {
    const doing =
      sub === 'get'
        ? `Error reading ${path}`
        : sub === 'put'
          ? `Error writing data to ${path}`
          : sub === 'delete'
            ? `Error deleting ${path}`
            : `Error listing ${path}`;
    return failed(doing, e);
  }
}
