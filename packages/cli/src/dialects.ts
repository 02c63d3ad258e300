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
  noSubcommandExitCode: 1,
  unknownCommandExitCode: 127,
  usageExitCode: 1,
  unknownCommand: (_path, usage) => usage,
  usageError: (message) => `${message}\n`,
};

/**
 * KES (HEAD's cmd/kes, pflag): an unknown command or flag and every other usage error print one line
 * `Error: <what>. See 'kes <command> --help'` on stderr and exit 1; `kes` or a group alone prints
 * the usage on stderr and exits 2. Help asked for (`-h`, `--help`, `help`) goes to stderr too; KES
 * exits 2 there, this CLI exits 0 so that scripts and health checks can tell help from a failure.
 * Flag errors read as pflag's (`unknown flag: --x`, `unknown shorthand flag: 'x' in -x`).
 */
export const kesDialect: Dialect = {
  help: { to: 'err', exitCode: 0 },
  helpWord: true,
  noCommandExitCode: 2,
  noSubcommandExitCode: 2,
  unknownCommandExitCode: 1,
  usageExitCode: 1,
  unknownCommand: (path) => {
    const words = path.split(' ');
    const group = words.slice(0, -1);
    const noun = group.at(-1) ?? 'kes';
    const article = /^[aeiou]/.test(noun) ? 'an' : 'a';
    return `Error: "${words.at(-1)}" is not ${article} ${noun} command. See '${['kes', ...group].join(' ')} --help'\n`;
  },
  usageError: (message, _usage, path) =>
    `Error: ${pflagWording(message)}. See '${['kes', path].filter(Boolean).join(' ')} --help'\n`,
};

/** parseFlags' Go `flag` wording of an unknown flag or a missing value, as pflag words it. */
function pflagWording(message: string): string {
  const m = /^(flag provided but not defined|flag needs an argument): -(.+)$/.exec(message);
  if (!m) return message;
  const [, kind, name] = m as unknown as [string, string, string];
  if (kind === 'flag needs an argument')
    return `${kind}: ${name.length === 1 ? `'${name}' in -${name}` : `--${name}`}`;
  return name.length === 1 ? `unknown shorthand flag: '${name}' in -${name}` : `unknown flag: --${name}`;
}

/**
 * MinIO (urfave/cli): help asked for goes to stdout and exits 0; an unknown command prints
 * `‘x’ is not a minio sub-command. See ‘minio --help’.` and exits 1; a wrong command line prints
 * `Incorrect Usage: <what>` and the command's usage and exits 1. MinIO prints the last two on stdout;
 * here they go to stderr with every other error. `minio` or a group alone prints its usage and exits 2.
 */
export const minioDialect: Dialect = {
  help: { to: 'out', exitCode: 0 },
  helpWord: true,
  noCommandExitCode: 2,
  noSubcommandExitCode: 2,
  unknownCommandExitCode: 1,
  usageExitCode: 1,
  unknownCommand: (path) => {
    const words = path.split(' ');
    const group = ['minio', ...words.slice(0, -1)].join(' ');
    return `\u2018${words.at(-1)}\u2019 is not a ${group} sub-command. See \u2018${group} --help\u2019.\n`;
  },
  usageError: (message, usage) => `Incorrect Usage: ${message}\n\n${usage}`,
};
