// The `vault` command: a table of subcommands, one module each (cli/*).
import { UsageError } from './cli/args.js';

const usage = `Usage: vault <command> [args]

Common commands:
    read        Read data and retrieves secrets
    write       Write data, configuration, and secrets
    delete      Delete secrets and configuration
    list        List data or secrets
    login       Authenticate locally
    server      Start a Vault server
    status      Print seal and HA status

Other commands:
    auth        Interact with auth methods
    kv          Interact with Vault's Key-Value storage
    operator    Perform operator-specific tasks
    policy      Interact with policies
    secrets     Interact with secrets engines
    token       Interact with tokens
`;

type Command = (args: string[]) => Promise<number>;

// Loaded on demand: a client command should not pay for the server's imports.
const COMMANDS: Record<string, () => Promise<Command>> = {
  server: async () => (await import('./cli/server.js')).server,
  operator: async () => (await import('./cli/operator.js')).operator,
  status: async () => (await import('./cli/status.js')).status,
  secrets: async () => (await import('./cli/mounts.js')).secrets,
  auth: async () => (await import('./cli/mounts.js')).auth,
  policy: async () => (await import('./cli/policy.js')).policy,
  read: async () => (await import('./cli/rw.js')).read,
  write: async () => (await import('./cli/rw.js')).write,
  list: async () => (await import('./cli/rw.js')).list,
  delete: async () => (await import('./cli/rw.js')).del,
  login: async () => (await import('./cli/login.js')).login,
  token: async () => (await import('./cli/login.js')).token,
  kv: async () => (await import('./cli/kv.js')).kv,
};

/** Runs the `vault` command line and resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '-h' || name === '-help' || name === '--help') {
    process.stderr.write(usage);
    return 2;
  }
  if (name === 'version' || name === '-v' || name === '-version' || name === '--version') {
    const { VAULT_VERSION, BUILD_DATE } = await import('./version.js');
    process.stdout.write(`Vault v${VAULT_VERSION}, built ${BUILD_DATE} (kms-chain)\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(usage);
    return 127;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
