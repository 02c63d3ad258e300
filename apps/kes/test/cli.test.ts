// The `kes` command line, in process: the guide's section 4 steps and the client commands
// (docs/kes-protocol.md#client-commands).
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityOf } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MLOCK_WARNING, serverCommand } from '../src/cli/server.js';
import { main } from '../src/cli.js';
import { type CapturedIo, captureIo as io } from './helpers/io.js';

let dir: string;
let serverIo: CapturedIo;
/** The guide's 4.1 `kes tool identity new MinIO` writing into the test dir. */
const identityNewMinio = (): string[] => [
  'tool',
  'identity',
  'new',
  'MinIO',
  `--key=${join(dir, 'minio.key')}`,
  `--cert=${join(dir, 'minio.cert')}`,
];
let stop: AbortController;
let serverDone: Promise<number>;
let endpoint: string;
let minioId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kes-cli-'));
  // 4.1: an identity for MinIO
  const made = io({}, true);
  expect(await main([...identityNewMinio(), '--time=8760h'], made)).toBe(0);
  const of = io({}, true);
  expect(await main(['tool', 'identity', 'of', join(dir, 'minio.cert')], of)).toBe(0);
  minioId = of.stdout.replace('Identity: ', '').trim();
  // the KES server's own certificate (the guide uses openssl; any EC P-256 cert does)
  const tls = await import('@kms-chain/tls-identity');
  const server = await tls.createCertificate({ subject: { commonName: 'localhost' }, serverAuth: true });
  await writeFile(join(dir, 'kes-tls.key'), server.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'kes-tls.crt'), server.certPem);
  // 4.2: the guide's TOML (table headers restored), with an fs keystore in place of Vault here
  await writeFile(
    join(dir, 'kes-config.toml'),
    `address = "127.0.0.1:0"
[tls]
key  = "${join(dir, 'kes-tls.key')}"
cert = "${join(dir, 'kes-tls.crt')}"
[policy.minio]
paths = [ "/v1/key/create/minio-*", "/v1/key/generate/minio-*", "/v1/key/decrypt/minio-*", "/v1/key/list/*", "/v1/key/delete/minio-*", "/v1/key/encrypt/minio-*", "/v1/key/import/minio-*", "/v1/status", "/v1/key/describe/minio-*" ]
identities = [ "${minioId}" ]
[cache.expiry]
all    = "5m"
unused = "20s"
[keystore.fs]
path = "${join(dir, 'keys')}"
`,
  );
  serverIo = io();
  stop = new AbortController();
  serverDone = serverCommand(
    [`--config=${join(dir, 'kes-config.toml')}`, '--mlock', '--root=disabled', '--mtls-auth=ignore'],
    serverIo,
    stop.signal,
  );
  await vi.waitFor(() => {
    if (!/Endpoint/.test(serverIo.stdout)) throw new Error(`server not up: ${serverIo.stderr}`);
  }, 20_000);
  endpoint = /Endpoint\s+https:\/\/(\S+)/.exec(serverIo.stdout)![1]!;
});

afterAll(async () => {
  stop?.abort();
  await serverDone;
});

const minioEnv = (): NodeJS.ProcessEnv => ({
  KES_SERVER: `https://${endpoint}`,
  KES_CLIENT_TLS_KEY_FILE: join(dir, 'minio.key'),
  KES_CLIENT_TLS_CERT_FILE: join(dir, 'minio.cert'),
});

