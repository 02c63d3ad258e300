// The `minio` command: a usage text and a table of subcommands.
import { runKms } from './cli/kms.js';
import { runServer } from './cli/server.js';

const usage = `NAME:
  minio - High Performance Object Storage

USAGE:
  minio COMMAND [FLAGS] [ARGS...]

COMMANDS:
  server  start object storage server
  kms     show the KMS status and test or create keys of a running server

Run "minio COMMAND --help" for a command's flags.
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  server: runServer,
  kms: runKms,
};

/** Runs the `minio` command line and resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    if (name !== undefined) process.stderr.write(`Error: unknown command "${name}"\n\n`);
    process.stderr.write(usage);
    return 2;
  }
  return command(rest);
}
