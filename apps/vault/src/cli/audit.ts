// vault audit enable | list | disable — audit devices through sys/audit (docs/vault.md#audit).
import { parseFlags, UsageError } from '@kms-chain/cli';
import { type ApiResponse, VaultClient } from './client.js';
import { parseDataArgs } from './data-args.js';
import { columns, outputFormat } from './format.js';
import { failed, out } from './io.js';

const withSlash = (p: string) => `${p.replace(/^\/+|\/+$/g, '')}/`;

export async function auditEnable(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    description: { type: 'string' },
    path: { type: 'string' },
    local: { type: 'boolean' },
  });
  const [rawType, ...kv] = positionals;
  const type = rawType?.trim();
  if (!type)
    throw new UsageError(
      "Error enabling audit device: audit type missing. Valid types include 'file', 'socket' and 'syslog'.",
    );
  const path = withSlash(values.path || type);
  const options = Object.fromEntries(Object.entries(await parseDataArgs(kv)).map(([k, v]) => [k, String(v)]));
  try {
    await new VaultClient().request('PUT', `sys/audit/${path}`, {
      type,
      description: values.description ?? '',
      options,
      local: values.local === true,
    });
  } catch (e) {
    return failed('Error enabling audit device', e);
  }
  out(`Success! Enabled the ${type} audit device at: ${path}`);
  return 0;
}

export async function auditList(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    format: { type: 'string' },
    detailed: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  let res: ApiResponse;
  try {
    res = await new VaultClient().request('GET', 'sys/audit');
  } catch (e) {
    return failed('Error listing audits', e);
  }
  const data = (res.json?.['data'] ?? {}) as Record<string, Record<string, unknown>>;
  if (format === 'json') {
    out(JSON.stringify(data, null, 2));
    return 0;
  }
  const paths = Object.keys(data).sort();
  if (paths.length === 0) {
    out('No audit devices are enabled.');
    return 2;
  }
  const head = values.detailed
    ? ['Path', 'Type', 'Description', 'Replication', 'Options']
    : ['Path', 'Type', 'Description'];
  const rows = [head, head.map((h) => '-'.repeat(h.length))];
  for (const path of paths) {
    const d = data[path]!;
    const row = [path, String(d['type'] ?? ''), String(d['description'] ?? '')];
    if (values.detailed) {
      const options = (d['options'] ?? {}) as Record<string, unknown>;
      row.push(
        d['local'] === true ? 'local' : 'replicated',
        Object.keys(options)
          .sort()
          .map((k) => `${k}=${String(options[k])}`)
          .join(' '),
      );
    }
    rows.push(row);
  }
  out(columns(rows));
  return 0;
}

export async function auditDisable(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {});
  if (positionals.length < 1)
    throw new UsageError(`Not enough arguments (expected 1, got ${positionals.length})`);
  if (positionals.length > 1)
    throw new UsageError(`Too many arguments (expected 1, got ${positionals.length})`);
  const path = withSlash(positionals[0]!);
  try {
    await new VaultClient().request('DELETE', `sys/audit/${path}`);
  } catch (e) {
    return failed('Error disabling audit device', e);
  }
  out(`Success! Disabled audit device (if it was enabled) at: ${path}`);
  return 0;
}
