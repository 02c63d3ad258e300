// The `kes` command: a table of subcommands, one file each under cli/, run by @kms-chain/cli.
import { type CommandTable, kesDialect, runProgram } from '@kms-chain/cli';
import { identityCommands, identityUsage, toolIdentityCommands, toolIdentityUsage } from './cli/identity.js';
import { type Io, processIo } from './cli/io.js';
import { keyCommands, keyUsage } from './cli/key.js';
import { policyCommands, policyUsage } from './cli/policy.js';
import { serverUsage } from './cli/server-usage.js';
import { logCommand, logUsage, statusCommand, statusUsage } from './cli/status.js';
import { versionCommand } from './cli/version.js';

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
    -v, --version            Print version information.
    -h, --help               Print command line options.

Client commands read KES_SERVER and KES_CLIENT_KEY/KES_CLIENT_CERT
(or KES_CLIENT_TLS_KEY_FILE/KES_CLIENT_TLS_CERT_FILE); -k skips server certificate checks.
`;

const toolUsage = `Usage:
    kes tool <command>

Commands:
    identity                 Create a private key and certificate, or print an identity (E1).

Options:
    -h, --help               Print command line options.
`;

const commands: CommandTable<Io> = {
  // Loaded when run: the server's modules cost a client command or a help text several times its own.
  server: {
    usage: serverUsage,
    run: async (args, io) => (await import('./cli/server.js')).serverCommand(args, io),
  },
  key: { usage: keyUsage, commands: keyCommands },
  identity: { usage: identityUsage, commands: identityCommands },
  policy: { usage: policyUsage, commands: policyCommands },
  tool: {
    usage: toolUsage,
    commands: { identity: { usage: toolIdentityUsage, commands: toolIdentityCommands } },
  },
  status: { usage: statusUsage, run: statusCommand },
  log: { usage: logUsage, run: logCommand },
  '--version': { aliases: ['-v'], hidden: true, run: versionCommand },
};

/**
 * Runs the `kes` command line and resolves to the process exit code: 0 ok (help included), 1 a
 * failure or a wrong command line, 2 `kes` or a command group named alone.
 */
export function main(args: string[], io: Io = processIo): Promise<number> {
  return runProgram({ usage, commands, dialect: kesDialect }, args, io, io);
}
