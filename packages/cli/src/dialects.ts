// How each of the three tools prints help and errors and which exit codes it uses, for runProgram.
import type { Dialect } from './runner.js';

/**
 * Vault's CLI (hashicorp/cli): help goes to stderr; asked for (`-h`, `-help`, `--help`), it exits 0;
 * a group named without a known subcommand prints its help and exits 1; an unknown command exits
 * 127; a usage error prints its message alone and exits 1. `vault` alone exits 2 here, as this CLI
 * always has (hashicorp/cli would say 127).
 */
export const vaultDialect: Dialect = {
  help: { to: 'err', exitCode: 0 },
  helpWord: false,
  noCommandExitCode: 2,
  unknownCommandExitCode: 127,
  usageExitCode: 1,
  unknownCommand: () => '',
  usageError: (message) => `${message}\n`,
};

/**
 * KES: help (`-h`, `--help`, `help`) and usage errors go to stderr and exit 2; an unknown command is
 * named (`Error: unknown command 'key bogus'`) above the usage.
 */
export const kesDialect: Dialect = {
  help: { to: 'err', exitCode: 2 },
  helpWord: true,
  noCommandExitCode: 2,
  unknownCommandExitCode: 2,
  usageExitCode: 2,
  unknownCommand: (path) => `Error: unknown command '${path}'\n`,
  usageError: (message) => `Error: ${message}\n`,
};

/**
 * MinIO (urfave/cli): help asked for goes to stdout and exits 0; a wrong command line prints the
 * error and the command's usage on stderr and exits 2.
 */
export const minioDialect: Dialect = {
  help: { to: 'out', exitCode: 0 },
  helpWord: true,
  noCommandExitCode: 2,
  unknownCommandExitCode: 2,
  usageExitCode: 2,
  unknownCommand: (path) => `Error: unknown command "${path}"\n\n`,
  usageError: (message, usage) => `Error: ${message}\n\n${usage}`,
};
