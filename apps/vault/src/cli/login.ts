// vault login [TOKEN] | vault login -method=approle role_id=… secret_id=…  and vault token lookup
import { writeFile } from 'node:fs/promises';
import { parseFlags, UsageError } from '@kms-chain/cli';
import { type ApiResponse, tokenHelperPath, VaultClient } from './client.js';
import { parseDataArgs } from './data-args.js';
import { outputFormat, secretJson, secretTable, wrap } from './format.js';
import { err, failed, out } from './io.js';
import { printSecret } from './rw.js';

export async function login(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    method: { type: 'string' },
    path: { type: 'string' },
    format: { type: 'string' },
    field: { type: 'string' },
    'no-store': { type: 'boolean' },
    'token-only': { type: 'boolean' },
    'no-print': { type: 'boolean' },
  });
  const format = outputFormat(values.format);
  const method = values.method ?? 'token';
  const client = new VaultClient();
  let secret: Record<string, unknown>;
  if (method === 'token') {
    if (positionals.length > 1)
      throw new UsageError(`Too many arguments (expected 0-1, got ${positionals.length})`);
    const token =
      positionals[0] === undefined || positionals[0] === '-'
        ? (await import('./io.js').then((m) => m.readStdin())).trim()
        : positionals[0];
    if (!token) throw new UsageError('Missing token');
    client.token = token;
    let res: ApiResponse;
    try {
      res = await client.request('GET', 'auth/token/lookup-self');
    } catch (e) {
      return failed('Error authenticating', e);
    }
    const d = (res.json?.['data'] ?? {}) as Record<string, unknown>;
    secret = {
      ...res.json,
      data: null,
      auth: {
        client_token: token,
        accessor: d['accessor'],
        policies: d['policies'],
        token_policies: d['policies'],
        identity_policies: [],
        metadata: d['meta'] ?? null,
        lease_duration: Number(d['ttl'] ?? 0),
        renewable: d['renewable'] === true,
      },
    };
  } else {
    const mount = (values.path ?? method).replace(/^\/+|\/+$/g, '');
    const data = await parseDataArgs(positionals);
    let res: ApiResponse;
    try {
      client.token = undefined;
      res = await client.request('PUT', `auth/${mount}/login`, data);
    } catch (e) {
      return failed('Error authenticating', e);
    }
    secret = res.json ?? {};
  }
  const auth = secret['auth'] as Record<string, unknown>;
  if (!values['no-store']) await writeFile(tokenHelperPath(), String(auth['client_token']), { mode: 0o600 });
  if (process.env['VAULT_TOKEN'])
    err(
      wrap(
        'WARNING! The VAULT_TOKEN environment variable is set! The value of this variable will take precedence; if this is unwanted please unset VAULT_TOKEN or update its value accordingly.',
      ) + '\n',
    );
  if (values['token-only']) {
    process.stdout.write(String(auth['client_token']));
    return 0;
  }
  if (values['no-print']) return 0;
  if (values.field) return printSecret(secret, format, values.field);
  if (format === 'json') {
    out(secretJson(secret));
    return 0;
  }
  // Vault prints this paragraph pre-wrapped (not at 78 columns).
  out(
    'Success! You are now authenticated. The token information displayed below\n' +
      'is already stored in the token helper. You do NOT need to run "vault login"\n' +
      'again. Future Vault requests will automatically use this token.\n',
  );
  out(secretTable(secret));
  return 0;
}

export async function tokenLookup(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    format: { type: 'string' },
    field: { type: 'string' },
    accessor: { type: 'boolean' },
  });
  const format = outputFormat(values.format);
  const client = new VaultClient();
  let res: ApiResponse;
  try {
    if (positionals.length === 0) res = await client.request('GET', 'auth/token/lookup-self');
    else if (values.accessor)
      res = await client.request('PUT', 'auth/token/lookup-accessor', { accessor: positionals[0] });
    else res = await client.request('PUT', 'auth/token/lookup', { token: positionals[0] });
  } catch (e) {
    return failed('Error looking up token', e);
  }
  return printSecret(res.json ?? {}, format, values.field ?? '');
}

export async function tokenRenew(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    format: { type: 'string' },
    increment: { type: 'string', aliases: ['i'] },
  });
  const format = outputFormat(values.format);
  const inc = values.increment;
  const client = new VaultClient();
  let res: ApiResponse;
  try {
    res =
      positionals.length === 0
        ? await client.request('PUT', 'auth/token/renew-self', inc ? { increment: inc } : {})
        : await client.request('PUT', 'auth/token/renew', {
            token: positionals[0],
            ...(inc ? { increment: inc } : {}),
          });
  } catch (e) {
    return failed('Error renewing token', e);
  }
  return printSecret(res.json ?? {}, format, '');
}

export async function tokenRevoke(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { self: { type: 'boolean' } });
  const client = new VaultClient();
  try {
    if (values.self || positionals.length === 0) await client.request('PUT', 'auth/token/revoke-self');
    else await client.request('PUT', 'auth/token/revoke', { token: positionals[0] });
  } catch (e) {
    return failed('Error revoking token', e);
  }
  out('Success! Revoked token (if it existed)');
  return 0;
}

export async function tokenCreate(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    format: { type: 'string' },
    ttl: { type: 'string' },
    'explicit-max-ttl': { type: 'string' },
    period: { type: 'string' },
    'display-name': { type: 'string' },
    'use-limit': { type: 'string' },
    field: { type: 'string' },
    id: { type: 'string' },
    policy: { type: 'string', multiple: true },
    metadata: { type: 'string', multiple: true },
    orphan: { type: 'boolean' },
    'no-default-policy': { type: 'boolean' },
  });
  const format = outputFormat(values.format);
  const body: Record<string, unknown> = {
    policies: values.policy ?? [],
    ttl: values.ttl ?? '',
    explicit_max_ttl: values['explicit-max-ttl'] ?? '',
    period: values.period ?? '',
    display_name: values['display-name'] || undefined,
    num_uses: Number(values['use-limit'] ?? '0'),
    no_parent: values.orphan === true,
    no_default_policy: values['no-default-policy'] === true,
    ...(values.id ? { id: values.id } : {}),
  };
  if (!(values.policy ?? []).length) delete body['policies'];
  let res: ApiResponse;
  try {
    res = await new VaultClient().request('POST', 'auth/token/create', body);
  } catch (e) {
    return failed('Error creating token', e);
  }
  return printSecret(res.json ?? {}, format, values.field ?? '');
}
