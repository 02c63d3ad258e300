// The `vault` command: a table of subcommands, one module each (cli/*), run by @kms-chain/cli.
import { type Command, type CommandTable, formatCommands, runProgram, vaultDialect } from '@kms-chain/cli';
import { HTTP_OPTIONS_HELP, takeHttpFlags } from './cli/http-flags.js';

type Run = (args: string[]) => Promise<number>;

/** Command `name` of a module loaded on demand: a client command does not pay for the server's imports. */
function lazy<K extends string, M extends Record<K, Run>>(load: () => Promise<M>, name: K): Run {
  return async (args) => (await load())[name](args);
}

/** A command as listed below: its arguments in the usage line, its one-line summary, its run. */
type Leaf = [args: string, summary: string, run: Run];

/**
 * A leaf command. One that talks to the server (all but `server` and `operator migrate`) takes
 * the HTTP flags anywhere on its line and lists them in its help.
 */
function leaf(path: string, [args, summary, run]: Leaf, talksToServer = true): Command<void> {
  const usage = `Usage: vault ${path} ${args}\n\n  ${summary}.\n`;
  if (!talksToServer) return { summary, usage, run };
  return { summary, usage: usage + HTTP_OPTIONS_HELP, run: (a) => run(takeHttpFlags(a)) };
}

/** A group of subcommands; its help lists them as Vault's does. */
function group(
  name: string,
  summary: string,
  leaves: Record<string, Leaf>,
  about?: string,
  local: readonly string[] = [],
): Command<void> {
  const commands = Object.fromEntries(
    Object.entries(leaves).map(([sub, l]) => [sub, leaf(`${name} ${sub}`, l, !local.includes(sub))]),
  );
  const intro = about ? `  ${about}\n\n` : '';
  return {
    summary,
    usage: `Usage: vault ${name} <subcommand> [options] [args]\n\n${intro}Subcommands:\n${formatCommands(commands)}`,
    commands,
  };
}

const rw = () => import('./cli/rw.js');
const login = () => import('./cli/login.js');
const mounts = () => import('./cli/mounts.js');
const operator = () => import('./cli/operator.js');
const policy = () => import('./cli/policy.js');
const kv = () => import('./cli/kv.js');
const audit = () => import('./cli/audit.js');

