// The `vault` command: a table of subcommands, one module each (cli/*).
import { UsageError } from './cli/args.js';
import { kv } from './cli/kv.js';
import { login, token } from './cli/login.js';
import { auth, secrets } from './cli/mounts.js';
import { operator } from './cli/operator.js';
import { policy } from './cli/policy.js';
import { del, list, read, write } from './cli/rw.js';
import { server } from './cli/server.js';
import { status } from './cli/status.js';

const usage = `Usage: vault <command> [args]

Common commands:
    read        Read data and retrieves secrets
    write       Write data, configuration, and secrets
    delete      Delete secrets and configuration
    list        List data or secrets
    login       Authenticate locally
    agent       (not supported)
    server      Start a Vault server
    status      Print seal and HA status
    unwrap      (not supported)

Other commands:
    auth        Interact with auth methods
    kv          Interact with Vault's Key-Value storage
    operator    Perform operator-specific tasks
    policy      Interact with policies
    secrets     Interact with secrets engines
    token       Interact with tokens
`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  server,
  operator,
  status,
  secrets,
  auth,
  policy,
  read,
  write,
  list,
  delete: del,
  login,
  token,
  kv,
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
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(usage);
    return 127;
  }
  try {
    return await cmd(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
