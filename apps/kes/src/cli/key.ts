// `kes key …`: create, import, info, ls, rm, dek, encrypt, decrypt (+ E1 spellings delete/derive/list).
import { CliError, type CommandTable, UsageError } from '@kms-chain/cli';
import { clientFlags, clientUsage, connect, expectOk, type KesClient } from './client.js';
import type { Io } from './io.js';

export const keyUsage = `Usage:
    kes key <command>

Commands:
    create <name>... [-k]            Create new master keys.
    import <name> <base64-key>       Import a 256-bit key.
    info <name> [--json]             Describe a key.
    ls [<prefix>*] [--json]          List keys.
    rm <name>...                     Delete keys.
    dek <name> [<base64-context>]    Generate a data encryption key.
    encrypt <name> <text> [<ctx>]    Encrypt a (small) plaintext.
    decrypt <name> <ciphertext> [<ctx>]  Decrypt a ciphertext.

Options:
    -k, --insecure                   Skip TLS certificate verification.
    -s, --server <url>               KES server (default $KES_SERVER or 127.0.0.1:7373).
        --json                       Print JSON.
    -h, --help                       Print command line options.
`;

const enclaveOption = '    -e, --enclave <name>     Operate within the named enclave.\n';

const keyFlags = { ...clientFlags, enclave: { type: 'string', aliases: ['e'] } } as const;

const enc = encodeURIComponent;

interface KeyCall {
  client: KesClient;
  /** The positional arguments: the key name first. */
  pos: string[];
  json: boolean;
  io: Io;
}

/** A `kes key` command needing `min` arguments (named by `what` when missing). */
function keyCommand(min: number, what: string, run: (call: KeyCall) => Promise<number>) {
  return async (args: string[], io: Io): Promise<number> => {
    const {
      client,
      positionals: pos,
      json,
    } = await connect(args, io, keyFlags, (pos) => {
      if (pos.length < min) throw new UsageError(`missing ${what}`);
    });
    return run({ client, pos, json, io });
  };
}

async function importKey(client: KesClient, name: string, b64: string): Promise<number> {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 32)
    throw new CliError(`failed to import key "${name}": key must be 32 bytes (base64)`);
  const r = await client.request('POST', `/v1/key/import/${enc(name)}`, { key: b64, cipher: 'AES256' });
  expectOk(r, `failed to import key "${name}"`);
  return 0;
}

const create = keyCommand(1, 'key name', async ({ client, pos }) => {
  // E3: `kes key create <name> <base64>` imports; a 32-byte key in base64 ends in '=', which no
  // key name can contain, so the two forms cannot be confused.
  if (pos.length === 2 && /^[A-Za-z0-9+/]{43}=$/.test(pos[1]!)) return importKey(client, pos[0]!, pos[1]!);
  for (const name of pos) {
    const r = await client.request('POST', `/v1/key/create/${enc(name)}`);
    expectOk(r, `failed to create key "${name}"`);
  }
  return 0;
});

const describe = keyCommand(1, 'key name', async ({ client, pos, json, io }) => {
  const r = await client.request('GET', `/v1/key/describe/${enc(pos[0]!)}`);
  expectOk(r, `failed to describe key "${pos[0]}"`);
  const k = r.json<{ name: string; algorithm?: string; created_at?: string; created_by?: string }>();
  if (json) io.out(`${JSON.stringify(k)}\n`);
  else {
    io.out(`Name      ${k.name}\n`);
    io.out(`Algorithm ${k.algorithm ?? ''}\n`);
    if (k.created_at) io.out(`Date      ${k.created_at}\n`);
    if (k.created_by) io.out(`Owner     ${k.created_by}\n`);
  }
  return 0;
});

const list = keyCommand(0, '', async ({ client, pos, json, io }) => {
  const names: string[] = [];
  let next = pos[0] ?? '*';
  for (;;) {
    const r = await client.request('GET', `/v1/key/list/${enc(next)}`);
    expectOk(r, 'failed to list keys');
    const body = r.json<{ names?: string[]; continue_at?: string }>();
    names.push(...(body.names ?? []));
    if (!body.continue_at) break;
    next = body.continue_at;
  }
  if (json) io.out(`${JSON.stringify(names)}\n`);
  else for (const n of names) io.out(`${n}\n`);
  return 0;
});

