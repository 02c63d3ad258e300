// The `vault` command line in process, for what it decides before any request: help, unknown
// commands, usage errors and their exit codes (hashicorp/cli's: help 0, usage 1, unknown 127).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HTTP_OPTIONS_HELP } from '../src/cli/http-flags.js';
import { main } from '../src/cli.js';

let stdout: string;
let stderr: string;

beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => {
    stdout += String(t);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
    stderr += String(t);
    return true;
  });
  // No request may leave: a command that got past its checks would fail on this address.
  vi.stubEnv('VAULT_ADDR', 'http://127.0.0.1:1');
  vi.stubEnv('VAULT_FORMAT', '');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const topUsage = `Usage: vault <command> [args]

Common commands:
    read        Read data and retrieves secrets
    write       Write data, configuration, and secrets
    delete      Delete secrets and configuration
    list        List data or secrets
    login       Authenticate locally
    server      Start a Vault server
    status      Print seal and HA status

Other commands:
    audit       Interact with audit devices
    auth        Interact with auth methods
    kv          Interact with Vault's Key-Value storage
    operator    Perform operator-specific tasks
    policy      Interact with policies
    secrets     Interact with secrets engines
    token       Interact with tokens
`;

const kvUsage = `Usage: vault kv <subcommand> [options] [args]

Subcommands:
    delete    Deletes versions in the KV store
    get       Retrieves data from the KV store
    list      List data or secrets
    put       Sets or updates data in the KV store
`;

