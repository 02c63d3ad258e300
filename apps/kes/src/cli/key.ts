// `kes key …`: create, import, info, ls, rm, dek, encrypt, decrypt (+ E1 spellings delete/derive/list).
import { CliError, parse, UsageError } from './args.js';
import { expectOk, KesClient } from './client.js';
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
`;

const options = {
  insecure: { type: 'boolean', short: 'k' },
  server: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  enclave: { type: 'string', short: 'e' },
  help: { type: 'boolean', short: 'h' },
} as const;

const enc = encodeURIComponent;

export async function keyCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.err(keyUsage);
    return 2;
  }
  const { values, positionals: pos } = parse(rest, options);
  if (values.help) {
    io.err(keyUsage);
    return 2;
  }
  const client = await KesClient.create({ server: values.server, insecure: values.insecure, env: io.env });
  const need = (n: number, what: string): void => {
    if (pos.length < n) throw new UsageError(`missing ${what}`);
  };
  switch (sub) {
    case 'create': {
      need(1, 'key name');
      // E3: `kes key create <name> <base64>` imports; a 32-byte key in base64 ends in '=', which no
      // key name can contain, so the two forms cannot be confused.
      if (pos.length === 2 && /^[A-Za-z0-9+/]{43}=$/.test(pos[1]!))
        return importKey(client, pos[0]!, pos[1]!);
      for (const name of pos) {
        const r = await client.request('POST', `/v1/key/create/${enc(name)}`);
        expectOk(r, `failed to create key "${name}"`);
      }
      return 0;
    }
    case 'import':
      need(2, 'key name and base64 key');
      return importKey(client, pos[0]!, pos[1]!);
    case 'info':
    case 'describe': {
      need(1, 'key name');
      const r = await client.request('GET', `/v1/key/describe/${enc(pos[0]!)}`);
      expectOk(r, `failed to describe key "${pos[0]}"`);
      const k = r.json<{ name: string; algorithm?: string; created_at?: string; created_by?: string }>();
      if (values.json || !io.isTTY) io.out(`${JSON.stringify(k)}\n`);
      else {
        io.out(`Name      ${k.name}\n`);
        io.out(`Algorithm ${k.algorithm ?? ''}\n`);
        if (k.created_at) io.out(`Date      ${k.created_at}\n`);
        if (k.created_by) io.out(`Owner     ${k.created_by}\n`);
      }
      return 0;
    }
    case 'ls':
    case 'list': {
      const prefix = pos[0] ?? '*';
      const names: string[] = [];
      let next = prefix;
      for (;;) {
        const r = await client.request('GET', `/v1/key/list/${enc(next)}`);
        expectOk(r, 'failed to list keys');
        const body = r.json<{ names?: string[]; continue_at?: string }>();
        names.push(...(body.names ?? []));
        if (!body.continue_at) break;
        next = body.continue_at;
      }
      if (values.json || !io.isTTY) io.out(`${JSON.stringify(names)}\n`);
      else for (const n of names) io.out(`${n}\n`);
      return 0;
    }
    case 'rm':
    case 'delete': {
      need(1, 'key name');
      for (const name of pos) {
        const r = await client.request('DELETE', `/v1/key/delete/${enc(name)}`);
        expectOk(r, `failed to remove key "${name}"`);
      }
      return 0;
    }
    case 'dek':
    case 'derive':
    case 'generate': {
      need(1, 'key name');
      const body = pos[1] !== undefined ? { context: pos[1] } : {};
      const r = await client.request('POST', `/v1/key/generate/${enc(pos[0]!)}`, body);
      expectOk(r, `failed to generate data key with "${pos[0]}"`);
      const d = r.json<{ plaintext: string; ciphertext: string }>();
      if (values.json || !io.isTTY)
        io.out(`${JSON.stringify({ plaintext: d.plaintext, ciphertext: d.ciphertext })}\n`);
      else io.out(`plaintext:  ${d.plaintext}\nciphertext: ${d.ciphertext}\n`);
      return 0;
    }
    case 'encrypt': {
      need(2, 'key name and plaintext');
      const body: Record<string, string> = { plaintext: Buffer.from(pos[1]!, 'utf8').toString('base64') };
      if (pos[2] !== undefined) body.context = pos[2];
      const r = await client.request('POST', `/v1/key/encrypt/${enc(pos[0]!)}`, body);
      expectOk(r, `failed to encrypt with "${pos[0]}"`);
      const d = r.json<{ ciphertext: string }>();
      if (values.json || !io.isTTY) io.out(`${JSON.stringify({ ciphertext: d.ciphertext })}\n`);
      else io.out(`ciphertext: ${d.ciphertext}\n`);
      return 0;
    }
    case 'decrypt': {
      need(2, 'key name and ciphertext');
      const body: Record<string, string> = { ciphertext: pos[1]! };
      if (pos[2] !== undefined) body.context = pos[2];
      const r = await client.request('POST', `/v1/key/decrypt/${enc(pos[0]!)}`, body);
      expectOk(r, `failed to decrypt with "${pos[0]}"`);
      const d = r.json<{ plaintext: string }>();
      if (values.json || !io.isTTY) io.out(`${JSON.stringify({ plaintext: d.plaintext })}\n`);
      else io.out(`plaintext: ${d.plaintext}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command 'key ${sub}'`);
  }
}

async function importKey(client: KesClient, name: string, b64: string): Promise<number> {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 32)
    throw new CliError(`failed to import key "${name}": key must be 32 bytes (base64)`);
  const r = await client.request('POST', `/v1/key/import/${encodeURIComponent(name)}`, {
    key: b64,
    cipher: 'AES256',
  });
  expectOk(r, `failed to import key "${name}"`);
  return 0;
}