const commands: CommandTable<void> = {
  read: leaf('read', ['[options] PATH [K=V...]', 'Read data and retrieves secrets', lazy(rw, 'read')]),
  write: leaf('write', [
    '[options] PATH [DATA K=V...]',
    'Write data, configuration, and secrets',
    lazy(rw, 'write'),
  ]),
  delete: leaf('delete', ['[options] PATH', 'Delete secrets and configuration', lazy(rw, 'del')]),
  list: leaf('list', ['[options] PATH', 'List data or secrets', lazy(rw, 'list')]),
  login: leaf('login', ['[options] [AUTH K=V...]', 'Authenticate locally', lazy(login, 'login')]),
  server: leaf(
    'server',
    ['[options]', 'Start a Vault server', lazy(() => import('./cli/server.js'), 'server')],
    false,
  ),
  status: leaf('status', [
    '[options]',
    'Print seal and HA status',
    lazy(() => import('./cli/status.js'), 'status'),
  ]),
  audit: group('audit', 'Interact with audit devices', {
    disable: ['[options] PATH', 'Disables an audit device', lazy(audit, 'auditDisable')],
    enable: ['[options] TYPE [CONFIG K=V...]', 'Enables an audit device', lazy(audit, 'auditEnable')],
    list: ['[options]', 'Lists enabled audit devices', lazy(audit, 'auditList')],
  }),
  auth: group('auth', 'Interact with auth methods', {
    disable: ['[options] PATH', 'Disable a auth method', lazy(mounts, 'authDisable')],
    enable: ['[options] TYPE', 'Enable a auth method', lazy(mounts, 'authEnable')],
    list: ['[options]', 'List enabled auth methods', lazy(mounts, 'authList')],
  }),
  kv: group('kv', "Interact with Vault's Key-Value storage", {
    delete: ['[options] KEY', 'Deletes versions in the KV store', lazy(kv, 'kvDelete')],
    get: ['[options] KEY', 'Retrieves data from the KV store', lazy(kv, 'kvGet')],
    list: ['[options] PATH', 'List data or secrets', lazy(kv, 'kvList')],
    put: ['[options] KEY [DATA]', 'Sets or updates data in the KV store', lazy(kv, 'kvPut')],
  }),
  operator: group(
    'operator',
    'Perform operator-specific tasks',
    {
      init: ['[options]', 'Initializes a server', lazy(operator, 'init')],
      'key-status': [
        '[options]',
        'Provides information about the active encryption key',
        lazy(operator, 'keyStatus'),
      ],
      members: ['[options]', 'Returns the list of nodes in the cluster', lazy(operator, 'members')],
      migrate: [
        '[options]',
        'Migrates Vault data between storage backends',
        lazy(() => import('./cli/migrate.js'), 'migrate'),
      ],
      rotate: ['[options]', 'Rotates the underlying encryption key', lazy(operator, 'rotate')],
      seal: ['[options]', 'Seals the Vault server', lazy(operator, 'seal')],
      'step-down': ['[options]', 'Forces Vault to resign active duty', lazy(operator, 'stepDown')],
      unseal: ['[options] [KEY]', 'Unseals the Vault server', lazy(operator, 'unseal')],
    },
    'This command groups subcommands for operators interacting with Vault.',
    ['migrate'],
  ),
  policy: group('policy', 'Interact with policies', {
    delete: ['[options] NAME', 'Deletes a policy by name', lazy(policy, 'policyDelete')],
    list: ['[options]', 'Lists the installed policies', lazy(policy, 'policyList')],
    read: ['[options] NAME', 'Prints the contents of a policy', lazy(policy, 'policyRead')],
    write: ['[options] NAME PATH', 'Uploads a named policy from a file', lazy(policy, 'policyWrite')],
  }),
  secrets: group('secrets', 'Interact with secrets engines', {
    disable: ['[options] PATH', 'Disable a secrets engine', lazy(mounts, 'secretsDisable')],
    enable: ['[options] TYPE', 'Enable a secrets engine', lazy(mounts, 'secretsEnable')],
    list: ['[options]', 'List enabled secrets engines', lazy(mounts, 'secretsList')],
  }),
  token: group('token', 'Interact with tokens', {
    create: ['[options]', 'Create a new token', lazy(login, 'tokenCreate')],
    lookup: ['[options] [TOKEN | ACCESSOR]', 'Display information about a token', lazy(login, 'tokenLookup')],
    renew: ['[options] [TOKEN]', 'Renew a token lease', lazy(login, 'tokenRenew')],
    revoke: ['[options] [TOKEN]', 'Revoke a token and its children', lazy(login, 'tokenRevoke')],
  }),
  version: {
    hidden: true,
    aliases: ['-v', '-version', '--version'],
    run: async () => {
      const { VAULT_VERSION, BUILD_DATE } = await import('./version.js');
      process.stdout.write(`Vault v${VAULT_VERSION}, built ${BUILD_DATE} (kms-chain)\n`);
      return 0;
    },
  },
};

// Vault's help lists the common commands first, then the others by name.
const common = ['read', 'write', 'delete', 'list', 'login', 'server', 'status'];
const others = Object.keys(commands)
  .filter((n) => !common.includes(n) && !commands[n]!.hidden)
  .sort();
const width = Math.max(...[...common, ...others].map((n) => n.length)) + 4;
const usage = `Usage: vault <command> [args]

Common commands:
${formatCommands(commands, { names: common, width })}
Other commands:
${formatCommands(commands, { names: others, width })}`;

/** Runs the `vault` command line and resolves to the process exit code. */
export function main(args: string[]): Promise<number> {
  return runProgram({ usage, commands, dialect: vaultDialect }, args, undefined);
}
