// The HTTP flags every client command takes (-address, -ca-cert, …): taken out of the command
// line before the command parses its own, and read by the client over the environment. Kept
// apart from the client so the command table can print them without loading it.
import { UsageError } from '@kms-chain/cli';

/** The HTTP flags, each with the variable it overrides and its line in the help. */
const HTTP_FLAGS = {
  address: { env: 'VAULT_ADDR', help: 'Address of the Vault server (default https://127.0.0.1:8200).' },
  'ca-cert': { env: 'VAULT_CACERT', help: 'PEM file of the CA certificate(s) that verify the server.' },
  'ca-path': { env: 'VAULT_CAPATH', help: 'Directory of PEM CA certificates that verify the server.' },
  'client-cert': { env: 'VAULT_CLIENT_CERT', help: 'PEM client certificate for TLS authentication.' },
  'client-key': { env: 'VAULT_CLIENT_KEY', help: 'PEM private key of the client certificate.' },
  namespace: { env: 'VAULT_NAMESPACE', help: 'Namespace sent with each request.' },
  'tls-server-name': { env: 'VAULT_TLS_SERVER_NAME', help: 'Name to use as the SNI host and to verify.' },
  'tls-skip-verify': {
    env: 'VAULT_SKIP_VERIFY',
    help: 'Do not verify the server certificate (insecure).',
    boolean: true,
  },
} as const;

type HttpFlag = keyof typeof HTTP_FLAGS;

/** What the HTTP flags of this command line said; the client prefers them to the environment. */
let httpFlags: Partial<Record<HttpFlag, string>> = {};

/** The "HTTP Options" block of every client command's help. */
export const HTTP_OPTIONS_HELP = `\nHTTP Options:\n\n${Object.entries(HTTP_FLAGS)
  .map(([name, f]) => `  -${name}${'boolean' in f ? '' : '=<string>'}\n      ${f.help} Also ${f.env}.\n`)
  .join('\n')}`;

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Takes the HTTP flags out of a command line (wherever they stand before `--`) for the clients
 * this command makes, and returns the rest for the command's own flags and arguments.
 * @throws UsageError for a value flag without its value or a bad boolean, as Go's flag does.
 */
export function takeHttpFlags(args: readonly string[]): string[] {
  httpFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const m = /^--?([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(a);
    const name = m?.[1] as HttpFlag | undefined;
    if (!m || !name || !Object.hasOwn(HTTP_FLAGS, name)) {
      rest.push(a);
      continue;
    }
    if ('boolean' in HTTP_FLAGS[name]) {
      const v = m[2];
      if (v !== undefined && !BOOL_TRUE.has(v) && !BOOL_FALSE.has(v))
        throw new UsageError(`invalid boolean value ${JSON.stringify(v)} for -${name}: parse error`);
      httpFlags[name] = v === undefined || BOOL_TRUE.has(v) ? 'true' : 'false';
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`flag needs an argument: -${name}`);
    httpFlags[name] = value;
  }
  return rest;
}

/** A setting from its flag, else its environment variable. */
export const setting = (name: HttpFlag): string | undefined =>
  httpFlags[name] ?? (process.env[HTTP_FLAGS[name].env] || undefined);