describe('vault usage', () => {
  it.each([
    ['', 2, topUsage],
    ['-h', 0, topUsage],
    ['-help', 0, topUsage],
    ['--help', 0, topUsage],
    ['nosuch', 127, topUsage],
    ['help', 127, topUsage],
    ['kv', 1, kvUsage],
    ['kv nosuch', 1, kvUsage],
    ['kv -h', 0, kvUsage],
    [
      'operator unseal -h',
      0,
      `Usage: vault operator unseal [options] [KEY]\n\n  Unseals the Vault server.\n${HTTP_OPTIONS_HELP}`,
    ],
    [
      'kv get secret/x --help',
      0,
      `Usage: vault kv get [options] KEY\n\n  Retrieves data from the KV store.\n${HTTP_OPTIONS_HELP}`,
    ],
    [
      'audit list -h',
      0,
      `Usage: vault audit list [options]\n\n  Lists enabled audit devices.\n${HTTP_OPTIONS_HELP}`,
    ],
    ['server -h', 0, 'Usage: vault server [options]\n\n  Start a Vault server.\n'],
    [
      'audit',
      1,
      'Usage: vault audit <subcommand> [options] [args]\n\nSubcommands:\n    disable    Disables an audit device\n    enable     Enables an audit device\n    list       Lists enabled audit devices\n',
    ],
    [
      'audit enable',
      1,
      "Error enabling audit device: audit type missing. Valid types include 'file', 'socket' and 'syslog'.\n",
    ],
    ['audit disable', 1, 'Not enough arguments (expected 1, got 0)\n'],
    ['audit disable a b', 1, 'Too many arguments (expected 1, got 2)\n'],
    ['audit list x', 1, 'Too many arguments (expected 0, got 1)\n'],
    ['operator key-status x', 1, 'Too many arguments (expected 0, got 1)\n'],
    ['operator rotate -bogus', 1, 'flag provided but not defined: -bogus\n'],
    ['status -address', 1, 'flag needs an argument: -address\n'],
    ['status -tls-skip-verify=maybe', 1, 'invalid boolean value "maybe" for -tls-skip-verify: parse error\n'],
    [
      'policy',
      1,
      'Usage: vault policy <subcommand> [options] [args]\n\nSubcommands:\n    delete    Deletes a policy by name\n    list      Lists the installed policies\n    read      Prints the contents of a policy\n    write     Uploads a named policy from a file\n',
    ],
    [
      'secrets nosuch',
      1,
      'Usage: vault secrets <subcommand> [options] [args]\n\nSubcommands:\n    disable    Disable a secrets engine\n    enable     Enable a secrets engine\n    list       List enabled secrets engines\n',
    ],
    ['read -bogus x', 1, 'flag provided but not defined: -bogus\n'],
    ['read x -field', 1, 'flag needs an argument: -field\n'],
    ['write secret/x', 1, 'Must supply data or use -force\n'],
    ['write -force=maybe secret/x', 1, 'invalid boolean value "maybe" for -force: parse error\n'],
    ['operator init -n=x', 1, 'invalid value "x" for flag -key-shares: parse error\n'],
    ['operator unseal a b', 1, 'Too many arguments (expected 0-1, got 2)\n'],
    ['status extra', 1, 'Too many arguments (expected 0, got 1)\n'],
    ['read -format=yamlish x', 1, 'Invalid output format: yamlish\n'],
    ['policy read', 1, 'Wrong number of arguments (expected 1, got 0)\n'],
    ['secrets enable -path=x', 1, 'Wrong number of arguments (expected 1, got 0)\n'],
    ['kv put -mount=secret', 1, 'Not enough arguments (expected 1, got 0)\n'],
  ])('vault %s → exit %d', async (line, code, text) => {
    expect(await main(line === '' ? [] : line.split(' '))).toBe(code);
    expect(stderr).toBe(text);
    expect(stdout).toBe('');
  });

  // The operator group's help has a paragraph above its list (which grows with the commands).
  it.each([
    ['operator', 1],
    ['operator nosuch', 1],
    ['operator --help', 0],
  ])('vault %s → exit %d with the operator help', async (line, code) => {
    expect(await main(line.split(' '))).toBe(code);
    expect(stderr).toMatch(
      /^Usage: vault operator <subcommand> \[options\] \[args\]\n\n {2}This command groups subcommands for operators interacting with Vault\.\n\nSubcommands:\n(?: {4}\S+ +\S.*\n)*? {4}init +Initializes a server\n/,
    );
  });

  it.each([['version'], ['-v'], ['-version'], ['--version']])('%s prints the version', async (arg) => {
    expect(await main([arg])).toBe(0);
    expect(stdout).toMatch(/^Vault v\d+\.\d+\.\d+, built \S+ \(kms-chain\)\n$/);
    expect(stderr).toBe('');
  });

  it.each([
    [
      'status -address=http://127.0.0.1:2',
      'Error checking seal status: Get "http://127.0.0.1:2/v1/sys/seal-status"',
    ],
    [
      'status -address http://127.0.0.1:2 -tls-skip-verify',
      'Error checking seal status: Get "http://127.0.0.1:2/',
    ],
    [
      'audit list --address=http://127.0.0.1:3',
      'Error listing audits: Get "http://127.0.0.1:3/v1/sys/audit"',
    ],
    ['operator key-status -address=http://127.0.0.1:4', 'Error reading key status: Get "http://127.0.0.1:4/'],
    [
      'operator rotate -address=http://127.0.0.1:5',
      'Error rotating key: Put "http://127.0.0.1:5/v1/sys/rotate"',
    ],
    [
      'audit enable -address=http://127.0.0.1:6 file file_path=/tmp/x',
      'Error enabling audit device: Put "http://127.0.0.1:6/v1/sys/audit/file/"',
    ],
    [
      'audit disable file -address=http://127.0.0.1:7',
      'Error disabling audit device: Delete "http://127.0.0.1:7/v1/sys/audit/file/"',
    ],
    [
      'write -address=http://127.0.0.1:8 secret/x -- -address=y',
      'Error writing data to secret/x: Put "http://127.0.0.1:8/',
    ],
  ])('%s: the -address flag wins over VAULT_ADDR', async (line, start) => {
    expect(await main(line.split(' '))).toBeGreaterThan(0);
    expect(stderr.startsWith(start)).toBe(true);
  });

  it.each([
    ['write -force secret/x'],
    ['write -f secret/x'],
    ['write secret/x -force=true'],
    ['write --force=1 secret/x'],
  ])('%s passes its checks and tries the server', async (line) => {
    expect(await main(line.split(' '))).toBe(2);
    expect(stderr).toMatch(
      /^Error writing data to secret\/x: Put "http:\/\/127\.0\.0\.1:1\/v1\/secret\/x": dial tcp/,
    );
  });
});
