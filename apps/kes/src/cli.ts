// The `kes` command: a table of subcommands, one file each under cli/.
import { CliError, UsageError } from './cli/args.js';
import { identityCommand, toolCommand } from './cli/identity.js';
import { type Io, processIo } from './cli/io.js';
import { keyCommand } from './cli/key.js';
import { policyCommand } from './cli/policy.js';
import { serverCommand } from './cli/server.js';
import { logCommand, statusCommand } from './cli/status.js';
import { ConfigError } from './config/load.js';

const usage = `Usage:
    kes [options] <command>

Commands:
    server                   Start a KES server.
    key                      Manage cryptographic keys.
    identity                 Create and inspect KES identities (new, of, ls, info).
    policy                   Inspect KES policies (ls, info, show).
    tool                     Run specific key and identity management tools (tool identity new|of).
    status                   Print the server status.
    log                      Print the server's audit (--audit) or error (--error) log.

Options:
    -h, --help               Print this help.

Client commands read KES_SERVER and KES_CLIENT_KEY/KES_CLIENT_CERT
(or KES_CLIENT_TLS_KEY_FILE/KES_CLIENT_TLS_CERT_FILE); -k skips server certificate checks.
`;

const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {
  server: serverCommand,
  key: keyCommand,
  identity: (args, io) => identityCommand(args, io),
  tool: toolCommand,
  status: statusCommand,
  policy: policyCommand,
  log: logCommand,
};

/** Runs the `kes` command line and resolves to the process exit code (0 ok, 1 failure, 2 usage). */
export async function main(args: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = args;
  const cmd = name === undefined ? undefined : commands[name];
  if (!cmd) {
    if (name !== undefined && name !== '-h' && name !== '--help' && name !== 'help') {
      io.err(`Error: unknown command '${name}'\n`);
    }
    io.err(usage);
    return 2;
  }
  try {
    return await cmd(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`Error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError || err instanceof ConfigError) {
      io.err(`Error: ${err.message}\n`);
      return 1;
    }
    io.err(`Error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
