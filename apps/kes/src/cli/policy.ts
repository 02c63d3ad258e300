// `kes policy ls|info|show` and `kes identity ls|info` (read-only views, as KES HEAD).
import { type Command, type CommandTable, UsageError } from '@kms-chain/cli';
import { clientUsage, connect, expectOk } from './client.js';
import type { Io } from './io.js';

export const policyUsage = `Usage:
    kes policy <command>

Commands:
    ls [<prefix>*] [--json]  List policies.
    info <name> [--json]     Describe a policy.
    show <name>              Print a policy.

Options:
    -h, --help               Print command line options.
`;

const enc = encodeURIComponent;

/**
 * A read-only view: GETs the path made of the positional arguments and prints what `pick` takes
 * of the reply as JSON (piped) or as the lines of a list (terminal); by default the whole reply,
 * indented.
 */
function view(
  path: (pos: string[]) => string,
  failure: (pos: string[]) => string,
  pick?: (reply: Record<string, unknown>) => string[],
): Command<Io>['run'] {
  return async (args, io) => {
    const { client, positionals } = await connect(args, io);
    const r = await client.request('GET', path(positionals));
    expectOk(r, failure(positionals));
    const reply = r.json<Record<string, unknown>>();
    const lines = pick ? pick(reply) : JSON.stringify(reply, null, 2).split('\n');
    if (!io.isTTY) io.out(`${JSON.stringify(pick ? lines : reply)}\n`);
    else for (const l of lines) io.out(`${l}\n`);
    return 0;
  };
}

/** `ls [<prefix>*]` (also `list`): the names in the reply's `field`. */
const listView = (kind: string, plural: string, field: string): Command<Io> => ({
  aliases: ['list'],
  summary: `List ${plural}.`,
  usage: clientUsage([`kes ${kind} ls [options] [<prefix>*]`]),
  run: view(
    (p) => `/v1/${kind}/list/${enc(p[0] ?? '*')}`,
    () => `failed to list ${plural}`,
    (reply) => (reply[field] as string[] | undefined) ?? [],
  ),
});

/** The name a command needs as its first argument. */
function named(pos: string[], what: string): string {
  if (!pos[0]) throw new UsageError(`missing ${what}`);
  return pos[0];
}

export const policyCommands: CommandTable<Io> = {
  ls: listView('policy', 'policies', 'names'),
  info: {
    summary: 'Describe a policy.',
    usage: clientUsage(['kes policy info [options] <name>']),
    run: view(
      (p) => `/v1/policy/describe/${enc(named(p, 'policy name'))}`,
      (p) => `failed to describe policy "${p[0]}"`,
    ),
  },
  show: {
    summary: 'Print a policy.',
    usage: clientUsage(['kes policy show [options] <name>']),
    run: view(
      (p) => `/v1/policy/read/${enc(named(p, 'policy name'))}`,
      (p) => `failed to show policy "${p[0]}"`,
    ),
  },
};

/** `kes identity ls|info`; `new` and `of` live in identity.ts. */
export const identityViewCommands: CommandTable<Io> = {
  ls: listView('identity', 'identities', 'identities'),
  info: {
    summary: 'Describe an identity (default: your own).',
    usage: clientUsage(['kes identity info [options] [<identity>]']),
    run: view(
      (p) => (p[0] ? `/v1/identity/describe/${enc(p[0])}` : '/v1/identity/self/describe'),
      (p) => `failed to describe identity${p[0] ? ` "${p[0]}"` : ''}`,
    ),
  },
};
