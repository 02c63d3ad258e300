// `kes tool identity new|of` (E1) and `kes identity new|of` (later spelling).
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { CliError, type CommandTable, parseFlags, UsageError } from '@kms-chain/cli';
import { createCertificate, identityOf, isCaCertificate } from '@kms-chain/tls-identity';
import { parseGoDuration } from '../config/duration.js';
import { apiKeyIdentity, isApiKey, newApiKey } from './api-key.js';
import type { Io } from './io.js';
import { identityViewCommands } from './policy.js';

export const identityUsage = `Usage:
    kes identity <command>

Commands:
    new [<subject>]          Create a new API key, or with --key/--cert a key and certificate.
    of <cert|API key>        Print the identity of a certificate or API key.
    ls [<prefix>*]           List identities.
    info [<identity>]        Describe an identity (default: your own).

Options:
    -h, --help               Print command line options.
`;

export const toolIdentityUsage = `Usage:
    kes tool identity <command>

Commands:
    new <name>               Create a new private key and self-signed certificate.
    of <certificate>         Print the identity of a certificate.

Options:
    -h, --help               Print command line options.
`;

const newOptions = `        --key <file>         Private key file (default ./private.key).
        --cert <file>        Certificate file (default ./public.crt).
        --ip, --dns <value>  Subject alternative names (may repeat).
    -f, --force              Overwrite existing files.
`;

const newUsage = `Usage:
    kes identity new [options] [<subject>]

Without --key and --cert: print a new API key and its identity.

Options:
${newOptions}        --expiry <duration>  Certificate lifetime (default 720h).
    -h, --help               Print command line options.
`;

const toolNewUsage = `Usage:
    kes tool identity new [options] <name>

Options:
${newOptions}    -t, --time <duration>    Certificate lifetime (default 720h).
    -h, --help               Print command line options.
`;

const ofUsage = `Usage:
    kes identity of <certificate|kes:v1:API-key>
    kes tool identity of [--hash SHA256|SHA384|SHA512] <certificate>

Options:
        --hash <name>        Hash of the public key (default SHA256).
    -h, --help               Print command line options.
`;

const newFlags = {
  key: { type: 'string' },
  cert: { type: 'string' },
  time: { type: 'string', aliases: ['t'] },
  expiry: { type: 'string' },
  force: { type: 'boolean', aliases: ['f'] },
  ip: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
} as const;

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

function printIdentity(io: Io, id: string): void {
  io.out(io.isTTY ? `Identity: ${id}\n` : `${id}\n`);
}

/**
 * `identity new`: an Ed25519 key and a self-signed clientAuth certificate (key file mode 0600). The
 * HEAD spelling `kes identity new` without --key/--cert prints a new API key and its identity
 * instead: TTY → labelled lines, piped → `{"api_key":"kes:v1:…","identity":"…"}`.
 */
async function newIdentity(args: string[], io: Io, files: boolean): Promise<number> {
  const { values, positionals } = parseFlags(args, newFlags);
  if (!files && values.key === undefined && values.cert === undefined) {
    const apiKey = newApiKey();
    const identity = apiKeyIdentity(apiKey);
    if (io.isTTY) {
      io.out(
        `Your API key:\n\n   ${apiKey}\n\nThis is the only time it is shown. Keep it secret and secure!\n\n`,
      );
      io.out(`Your Identity:\n\n   ${identity}\n`);
    } else io.out(`${JSON.stringify({ api_key: apiKey, identity })}\n`);
    return 0;
  }
  const name = positionals[0] ?? 'localhost';
  const keyFile = values.key ?? './private.key';
  const certFile = values.cert ?? './public.crt';
  const ttlText = values.time ?? values.expiry ?? '720h';
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined || ttl <= 0) throw new UsageError(`invalid duration '${ttlText}'`);
  if (!values.force) {
    for (const f of [keyFile, certFile]) {
      if (await exists(f))
        throw new CliError(`failed to create identity: '${f}' already exists; use --force to overwrite`);
    }
  }
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await createCertificate({
    subject: { commonName: name },
    keyType: 'ed25519',
    clientAuth: true,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 60_000 + ttl),
    ...(values.ip ? { ip: values.ip } : {}),
    ...(values.dns ? { dns: values.dns } : {}),
  });
  await writeFile(keyFile, cert.keyPem, { mode: 0o600 });
  await writeFile(certFile, cert.certPem, { mode: 0o644 });
  printIdentity(io, cert.identity);
  return 0;
}

/**
 * `identity of`: the hex SHA-256 (or --hash SHA384/SHA512, E1) of the public key of the file's first
 * certificate — the leaf, the one certificate the server identifies a client by. A CA certificate
 * gets its identity printed and a warning on stderr: the server refuses it as a client certificate.
 */
async function identityOfCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, { hash: { type: 'string' } });
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'no certificate specified' : 'too many arguments');
  if (isApiKey(positionals[0]!)) {
    printIdentity(io, apiKeyIdentity(positionals[0]!));
    return 0;
  }
  let pem: Buffer;
  try {
    pem = await readFile(positionals[0]!);
  } catch (err) {
    throw new CliError(
      `failed to read '${positionals[0]}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const hash = (values.hash ?? 'SHA256').toUpperCase().replace('-', '');
  let id: string;
  try {
    if (hash === 'SHA256') id = identityOf(pem);
    else if (hash === 'SHA384' || hash === 'SHA512') {
      const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
      id = createHash(hash === 'SHA384' ? 'sha384' : 'sha512')
        .update(spki)
        .digest('hex');
    } else throw new UsageError(`unsupported hash '${values.hash}'`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new CliError(`failed to parse certificate '${positionals[0]}': ${(err as Error).message}`);
  }
  printIdentity(io, id);
  if (isCaCertificate(pem)) {
    // The server takes the identity from the handshake's leaf and refuses a CA leaf.
    io.err(
      `Warning: '${positionals[0]}' is a CA certificate (basicConstraints CA:TRUE); kes server does not accept it as a client certificate\n`,
    );
  }
  return 0;
}

const ofCommand = {
  summary: 'Print the identity of a certificate or API key.',
  usage: ofUsage,
  run: identityOfCommand,
};

/** `kes identity …`: the HEAD spelling. */
export const identityCommands: CommandTable<Io> = {
  new: {
    summary: 'Create a new API key or identity.',
    usage: newUsage,
    run: (args, io) => newIdentity(args, io, false),
  },
  of: ofCommand,
  ...identityViewCommands,
};

/** `kes tool identity new|of` (E1): `new` always writes a key and a certificate file. */
export const toolIdentityCommands: CommandTable<Io> = {
  new: {
    summary: 'Create a new identity.',
    usage: toolNewUsage,
    run: (args, io) => newIdentity(args, io, true),
  },
  of: ofCommand,
};
