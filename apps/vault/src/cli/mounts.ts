// vault secrets enable|disable|list and vault auth enable|disable|list
import { type FlagValues, parseFlags, UsageError } from '@kms-chain/cli';
import { parseDurationSeconds } from '../duration.js';
import { type ApiResponse, VaultClient } from './client.js';
import { columns, outputFormat } from './format.js';
import { failed, out } from './io.js';

const withSlash = (p: string) => `${p.replace(/^\/+|\/+$/g, '')}/`;

// The flags `secrets enable` and `auth enable` share.
const enableFlags = {
  path: { type: 'string' },
  description: { type: 'string' },
  'default-lease-ttl': { type: 'string' },
  'max-lease-ttl': { type: 'string' },
  'plugin-name': { type: 'string' },
  local: { type: 'boolean' },
  'seal-wrap': { type: 'boolean' },
} as const;

function configFrom(values: FlagValues<typeof enableFlags>): Record<string, unknown> {
  const cfg: Record<string, unknown> = {};
  for (const [flag, key] of [
    ['default-lease-ttl', 'default_lease_ttl'],
    ['max-lease-ttl', 'max_lease_ttl'],
  ] as const) {
    const v = values[flag];
    if (v) {
      if (parseDurationSeconds(v) === undefined) throw new UsageError(`invalid duration "${v}" for -${flag}`);
      cfg[key] = v;
    }
  }
  return cfg;
}

export async function secretsEnable(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...enableFlags,
    version: { type: 'string' },
    options: { type: 'string', multiple: true },
    'force-no-cache': { type: 'boolean' },
  });
  const type = onlyArg(positionals);
  const path = withSlash(values.path ?? type);
  const options: Record<string, string> = {};
  for (const o of values.options ?? []) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid -options value "${o}": format must be key=value`);
    options[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (values.version) options['version'] = values.version;
  const body: Record<string, unknown> = {
    type,
    description: values.description ?? '',
    config: { ...configFrom(values), force_no_cache: values['force-no-cache'] === true },
    local: values.local === true,
    seal_wrap: values['seal-wrap'] === true,
    external_entropy_access: false,
    ...(Object.keys(options).length ? { options } : {}),
  };
  try {
    await new VaultClient().request('POST', `sys/mounts/${path}`, body);
  } catch (e) {
    return failed('Error enabling', e);
  }
  out(`Success! Enabled the ${type} secrets engine at: ${path}`);
  return 0;
}

export async function authEnable(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, enableFlags);
  const type = onlyArg(positionals);
  const path = withSlash(values.path ?? type);
  try {
    await new VaultClient().request('POST', `sys/auth/${path}`, {
      type,
      description: values.description ?? '',
      config: configFrom(values),
      local: values.local === true,
      seal_wrap: values['seal-wrap'] === true,
    });
  } catch (e) {
    return failed(`Error enabling ${type} auth`, e);
  }
  out(`Success! Enabled ${type} auth method at: ${path}`);
  return 0;
}

export const secretsDisable = (args: string[]) => disableMount(args, 'sys/mounts', 'secrets engine');
export const secretsList = (args: string[]) =>
  listMounts(args, 'sys/mounts', 'Error listing secrets engines');
export const authDisable = (args: string[]) => disableMount(args, 'sys/auth', 'auth method');
export const authList = (args: string[]) =>
  listMounts(args, 'sys/auth', 'Error listing enabled authentications');

/** The one positional argument enable and disable take; a usage error for none or more. */
function onlyArg(positionals: string[]): string {
  const [arg] = positionals;
  if (!arg || positionals.length > 1)
    throw new UsageError(`Wrong number of arguments (expected 1, got ${positionals.length})`);
  return arg;
}

async function disableMount(args: string[], apiPath: string, noun: string): Promise<number> {
  const path = withSlash(onlyArg(parseFlags(args, {}).positionals));
  try {
    await new VaultClient().request('DELETE', `${apiPath}/${path}`);
  } catch (e) {
    return failed(`Error disabling ${noun} at ${path}`, e);
  }
  out(`Success! Disabled the ${noun} (if it existed) at: ${path}`);
  return 0;
}

async function listMounts(args: string[], apiPath: string, doing: string): Promise<number> {
  const { values } = parseFlags(args, { format: { type: 'string' }, detailed: { type: 'boolean' } });
  const format = outputFormat(values.format);
  let res: ApiResponse;
  try {
    res = await new VaultClient().request('GET', apiPath);
  } catch (e) {
    return failed(doing, e);
  }
  const data = (res.json?.['data'] ?? {}) as Record<string, Record<string, unknown>>;
  if (format === 'json') {
    out(JSON.stringify(data, null, 2));
    return 0;
  }
  const rows = [
    ['Path', 'Type', 'Accessor', 'Description'],
    ['----', '----', '--------', '-----------'],
  ];
  for (const path of Object.keys(data).sort())
    rows.push([
      path,
      String(data[path]!['type']),
      String(data[path]!['accessor']),
      String(data[path]!['description'] ?? ''),
    ]);
  out(columns(rows));
  return 0;
}
