// vault operator init | unseal | seal | members | step-down | key-status | rotate
import { createInterface } from 'node:readline';
import { intFlag, parseFlags, UsageError } from '@kms-chain/cli';
import { ApiError, VaultClient } from './client.js';
import { columns, kvTable, outputFormat, wrap } from './format.js';
import { err, failed, out } from './io.js';

const formatFlag = { type: 'string' } as const;

export async function init(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    'key-shares': { type: 'string', aliases: ['n', 'secret-shares'] },
    'key-threshold': { type: 'string', aliases: ['t', 'secret-threshold'] },
    format: formatFlag,
    'root-token-pgp-key': { type: 'string' },
    'pgp-keys': { type: 'string' },
    status: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  const client = new VaultClient();
  if (values.status) {
    try {
      const res = await client.request('GET', 'sys/init');
      if (res.json?.['initialized']) {
        out('Vault is initialized');
        return 0;
      }
      out('Vault is not initialized');
      return 2;
    } catch (e) {
      return failed('Error checking init status', e);
    }
  }
  const shares = intFlag(values['key-shares'], 'key-shares', 5);
  const threshold = intFlag(values['key-threshold'], 'key-threshold', 3);
  let res: Record<string, unknown>;
  try {
    res = (
      await client.request('PUT', 'sys/init', {
        secret_shares: shares,
        secret_threshold: threshold,
        pgp_keys: null,
        recovery_shares: 0,
        recovery_threshold: 0,
        recovery_pgp_keys: null,
        root_token_pgp_key: '',
        stored_shares: 0,
      })
    ).json!;
  } catch (e) {
    return failed('Error initializing', e);
  }
  const b64 = (res['keys_base64'] as string[]) ?? [];
  const hex = (res['keys'] as string[]) ?? [];
  if (format === 'json') {
    out(
      JSON.stringify(
        {
          unseal_keys_b64: b64,
          unseal_keys_hex: hex,
          unseal_shares: shares,
          unseal_threshold: threshold,
          recovery_keys_b64: [],
          recovery_keys_hex: [],
          recovery_keys_shares: 0,
          recovery_keys_threshold: 0,
          root_token: res['root_token'],
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const lines = b64.map((k, i) => `Unseal Key ${i + 1}: ${k}`);
  lines.push('', `Initial Root Token: ${res['root_token']}`, '');
  lines.push(
    wrap(
      `Vault initialized with ${shares} key shares and a key threshold of ${threshold}. Please securely distribute the key shares printed above. When the Vault is re-sealed, restarted, or stopped, you must supply at least ${threshold} of these keys to unseal it before it can start servicing requests.`,
    ),
    '',
    wrap(
      `Vault does not store the generated root key. Without at least ${threshold} keys to reconstruct the root key, Vault will remain permanently sealed!`,
    ),
    '',
    wrap(
      'It is possible to generate new unseal keys, provided you have a quorum of existing unseal keys shares. See "vault operator rekey" for more information.',
    ),
  );
  out(lines.join('\n'));
  return 0;
}

/** Reads a key without echo when stdin is a TTY, else one line of stdin. */
async function promptKey(): Promise<string> {
  process.stdout.write('Unseal Key (will be hidden): ');
  const stdin = process.stdin;
  if (stdin.isTTY) {
    return new Promise((resolve) => {
      let value = '';
      stdin.setRawMode(true);
      stdin.resume();
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stdout.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  }
  const rl = createInterface({ input: stdin });
  const line = await new Promise<string>((resolve) => {
    let got = false;
    rl.once('line', (l) => {
      got = true;
      resolve(l);
      rl.close();
    });
    rl.once('close', () => {
      if (!got) resolve('');
    });
  });
  process.stdout.write('\n');
  return line.trim();
}

/** The seal-status table shared by `operator unseal` and `status`; `leader` is sys/leader's answer. */
export function sealStatusTable(s: Record<string, unknown>, leader: Record<string, unknown>): string {
  const haEnabled = leader['ha_enabled'] === true;
  const rows: Array<[string, string]> = [
    ['Seal Type', String(s['type'] ?? 'shamir')],
    ['Initialized', String(s['initialized'])],
    ['Sealed', String(s['sealed'])],
    ['Total Shares', String(s['n'])],
    ['Threshold', String(s['t'])],
  ];
  if (s['sealed']) {
    rows.push(['Unseal Progress', `${s['progress']}/${s['t']}`]);
    rows.push(['Unseal Nonce', String(s['nonce'] ?? '')]);
  }
  rows.push(['Version', String(s['version'] ?? '')]);
  rows.push(['Build Date', String(s['build_date'] ?? '')]);
  rows.push(['Storage Type', String(s['storage_type'] ?? '')]);
  if (!s['sealed']) {
    if (s['cluster_name']) rows.push(['Cluster Name', String(s['cluster_name'])]);
    if (s['cluster_id']) rows.push(['Cluster ID', String(s['cluster_id'])]);
  }
  rows.push(['HA Enabled', String(haEnabled)]);
  if (haEnabled && !s['sealed']) {
    // As Vault prints an HA node: its cluster, its mode, and the active node when it is not.
    rows.push(['HA Cluster', String(leader['leader_cluster_address'] ?? '')]);
    const isSelf = leader['is_self'] === true;
    rows.push(['HA Mode', isSelf ? 'active' : 'standby']);
    const since = String(leader['active_time'] ?? '');
    if (isSelf && since && !since.startsWith('0001-')) rows.push(['Active Since', since]);
    if (!isSelf) rows.push(['Active Node Address', String(leader['leader_address'] || '<none>')]);
  }
  return kvTable(rows);
}

/**
 * sys/leader for the status table. A sealed HA node answers 503 there; Vault's CLI then shows
 * `HA Enabled true`, as here.
 */
export async function leaderStatus(client: VaultClient): Promise<Record<string, unknown>> {
  try {
    const res = await client.raw('GET', 'sys/leader');
    if (res.status === 200 && res.json) return res.json;
    const errors = res.json?.['errors'];
    if (Array.isArray(errors) && errors.some((e) => String(e).includes('Vault is sealed')))
      return { ha_enabled: true };
    return { ha_enabled: false };
  } catch {
    return { ha_enabled: false };
  }
}

export async function unseal(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    reset: { type: 'boolean' },
    migrate: { type: 'boolean' },
    format: formatFlag,
  });
  if (positionals.length > 1)
    throw new UsageError(`Too many arguments (expected 0-1, got ${positionals.length})`);
  const format = outputFormat(values.format);
  const client = new VaultClient();
  let body: Record<string, unknown>;
  if (values.reset) body = { reset: true };
  else {
    const key = positionals[0] ?? (await promptKey());
    if (!key) {
      err('Error unsealing: missing unseal key');
      return 1;
    }
    body = { key };
  }
  let status: Record<string, unknown>;
  try {
    status = (await client.request('PUT', 'sys/unseal', body)).json!;
  } catch (e) {
    return failed('Error unsealing', e);
  }
  if (format === 'json') {
    out(JSON.stringify(status, null, 2));
    return 0;
  }
  out(sealStatusTable(status, await leaderStatus(client)));
  return 0;
}

export async function seal(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {});
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  try {
    await new VaultClient().request('PUT', 'sys/seal');
  } catch (e) {
    return failed('Error sealing', e);
  }
  out('Success! Vault is sealed.');
  return 0;
}

/** vault operator members: sys/ha-status as Vault's table (or -format=json). */
export async function members(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { format: formatFlag });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  let nodes: Array<Record<string, unknown>>;
  try {
    const res = await new VaultClient().request('GET', 'sys/ha-status');
    nodes = (res.json?.['nodes'] ?? []) as Array<Record<string, unknown>>;
  } catch (e) {
    // Vault prints the API error as it is here, with no "Error …:" prefix.
    if (e instanceof ApiError) {
      err(e.render());
      return 2;
    }
    return failed('Error listing members', e);
  }
  if (format === 'json') {
    out(JSON.stringify({ nodes }, null, 2));
    return 0;
  }
  const head = [
    'Host Name',
    'API Address',
    'Cluster Address',
    'Active Node',
    'Version',
    'Upgrade Version',
    'Redundancy Zone',
    'Last Echo',
  ];
  const rows = nodes.map((n) =>
    [
      'hostname',
      'api_address',
      'cluster_address',
      'active_node',
      'version',
      'upgrade_version',
      'redundancy_zone',
      'last_echo',
    ].map((k) => (n[k] === null || n[k] === undefined ? '' : String(n[k]))),
  );
  out(columns([head, head.map((h) => '-'.repeat(h.length)), ...rows]));
  return 0;
}

/** vault operator step-down: the active node gives the HA lock up. */
export async function stepDown(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {});
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const client = new VaultClient();
  try {
    await client.request('PUT', 'sys/step-down');
  } catch (e) {
    return failed('Error stepping down', e);
  }
  out(`Success! Stepped down: ${client.addr}`);
  return 0;
}

/** Go's time.RFC822 of an RFC 3339 time, in UTC: `07 Dec 26 02:53 UTC`. */
function rfc822(iso: unknown): string {
  const d = new Date(String(iso));
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())} ${month} ${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** The key-status rows Vault prints (no header). */
const keyStatusTable = (s: Record<string, unknown>): string =>
  columns([
    ['Key Term', String(s['term'] ?? '')],
    ['Install Time', rfc822(s['install_time'])],
    ['Encryption Count', String(s['encryptions'] ?? 0)],
  ]);

/** vault operator key-status: the barrier's current key term. */
export async function keyStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { format: formatFlag });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  let status: Record<string, unknown>;
  try {
    const res = await new VaultClient().request('GET', 'sys/key-status');
    status = (res.json?.['data'] ?? res.json ?? {}) as Record<string, unknown>;
  } catch (e) {
    return failed('Error reading key status', e);
  }
  out(format === 'json' ? JSON.stringify(status, null, 2) : keyStatusTable(status));
  return 0;
}

/** vault operator rotate: a new barrier key term, then its status. */
export async function rotate(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { format: formatFlag });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  const client = new VaultClient();
  try {
    await client.request('PUT', 'sys/rotate');
  } catch (e) {
    return failed('Error rotating key', e);
  }
  let status: Record<string, unknown>;
  try {
    const res = await client.request('GET', 'sys/key-status');
    status = (res.json?.['data'] ?? res.json ?? {}) as Record<string, unknown>;
  } catch (e) {
    return failed('Error reading key status', e);
  }
  out(
    format === 'json' ? JSON.stringify(status, null, 2) : `Success! Rotated key\n\n${keyStatusTable(status)}`,
  );
  return 0;
}