const remove = keyCommand(1, 'key name', async ({ client, pos }) => {
  for (const name of pos) {
    const r = await client.request('DELETE', `/v1/key/delete/${enc(name)}`);
    expectOk(r, `failed to remove key "${name}"`);
  }
  return 0;
});

const dek = keyCommand(1, 'key name', async ({ client, pos, json, io }) => {
  const body = pos[1] !== undefined ? { context: pos[1] } : {};
  const r = await client.request('POST', `/v1/key/generate/${enc(pos[0]!)}`, body);
  expectOk(r, `failed to generate data key with "${pos[0]}"`);
  const d = r.json<{ plaintext: string; ciphertext: string }>();
  if (json) io.out(`${JSON.stringify({ plaintext: d.plaintext, ciphertext: d.ciphertext })}\n`);
  else io.out(`plaintext:  ${d.plaintext}\nciphertext: ${d.ciphertext}\n`);
  return 0;
});

/**
 * `encrypt <name> <plaintext> [<ctx>]` and `decrypt <name> <ciphertext> [<ctx>]`: one field in
 * (`encode`d for the request), the other out.
 */
function cipherCommand(
  op: 'encrypt' | 'decrypt',
  input: 'plaintext' | 'ciphertext',
  output: 'plaintext' | 'ciphertext',
  encode: (text: string) => string,
) {
  return keyCommand(2, `key name and ${input}`, async ({ client, pos, json, io }) => {
    const body: Record<string, string> = { [input]: encode(pos[1]!) };
    if (pos[2] !== undefined) body.context = pos[2];
    const r = await client.request('POST', `/v1/key/${op}/${enc(pos[0]!)}`, body);
    expectOk(r, `failed to ${op} with "${pos[0]}"`);
    const value = r.json<Record<string, string>>()[output];
    if (json) io.out(`${JSON.stringify({ [output]: value })}\n`);
    else io.out(`${output}: ${value}\n`);
    return 0;
  });
}

const encrypt = cipherCommand('encrypt', 'plaintext', 'ciphertext', (text) =>
  Buffer.from(text, 'utf8').toString('base64'),
);
const decrypt = cipherCommand('decrypt', 'ciphertext', 'plaintext', (text) => text);

export const keyCommands: CommandTable<Io> = {
  create: {
    summary: 'Create new master keys.',
    usage: clientUsage(
      ['kes key create [options] <name>...', 'kes key create [options] <name> <base64-key>'],
      enclaveOption,
    ),
    run: create,
  },
  import: {
    summary: 'Import a 256-bit key.',
    usage: clientUsage(['kes key import [options] <name> <base64-key>'], enclaveOption),
    run: keyCommand(2, 'key name and base64 key', ({ client, pos }) => importKey(client, pos[0]!, pos[1]!)),
  },
  info: {
    summary: 'Describe a key.',
    aliases: ['describe'],
    usage: clientUsage(['kes key info [options] <name>'], enclaveOption),
    run: describe,
  },
  ls: {
    summary: 'List keys.',
    aliases: ['list'],
    usage: clientUsage(['kes key ls [options] [<prefix>*]'], enclaveOption),
    run: list,
  },
  rm: {
    summary: 'Delete keys.',
    aliases: ['delete'],
    usage: clientUsage(['kes key rm [options] <name>...'], enclaveOption),
    run: remove,
  },
  dek: {
    summary: 'Generate a data encryption key.',
    aliases: ['derive', 'generate'],
    usage: clientUsage(['kes key dek [options] <name> [<base64-context>]'], enclaveOption),
    run: dek,
  },
  encrypt: {
    summary: 'Encrypt a (small) plaintext.',
    usage: clientUsage(['kes key encrypt [options] <name> <plaintext> [<base64-context>]'], enclaveOption),
    run: encrypt,
  },
  decrypt: {
    summary: 'Decrypt a ciphertext.',
    usage: clientUsage(
      ['kes key decrypt [options] <name> <base64-ciphertext> [<base64-context>]'],
      enclaveOption,
    ),
    run: decrypt,
  },
};
