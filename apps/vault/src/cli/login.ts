// vault login [TOKEN] | vault login -method=approle role_id=… secret_id=…  and vault token lookup
import { writeFile } from 'node:fs/promises';
import { flagBool, flagStr, parseFlags, UsageError } from './args.js';
import { type ApiResponse, tokenHelperPath, VaultClient } from './client.js';
import { parseDataArgs } from './data-args.js';
import { outputFormat, secretJson, secretTable, wrap } from './format.js';
import { err, failed, out } from './io.js';
import { printSecret } from './rw.js';

export async function login(args: string[]): Promise<number> {
  const p = parseFlags(args, {
    values: ['method', 'path', 'format', 'field'],
    bools: ['no-store', 'token-only', 'no-print'],
  });
  const format = outputFormat(flagStr(p, 'format'));
  const method = flagStr(p, 'method', 'token');
  const client = new VaultClient();
  let secret: Record<string, unknown>;
  if (method === 'token') {
    if (p.args.length > 1) throw new UsageError(`Too many arguments (expected 0-1, got ${p.args.length})`);
    const token =
      p.args[0] === undefined || p.args[0] === '-'
        ? (await import('./io.js').then((m) => m.readStdin())).trim()
        : p.args[0];
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
    const mount = flagStr(p, 'path', method).replace(/^\/+|\/+$/g, '');
    const data = await parseDataArgs(p.args);
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
  if (!flagBool(p, 'no-store'))
    await writeFile(tokenHelperPath(), String(auth['client_token']), { mode: 0o600 });
  if (process.env['VAULT_TOKEN'])
    err(
      wrap(
        'WARNING! The VAULT_TOKEN environment variable is set! The value of this variable will take precedence; if this is unwanted please unset VAULT_TOKEN or update its value accordingly.',
      ) + '\n',
    );
  if (flagBool(p, 'token-only')) {
    process.stdout.write(String(auth['client_token']));
    return 0;
  }
  if (flagBool(p, 'no-print')) return 0;
  if (flagStr(p, 'field')) return printSecret(secret, format, flagStr(p, 'field'));
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

export async function token(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const client = new VaultClient();
  if (sub === 'lookup') {
    const p = parseFlags(rest, { values: ['format', 'field'], bools: ['accessor'] });
    const format = outputFormat(flagStr(p, 'format'));
    let res: ApiResponse;
    try {
      if (p.args.length === 0) res = await client.request('GET', 'auth/token/lookup-self');
      else if (flagBool(p, 'accessor'))
        res = await client.request('PUT', 'auth/token/lookup-accessor', { accessor: p.args[0] });
      else res = await client.request('PUT', 'auth/token/lookup', { token: p.args[0] });
    } catch (e) {
      return failed('Error looking up token', e);
    }
    return printSecret(res.json ?? {}, format, flagStr(p, 'field'));
  }
  if (sub === 'renew') {
    const p = parseFlags(rest, { values: ['format', 'increment'], aliases: { i: 'increment' } });
    const format = outputFormat(flagStr(p, 'format'));
    const inc = flagStr(p, 'increment');
    let res: ApiResponse;
    try {
      res =
        p.args.length === 0
          ? await client.request('PUT', 'auth/token/renew-self', inc ? { increment: inc } : {})
          : await client.request('PUT', 'auth/token/renew', {
              token: p.args[0],
              ...(inc ? { increment: inc } : {}),
            });
    } catch (e) {
      return failed('Error renewing token', e);
    }
    return printSecret(res.json ?? {}, format, '');
  }
  if (sub === 'revoke') {
    const p = parseFlags(rest, { bools: ['self'] });
    try {
      if (flagBool(p, 'self') || p.args.length === 0) await client.request('PUT', 'auth/token/revoke-self');
      else await client.request('PUT', 'auth/token/revoke', { token: p.args[0] });
    } catch (e) {
      return failed('Error revoking token', e);
    }
    out('Success! Revoked token (if it existed)');
    return 0;
  }
  if (sub === 'create') {
    const p = parseFlags(rest, {
      values: ['format', 'ttl', 'explicit-max-ttl', 'period', 'display-name', 'use-limit', 'field', 'id'],
      multi: ['policy', 'metadata'],
      bools: ['orphan', 'no-default-policy'],
    });
    const format = outputFormat(flagStr(p, 'format'));
    const body: Record<string, unknown> = {
      policies: p.multi.get('policy') ?? [],
      ttl: flagStr(p, 'ttl'),
      explicit_max_ttl: flagStr(p, 'explicit-max-ttl'),
      period: flagStr(p, 'period'),
      display_name: flagStr(p, 'display-name') || undefined,
      num_uses: Number(flagStr(p, 'use-limit', '0')),
      no_parent: flagBool(p, 'orphan'),
      no_default_policy: flagBool(p, 'no-default-policy'),
      ...(flagStr(p, 'id') ? { id: flagStr(p, 'id') } : {}),
    };
    if (!(p.multi.get('policy') ?? []).length) delete body['policies'];
    let res: ApiResponse;
    try {
      res = await client.request('POST', 'auth/token/create', body);
    } catch (e) {
      return failed('Error creating token', e);
    }
    return printSecret(res.json ?? {}, format, flagStr(p, 'field'));
  }
  err(
    'Usage: vault token <subcommand> [options] [args]\n\nSubcommands:\n    create    Create a new token\n    lookup    Display information about a token\n    renew     Renew a token lease\n    revoke    Revoke a token and its children\n',
  );
  return 1;
}
