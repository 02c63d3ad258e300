// The `minio` command: a usage text and a table of subcommands, run by @kms-chain/cli.
import { type CommandTable, type Dialect, runProgram } from '@kms-chain/cli';
import { kmsCommands, kmsUsage } from './cli/kms.js';
import { runServer, serverUsage } from './cli/server.js';

const usage = `NAME:
  minio - High Performance Object Storage

USAGE:
  minio COMMAND [FLAGS] [ARGS...]

COMMANDS:
  server  start object storage server
  kms     show the KMS status and test or create keys of a running server

Run "minio COMMAND --help" for a command's flags.
`;

const commands: CommandTable<void> = {
  server: { usage: serverUsage, run: runServer },
  kms: { usage: kmsUsage, commands: kmsCommands },
};

// Help asked for goes to stdout with exit 0, as MinIO's; a wrong command line prints the error and
// the command's usage on stderr and exits 2; any other failure prints `Error: …` and exits 1.
const dialect: Dialect = {
  help: { to: 'out', exitCode: 0 },
  helpWord: true,
  noCommandExitCode: 2,
  unknownCommandExitCode: 2,
  usageExitCode: 2,
  unknownCommand: (path) => `Error: unknown command "${path}"\n\n`,
  usageError: (message, usage) => `Error: ${message}\n\n${usage}`,
};

/** Runs the `minio` command line and resolves to the process exit code. */
export function main(args: string[]): Promise<number> {
  return runProgram({ usage, commands, dialect }, args, undefined);
}