describe('guide section 4', () => {
  it('tool identity new writes a 0600 key and a cert whose identity `of` prints', async () => {
    expect((await stat(join(dir, 'minio.key'))).mode & 0o777).toBe(0o600);
    expect(minioId).toBe(identityOf(await readFile(join(dir, 'minio.cert'))));
    expect(minioId).toMatch(/^[0-9a-f]{64}$/);
    const piped = io();
    expect(await main(['identity', 'of', join(dir, 'minio.cert')], piped)).toBe(0);
    expect(piped.stdout).toBe(`${minioId}\n`);
    expect(piped.stderr).toBe('');
  });

  it('identity of a CA certificate prints it and warns that the server refuses it as a client', async () => {
    const tls = await import('@kms-chain/tls-identity');
    const ca = await tls.createCertificate({ subject: { commonName: 'a CA' }, isCa: true });
    await writeFile(join(dir, 'some-ca.crt'), ca.certPem);
    const piped = io();
    expect(await main(['tool', 'identity', 'of', join(dir, 'some-ca.crt')], piped)).toBe(0);
    expect(piped.stdout).toBe(`${ca.identity}\n`);
    expect(piped.stderr).toMatch(
      /^Warning: '.*some-ca\.crt' is a CA certificate .* does not accept it as a client certificate\n$/,
    );
  });

  it('refuses to overwrite identity files without --force', async () => {
    const c = io();
    expect(await main(identityNewMinio(), c)).toBe(1);
    expect(c.stderr).toMatch(/^Error: failed to create identity: .* already exists/);
  });

  it('kes server prints the documented --mlock warning and its banner', () => {
    expect(serverIo.stderr).toContain(MLOCK_WARNING);
    expect(serverIo.stdout).toMatch(/Admin\s+_ \[ disabled \]/);
    expect(serverIo.stdout).toMatch(/KMS\s+Filesystem/);
  });

  it('kes key create minio-key-1 -k succeeds as MinIO and prints nothing', async () => {
    const c = io(minioEnv());
    expect(await main(['key', 'create', 'minio-key-1', '-k'], c)).toBe(0);
    expect(c.stdout + c.stderr).toBe('');
    expect(await readFile(join(dir, 'keys', 'minio-key-1'), 'utf8')).toContain('"bytes"');
  });

  it('kes key create my-key-1 -k fails with the policy error and exit 1', async () => {
    const c = io(minioEnv());
    expect(await main(['key', 'create', 'my-key-1', '-k'], c)).toBe(1);
    expect(c.stderr).toBe('Error: failed to create key "my-key-1": prohibited by policy\n');
  });

  it('without -k the self-signed server certificate is rejected', async () => {
    const c = io(minioEnv());
    expect(await main(['key', 'create', 'minio-key-2'], c)).toBe(1);
    expect(c.stderr).toMatch(/^Error: .*(self-signed|certificate)/i);
  });
});

describe('client commands', () => {
  it('dek, decrypt, encrypt in TTY and piped form', async () => {
    const piped = io(minioEnv());
    expect(await main(['key', 'dek', 'minio-key-1', '-k'], piped)).toBe(0);
    const dek = JSON.parse(piped.stdout);
    expect(Buffer.from(dek.plaintext, 'base64')).toHaveLength(32);
    const dec = io(minioEnv());
    expect(await main(['key', 'decrypt', 'minio-key-1', dek.ciphertext, '-k'], dec)).toBe(0);
    expect(JSON.parse(dec.stdout)).toEqual({ plaintext: dek.plaintext });
    const tty = io(minioEnv(), true);
    expect(await main(['key', 'dek', 'minio-key-1', '-k'], tty)).toBe(0);
    expect(tty.stdout).toMatch(/^plaintext: {2}\S+\nciphertext: \S+\n$/);
    const enc = io(minioEnv(), true);
    expect(await main(['key', 'encrypt', 'minio-key-1', 'hello', '-k'], enc)).toBe(0);
    expect(enc.stdout).toMatch(/^ciphertext: \S+\n$/);
    const bad = io(minioEnv());
    expect(
      await main(['key', 'decrypt', 'minio-key-1', Buffer.alloc(80).toString('base64'), '-k'], bad),
    ).toBe(1);
    expect(bad.stderr).toBe(
      'Error: failed to decrypt with "minio-key-1": decryption failed: ciphertext is not authentic\n',
    );
  });

  it('import, ls, info, rm', async () => {
    expect(
      await main(
        ['key', 'import', 'minio-imported', Buffer.alloc(32, 1).toString('base64'), '-k'],
        io(minioEnv()),
      ),
    ).toBe(0);
    const ls = io(minioEnv());
    expect(await main(['key', 'ls', '-k'], ls)).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual(['minio-imported', 'minio-key-1']);
    const info = io(minioEnv());
    expect(await main(['key', 'info', 'minio-imported', '-k'], info)).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ name: 'minio-imported', algorithm: 'AES256' });
    expect(await main(['key', 'rm', 'minio-imported', '-k'], io(minioEnv()))).toBe(0);
    const gone = io(minioEnv());
    expect(await main(['key', 'info', 'minio-imported', '-k'], gone)).toBe(1);
    expect(gone.stderr).toBe('Error: failed to describe key "minio-imported": key does not exist\n');
  });

  it('E3 `key create <name> <base64>` imports', async () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    expect(await main(['key', 'create', 'minio-e3', key, '-k'], io(minioEnv()))).toBe(0);
    const enc = io(minioEnv());
    expect(await main(['key', 'dek', 'minio-e3', '-k'], enc)).toBe(0);
  });

  it('status', async () => {
    const c = io(minioEnv());
    expect(await main(['status', '-k'], c)).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ os: 'linux' });
  });

  it('KES_CLIENT_KEY/KES_CLIENT_CERT (later spelling) work too', async () => {
    const env = {
      KES_SERVER: endpoint,
      KES_CLIENT_KEY: join(dir, 'minio.key'),
      KES_CLIENT_CERT: join(dir, 'minio.cert'),
    };
    expect(await main(['key', 'create', 'minio-key-3', '-k'], io(env))).toBe(0);
  });

  it('unreadable credentials → exit 1 with the file named', async () => {
    const c = io({
      KES_SERVER: endpoint,
      KES_CLIENT_KEY: join(dir, 'nope.key'),
      KES_CLIENT_CERT: join(dir, 'minio.cert'),
    });
    expect(await main(['key', 'ls', '-k'], c)).toBe(1);
    expect(c.stderr).toContain('nope.key');
  });
});

