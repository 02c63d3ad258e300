// The `minio` command: a usage text and a table of subcommands, run by @kms-chain/cli.
import { type CommandTable, minioDialect, runProgram } from '@kms-chain/cli';
import { kmsCommands, kmsUsage } from './cli/kms.js';
import { serverUsage } from './cli/server-usage.js';
import { printVersion } from './cli/version.js';

const usage = `NAME:
  minio - High Performance Object Storage

USAGE:
  minio COMMAND [FLAGS] [ARGS...]

COMMANDS:
  server  start object storage server
  kms     show the KMS status and test or create keys of a running server

FLAGS:
  --help, -h     show help
  --version, -v  print the version

Run "minio COMMAND --help" for a command's flags.
`;

const commands: CommandTable<void> = {
  // Loaded when run: the server's modules cost `minio kms` or a help text several times its own.
  server: { usage: serverUsage, run: async (args) => (await import('./cli/server.js')).runServer(args) },
  kms: { usage: kmsUsage, commands: kmsCommands },
  '--version': { aliases: ['-v', 'version'], hidden: true, run: printVersion },
};

/** Runs the `minio` command line and resolves to the process exit code. */
export function main(args: string[]): Promise<number> {
  return runProgram({ usage, commands, dialect: minioDialect }, args, undefined);
}
