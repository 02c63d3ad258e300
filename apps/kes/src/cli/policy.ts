// `kes policy ls|info|show` and `kes identity ls|info` (read-only views, as KES HEAD).
import { parse, UsageError } from './args.js';
import { expectOk, KesClient } from './client.js';
import type { Io } from './io.js';

const options = {
  insecure: { type: 'boolean', short: 'k' },
  server: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const policyUsage = `Usage:
    kes policy ls [<prefix>*] [--json]
    kes policy info <name> [--json]
    kes policy show <name>
`;

const enc = encodeURIComponent;

async function getJson(
  io: Io,
  args: string[],
  path: (pos: string[]) => string,
  what: string,
): Promise<unknown> {
  const { values, positionals } = parse(args, options);
  const client = await KesClient.create({ server: values.server, insecure: values.insecure, env: io.env });
  const r = await client.request('GET', path(positionals));
  expectOk(r, what);
  return r.json();
}

function print(io: Io, value: unknown, lines: () => string[]): void {
  if (!io.isTTY) io.out(`${JSON.stringify(value)}\n`);
  else for (const l of lines()) io.out(`${l}\n`);
}

export async function policyCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const name = rest.find((a) => !a.startsWith('-')) ?? '';
  switch (sub) {
    case 'ls':
    case 'list': {
      const v = (await getJson(
        io,
        rest,
        (p) => `/v1/policy/list/${enc(p[0] ?? '*')}`,
        'failed to list policies',
      )) as {
        names?: string[];
      };
      print(io, v.names ?? [], () => v.names ?? []);
      return 0;
    }
    case 'info':
    case 'show': {
      if (!name) throw new UsageError('missing policy name');
      const path = sub === 'info' ? 'describe' : 'read';
      const v = await getJson(
        io,
        rest,
        () => `/v1/policy/${path}/${enc(name)}`,
        `failed to ${sub === 'info' ? 'describe' : 'show'} policy "${name}"`,
      );
      print(io, v, () => JSON.stringify(v, null, 2).split('\n'));
      return 0;
    }
    default:
      io.err(policyUsage);
      return 2;
  }
}

/** `kes identity ls|info`; `new` and `of` live in identity.ts. */
export async function identityViewCommand(sub: string, rest: string[], io: Io): Promise<number> {
  if (sub === 'ls' || sub === 'list') {
    const v = (await getJson(
      io,
      rest,
      (p) => `/v1/identity/list/${enc(p[0] ?? '*')}`,
      'failed to list identities',
    )) as {
      identities?: string[];
    };
    print(io, v.identities ?? [], () => v.identities ?? []);
    return 0;
  }
  const id = rest.find((a) => !a.startsWith('-'));
  const path = id ? `/v1/identity/describe/${enc(id)}` : '/v1/identity/self/describe';
  const v = await getJson(io, rest, () => path, `failed to describe identity${id ? ` "${id}"` : ''}`);
  print(io, v, () => JSON.stringify(v, null, 2).split('\n'));
  return 0;
}