describe('usage', () => {
  it.each([
    [[], 2, 'Usage'],
    [['frobnicate'], 1, `Error: "frobnicate" is not a kes command. See 'kes --help'\n`],
    [['server'], 1, 'no config file specified'],
    [['server', '--bogus'], 1, "Error: unknown flag: --bogus. See 'kes server --help'\n"],
    [['key'], 2, 'Usage'],
    [['key', 'create'], 1, "Error: missing key name. See 'kes key create --help'\n"],
    [['tool', 'identity', 'of'], 1, "Error: no certificate specified. See 'kes tool identity of --help'\n"],
    [['-h'], 0, 'kes [options] <command>'],
    [['help'], 0, 'kes [options] <command>'],
    [['key', 'bogus'], 1, `Error: "bogus" is not a key command. See 'kes key --help'\n`],
    [['key', 'create', '--help'], 0, 'kes key create [options] <name>...'],
    [['key', 'ls', '-k=maybe'], 1, 'Error: invalid boolean value "maybe" for -k: parse error.'],
    [['status', '--bogus'], 1, "Error: unknown flag: --bogus. See 'kes status --help'\n"],
    [['status', '-x'], 1, "Error: unknown shorthand flag: 'x' in -x. See 'kes status --help'\n"],
    [['server', '-h'], 0, '--mtls-auth verify|ignore'],
    [['server', '--config'], 1, "Error: flag needs an argument: --config. See 'kes server --help'\n"],
    [['policy', 'info'], 1, 'Error: missing policy name.'],
    [['policy', 'nope'], 1, `Error: "nope" is not a policy command. See 'kes policy --help'\n`],
    [
      ['tool', 'identity', 'ls'],
      1,
      `Error: "ls" is not an identity command. See 'kes tool identity --help'\n`,
    ],
  ])('%j → exit %d', async (args, code, text) => {
    const c = io();
    expect(await main(args as string[], c)).toBe(code);
    expect(c.stderr).toContain(text);
  });

  it('a missing argument is a usage error before any credential is read', async () => {
    const c = io({ KES_CLIENT_KEY: join(dir, 'nope.key'), KES_CLIENT_CERT: join(dir, 'nope.cert') });
    expect(await main(['key', 'encrypt', 'minio-key-1', '-k'], c)).toBe(1);
    expect(c.stderr).toBe("Error: missing key name and plaintext. See 'kes key encrypt --help'\n");
  });

  it.each([['--config=FILE'], ['-config=FILE'], ['--config', 'FILE'], ['-config', 'FILE']])(
    'server %j with a broken config names the file and field',
    async (...form) => {
      const file = join(dir, 'broken.toml');
      await writeFile(file, '[cache.expiry]\nall = "soon"\n');
      const c = io();
      expect(await main(['server', ...form.map((a) => a.replace('FILE', file))], c)).toBe(1);
      expect(c.stderr).toBe('Error: broken.toml: cache.expiry.all: expected a duration like "5m"\n');
    },
  );
});
