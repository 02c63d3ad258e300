// vault secrets enable|disable|list and vault auth enable|disable|list
import { parseDurationSeconds } from '../duration.js';
import { flagBool, flagStr, parseFlags, UsageError } from './args.js';
import { type ApiResponse, VaultClient } from './client.js';
import { columns, outputFormat } from './format.js';
import { err, failed, out } from './io.js';

const usage = (what: string) => `Usage: vault ${what} <subcommand> [options] [args]

Subcommands:
    disable    Disable a ${what === 'auth' ? 'auth method' : 'secrets engine'}
    enable     Enable a ${what === 'auth' ? 'auth method' : 'secrets engine'}
    list       List enabled ${what === 'auth' ? 'auth methods' : 'secrets engines'}
`;

const withSlash = (p: string) => `${p.replace(/^\/+|\/+$/g, '')}/`;

function configFrom(p: ReturnType<typeof parseFlags>): Record<string, unknown> {
  const cfg: Record<string, unknown> = {};
  for (const [flag, key] of [
    ['default-lease-ttl', 'default_lease_ttl'],
    ['max-lease-ttl', 'max_lease_ttl'],
  ] as const) {
    const v = flagStr(p, flag);
    if (v) {
      if (parseDurationSeconds(v) === undefined) throw new UsageError(`invalid duration "${v}" for -${flag}`);
      cfg[key] = v;
    }
  }
  return cfg;
}

export async function secrets(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const client = () => new VaultClient();
  if (sub === 'enable') {
    const p = parseFlags(rest, {
      values: ['path', 'version', 'description', 'default-lease-ttl', 'max-lease-ttl', 'plugin-name'],
      multi: ['options'],
      bools: ['local', 'seal-wrap', 'force-no-cache'],
    });
    const type = onlyArg(p);
    const path = withSlash(flagStr(p, 'path', type));
    const options: Record<string, string> = {};
    for (const o of p.multi.get('options') ?? []) {
      const eq = o.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid -options value "${o}": format must be key=value`);
      options[o.slice(0, eq)] = o.slice(eq + 1);
    }
    const version = flagStr(p, 'version');
    if (version) options['version'] = version;
    const body: Record<string, unknown> = {
      type,
      description: flagStr(p, 'description'),
      config: { ...configFrom(p), force_no_cache: flagBool(p, 'force-no-cache') },
      local: flagBool(p, 'local'),
      seal_wrap: flagBool(p, 'seal-wrap'),
      external_entropy_access: false,
      ...(Object.keys(options).length ? { options } : {}),
    };
    try {
      await client().request('POST', `sys/mounts/${path}`, body);
    } catch (e) {
      return failed('Error enabling', e);
    }
    out(`Success! Enabled the ${type} secrets engine at: ${path}`);
    return 0;
  }
  if (sub === 'disable') return disableMount(rest, 'sys/mounts', 'secrets engine');
  if (sub === 'list') return listMounts(rest, 'sys/mounts', 'Error listing secrets engines');
  err(usage('secrets'));
  return 1;
}

export async function auth(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'enable') {
    const p = parseFlags(rest, {
      values: ['path', 'description', 'default-lease-ttl', 'max-lease-ttl', 'plugin-name'],
      bools: ['local', 'seal-wrap'],
    });
    const type = onlyArg(p);
    const path = withSlash(flagStr(p, 'path', type));
    try {
      await new VaultClient().request('POST', `sys/auth/${path}`, {
        type,
        description: flagStr(p, 'description'),
        config: configFrom(p),
        local: flagBool(p, 'local'),
        seal_wrap: flagBool(p, 'seal-wrap'),
      });
    } catch (e) {
      return failed(`Error enabling ${type} auth`, e);
    }
    out(`Success! Enabled ${type} auth method at: ${path}`);
    return 0;
  }
  if (sub === 'disable') return disableMount(rest, 'sys/auth', 'auth method');
  if (sub === 'list') return listMounts(rest, 'sys/auth', 'Error listing enabled authentications');
  err(usage('auth'));
  return 1;
}

/** The one positional argument enable and disable take; a usage error for none or more. */
function onlyArg(p: ReturnType<typeof parseFlags>): string {
  const [arg] = p.args;
  if (!arg || p.args.length > 1)
    throw new UsageError(`Wrong number of arguments (expected 1, got ${p.args.length})`);
  return arg;
}

async function disableMount(args: string[], apiPath: string, noun: string): Promise<number> {
  const path = withSlash(onlyArg(parseFlags(args, {})));
  try {
    await new VaultClient().request('DELETE', `${apiPath}/${path}`);
  } catch (e) {
    return failed(`Error disabling ${noun} at ${path}`, e);
  }
  out(`Success! Disabled the ${noun} (if it existed) at: ${path}`);
  return 0;
}

async function listMounts(args: string[], apiPath: string, doing: string): Promise<number> {
  const p = parseFlags(args, { values: ['format'], bools: ['detailed'] });
  const format = outputFormat(flagStr(p, 'format'));
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
