// The `vault` command: a table of subcommands, one module each (cli/*), run by @kms-chain/cli.
import { type Command, type CommandTable, type Dialect, formatCommands, runProgram } from '@kms-chain/cli';

type Run = (args: string[]) => Promise<number>;

/** A leaf whose module loads on demand: a client command should not pay for the server's imports. */
function command<M>(
  line: string,
  summary: string,
  load: () => Promise<M>,
  pick: (m: M) => Run,
): Command<void> {
  return {
    summary,
    usage: `Usage: vault ${line}\n\n  ${summary}.\n`,
    run: async (args) => pick(await load())(args),
  };
}

/** A group of subcommands; its help lists them as Vault's does. */
function group(name: string, summary: string, commands: CommandTable<void>, about?: string): Command<void> {
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

const commands: CommandTable<void> = {
  read: command('read [options] PATH [K=V...]', 'Read data and retrieves secrets', rw, (m) => m.read),
  write: command(
    'write [options] PATH [DATA K=V...]',
    'Write data, configuration, and secrets',
    rw,
    (m) => m.write,
  ),
  delete: command('delete [options] PATH', 'Delete secrets and configuration', rw, (m) => m.del),
  list: command('list [options] PATH', 'List data or secrets', rw, (m) => m.list),
  login: command('login [options] [AUTH K=V...]', 'Authenticate locally', login, (m) => m.login),
  server: command(
    'server [options]',
    'Start a Vault server',
    () => import('./cli/server.js'),
    (m) => m.server,
  ),
  status: command(
    'status [options]',
    'Print seal and HA status',
    () => import('./cli/status.js'),
    (m) => m.status,
  ),
  auth: group('auth', 'Interact with auth methods', {
    disable: command('auth disable [options] PATH', 'Disable a auth method', mounts, (m) => m.authDisable),
    enable: command('auth enable [options] TYPE', 'Enable a auth method', mounts, (m) => m.authEnable),
    list: command('auth list [options]', 'List enabled auth methods', mounts, (m) => m.authList),
  }),
  kv: group('kv', "Interact with Vault's Key-Value storage", {
    delete: command('kv delete [options] KEY', 'Deletes versions in the KV store', kv, (m) => m.kvDelete),
    get: command('kv get [options] KEY', 'Retrieves data from the KV store', kv, (m) => m.kvGet),
    list: command('kv list [options] PATH', 'List data or secrets', kv, (m) => m.kvList),
    put: command('kv put [options] KEY [DATA]', 'Sets or updates data in the KV store', kv, (m) => m.kvPut),
  }),
  operator: group(
    'operator',
    'Perform operator-specific tasks',
    {
      init: command('operator init [options]', 'Initializes a server', operator, (m) => m.init),
      seal: command('operator seal [options]', 'Seals the Vault server', operator, (m) => m.seal),
      unseal: command(
        'operator unseal [options] [KEY]',
        'Unseals the Vault server',
        operator,
        (m) => m.unseal,
      ),
    },
    'This command groups subcommands for operators interacting with Vault.',
  ),
  policy: group('policy', 'Interact with policies', {
    delete: command(
      'policy delete [options] NAME',
      'Deletes a policy by name',
      policy,
      (m) => m.policyDelete,
    ),
    list: command('policy list [options]', 'Lists the installed policies', policy, (m) => m.policyList),
    read: command(
      'policy read [options] NAME',
      'Prints the contents of a policy',
      policy,
      (m) => m.policyRead,
    ),
    write: command(
      'policy write [options] NAME PATH',
      'Uploads a named policy from a file',
      policy,
      (m) => m.policyWrite,
    ),
  }),
  secrets: group('secrets', 'Interact with secrets engines', {
    disable: command(
      'secrets disable [options] PATH',
      'Disable a secrets engine',
      mounts,
      (m) => m.secretsDisable,
    ),
    enable: command(
      'secrets enable [options] TYPE',
      'Enable a secrets engine',
      mounts,
      (m) => m.secretsEnable,
    ),
    list: command('secrets list [options]', 'List enabled secrets engines', mounts, (m) => m.secretsList),
  }),
  token: group('token', 'Interact with tokens', {
    create: command('token create [options]', 'Create a new token', login, (m) => m.tokenCreate),
    lookup: command(
      'token lookup [options] [TOKEN | ACCESSOR]',
      'Display information about a token',
      login,
      (m) => m.tokenLookup,
    ),
    renew: command('token renew [options] [TOKEN]', 'Renew a token lease', login, (m) => m.tokenRenew),
    revoke: command(
      'token revoke [options] [TOKEN]',
      'Revoke a token and its children',
      login,
      (m) => m.tokenRevoke,
    ),
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

// As Vault's CLI (hashicorp/cli): help goes to stderr; asked for, it exits 0; a group named
// without a known subcommand prints its help and exits 1; an unknown command exits 127; usage
// errors print the message alone and exit 1. `vault` alone exits 2, as this CLI always has.
const dialect: Dialect = {
  help: { to: 'err', exitCode: 0 },
  helpWord: false,
  noCommandExitCode: 2,
  unknownCommandExitCode: 127,
  usageExitCode: 1,
  unknownCommand: () => '',
  usageError: (message) => `${message}\n`,
};

/** Runs the `vault` command line and resolves to the process exit code. */
export function main(args: string[]): Promise<number> {
  return runProgram({ usage, commands, dialect }, args, undefined);
}
