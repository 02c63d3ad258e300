// The `vault` CLI beyond the guide, against `vault server -dev`: dev banner and token helper,
// KV v2 through `kv put/get`, policy read/list/delete, token lookup/create, unseal prompt on
// stdin, -format=json, usage and API errors with Vault's exit codes; audit devices, key status and
// rotation; help on every command; the HTTP flags and variables against a TLS server (CA file, CA
// directory, server name, skip-verify, a client certificate).
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDevPki, type DevPki } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binDir,
  freePort,
  type Proc,
  plainVault,
  type Shell,
  shell,
  shOk,
  startVaultServer,
  tempDir,
} from './chain-support.js';

let dir: string;
let sh: Shell;
let server: Proc;
let rootToken: string;
let unsealKey: string;

beforeAll(async () => {
  dir = await tempDir('vault-cli-');
  const port = await freePort();
  server = await startVaultServer(dir, [
    '-dev',
    `-dev-listen-address=127.0.0.1:${port}`,
    '-dev-root-token-id=dev-root',
  ]);
  const out = server.out();
  await new Promise((r) => setTimeout(r, 300));
  const full = server.out();
  unsealKey = /^Unseal Key: (\S+)$/m.exec(full)![1]!;
  rootToken = /^Root Token: (\S+)$/m.exec(full)![1]!;
  expect(out).toContain('Storage: inmem');
  sh = shell(dir, { VAULT_ADDR: `http://127.0.0.1:${port}` });
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('vault CLI against -dev', { timeout: 120_000 }, () => {
  it('dev mode: banner, chosen root token, token helper file, secret/ is KV v2', () => {
    expect(server.out()).toContain('WARNING! dev mode is enabled!');
    // Dev mode does not lock memory, as Vault's: the platform supports it, it is not enabled.
    expect(server.out()).toMatch(/^ {10}Mlock: supported: true, enabled: false$/m);
    expect(rootToken).toBe('dev-root');
    const lookup = sh.run('vault token lookup -format=json');
    expect(lookup.status).toBe(0);
    expect(JSON.parse(lookup.stdout).data).toMatchObject({ id: 'dev-root', policies: ['root'] });
    const mounts = sh.run('vault secrets list');
    expect(mounts.stdout).toMatch(/^secret\/\s+kv\s+kv_[0-9a-f]{8}\s+key\/value secret storage$/m);
  });

  it('kv put/get on a v2 mount, with metadata and -field', () => {
    const put = sh.run('vault kv put secret/app user=alice pass=s3cr3t');
    expect(put.status).toBe(0);
    expect(
      put.stdout.startsWith(
        '= Secret Path =\nsecret/data/app\n\n======= Metadata =======\nKey                Value\n',
      ),
    ).toBe(true);
    expect(put.stdout).toMatch(/^version {12}1$/m);
    const get = sh.run('vault kv get secret/app');
    expect(get.stdout).toMatch(/=+ Data =+\nKey {5}Value\n--- {5}-----\npass {4}s3cr3t\nuser {4}alice\n$/);
    expect(sh.run('vault kv get -field=user secret/app').stdout).toBe('alice');
    expect(sh.run('vault kv list secret/').stdout).toBe('Keys\n----\napp\n');
    expect(sh.run('vault kv get secret/none').status).toBe(2);
  });

  it('policy write from stdin, read, list, delete', () => {
    const hcl = 'path "secret/data/app" {\n  capabilities = ["read"]\n}\n';
    expect(sh.run(`printf '%s' '${hcl}' | vault policy write app -`).stdout).toBe(
      'Success! Uploaded policy: app\n',
    );
    expect(sh.run('vault policy read app').stdout).toBe(hcl);
    expect(sh.run('vault policy list').stdout).toBe('app\ndefault\nroot\n');
    expect(sh.run('vault policy delete app').stdout).toBe('Success! Deleted policy: app\n');
  });

  it('token create with a policy; reads allowed and denied by it', () => {
    sh.run(
      `printf 'path "secret/data/app" {\\n  capabilities = ["read"]\\n}\\n' | vault policy write reader -`,
    );
    const created = sh.run('vault token create -policy=reader -format=json');
    const token = JSON.parse(created.stdout).auth.client_token;
    expect(sh.run('vault kv get -field=pass secret/app', { VAULT_TOKEN: token }).stdout).toBe('s3cr3t');
    const denied = sh.run('vault kv put secret/app x=y', { VAULT_TOKEN: token });
    expect(denied.status).toBe(2);
    expect(denied.stderr).toContain('Code: 403. Errors:');
  });

  it('login -method=approle stores the token in ~/.vault-token', () => {
    expect(sh.run('vault auth enable approle').status).toBe(0);
    expect(sh.run('vault write auth/approle/role/app token_policies=reader token_ttl=1h').status).toBe(0);
    const roleId = sh.run('vault read -field=role_id auth/approle/role/app/role-id').stdout;
    const secretId = sh.run('vault write -f -field=secret_id auth/approle/role/app/secret-id').stdout;
    const login = sh.run(`vault login -method=approle role_id=${roleId} secret_id=${secretId}`, {
      VAULT_TOKEN: '',
    });
    expect(login.status).toBe(0);
    expect(login.stdout).toMatch(/^Success! You are now authenticated\./);
    expect(login.stdout).toContain('token_policies          ["default" "reader"]\n');
    expect(login.stdout).toContain('token_duration          1h\n');
    const who = sh.run('vault token lookup -field=display_name', { VAULT_TOKEN: '' });
    expect(who.stdout).toBe('approle');
    expect(sh.run(`vault login -no-print ${rootToken}`, { VAULT_TOKEN: '' }).status).toBe(0);
  });

  it('seal, then unseal with the key read from stdin (prompt), status exit codes', () => {
    expect(sh.run('vault operator seal').stdout).toBe('Success! Vault is sealed.\n');
    expect(sh.run('vault status').status).toBe(2);
    const unseal = sh.run(`echo ${unsealKey} | vault operator unseal`);
    expect(unseal.status).toBe(0);
    expect(unseal.stdout.startsWith('Unseal Key (will be hidden): \n')).toBe(true);
    expect(unseal.stdout).toContain('Sealed          false');
    expect(sh.run('vault status').status).toBe(0);
  });

  it('VAULT_FORMAT=json and -format=json print the response JSON; init -status', () => {
    const r = sh.run('vault read secret/data/app', { VAULT_FORMAT: 'json' });
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'request_id',
      'lease_id',
      'lease_duration',
      'renewable',
      'data',
      'warnings',
      'mount_type',
    ]);
    expect(j.data.data).toEqual({ pass: 's3cr3t', user: 'alice' });
    expect(JSON.parse(sh.run('vault list -format=json secret/metadata').stdout)).toEqual(['app']);
    expect(sh.run('vault operator init -status')).toMatchObject({
      status: 0,
      stdout: 'Vault is initialized\n',
    });
    expect(sh.run('vault read -format=yamlish secret/data/app').status).toBe(1);
  });

  it('usage errors exit 1, missing data exit 1, unknown commands 127, no args 2', () => {
    expect(sh.run('vault write secret/x').status).toBe(1);
    expect(sh.run('vault write secret/x').stderr).toBe('Must supply data or use -force\n');
    expect(sh.run('vault read -bogus x').stderr).toBe('flag provided but not defined: -bogus\n');
    expect(sh.run('vault nosuch').status).toBe(127);
    expect(sh.run('vault').status).toBe(2);
  });

  it('reports an unreachable server as Go does', () => {
    const r = sh.run('vault status', { VAULT_ADDR: 'http://127.0.0.1:1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'Error checking seal status: Get "http://127.0.0.1:1/v1/sys/seal-status": dial tcp 127.0.0.1:1: connect: connection refused\n',
    );
  });
});

describe('vault server config errors', { timeout: 120_000 }, () => {
  it('refuses a bad config naming file and field, exit 1', async () => {
    const s = shell(dir, {});
    s.run(`cat > bad.json <<EOF
{"storage": {"file": {"path": "d"}}, "listener": {"tcp": {"address": "127.0.0.1:0", "tls_min_version": "tls99", "tls_disable": true}}}
EOF`);
    const r = s.run('vault server -config bad.json');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'Error loading configuration from bad.json: bad.json: listener.tcp.tls_min_version: expected one of tls10, tls11, tls12, tls13\n',
    );
  });
});

describe('vault audit, operator key-status and rotate, help', { timeout: 120_000 }, () => {
  it('audit enable, list (-detailed, json), disable as Vault prints them; the log holds no raw secret', async () => {
    const log = join(dir, 'audit', 'vault_audit.log');
    expect(sh.run(`vault audit enable file file_path=${log}`).stdout).toBe(
      'Success! Enabled the file audit device at: file/\n',
    );
    const second = sh.run(
      `vault audit enable -path=plain -description=clear-accessors file file_path=${log}.2 hmac_accessor=false`,
    );
    expect(second.stdout).toBe('Success! Enabled the file audit device at: plain/\n');
    expect(sh.run('vault audit list').stdout).toBe(
      'Path      Type    Description\n----      ----    -----------\nfile/     file    n/a\nplain/    file    clear-accessors\n',
    );
    const detailed = sh.run('vault audit list -detailed').stdout;
    expect(detailed).toMatch(/^Path {6}Type {4}Description {8}Replication {4}Options$/m);
    expect(detailed).toContain(`file/     file    n/a                replicated     file_path=${log}\n`);
    expect(detailed).toContain(
      `plain/    file    clear-accessors    replicated     file_path=${log}.2 hmac_accessor=false\n`,
    );
    expect(JSON.parse(sh.run('vault audit list -format=json').stdout)['file/']).toEqual({
      type: 'file',
      description: '',
      options: { file_path: log },
      local: false,
      path: 'file/',
    });
    // Traffic with secrets in it: a KV write and read, a new token.
    expect(sh.run('vault kv put secret/audited password=correct-horse-battery').status).toBe(0);
    expect(sh.run('vault kv get -field=password secret/audited').stdout).toBe('correct-horse-battery');
    const token = JSON.parse(sh.run('vault token create -format=json').stdout).auth.client_token as string;
    const hash = sh.run('vault write -field=hash sys/audit-hash/file input=correct-horse-battery').stdout;
    expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const text = await readFile(log, 'utf8');
    expect(text).toContain(hash);
    for (const raw of [rootToken, token, 'correct-horse-battery']) expect(text.includes(raw)).toBe(false);
    expect(sh.run('vault audit disable file').stdout).toBe(
      'Success! Disabled audit device (if it was enabled) at: file/\n',
    );
    expect(sh.run('vault audit disable plain/').status).toBe(0);
    expect(sh.run('vault audit list')).toMatchObject({
      status: 2,
      stdout: 'No audit devices are enabled.\n',
    });
    const prefixed = sh.run(`vault audit enable -path=pre file file_path=${log}.3 prefix=x`);
    expect(prefixed.status).toBe(2);
    expect(prefixed.stderr).toContain('* audit log prefixing is not allowed');
    const denied = sh.run(`vault audit enable -path=bad file file_path=${log}.3 mode=9`);
    expect(denied.status).toBe(2);
    expect(denied.stderr).toContain('Error enabling audit device: Error making API request.');
    expect(denied.stderr).toContain('* strconv.ParseUint: parsing "9": invalid syntax');
  });

  it('file_path=stdout writes the entries into the server output; -local shows as local', async () => {
    const enable = sh.run('vault audit enable -local -path=out file file_path=stdout');
    expect(enable.stdout).toBe('Success! Enabled the file audit device at: out/\n');
    expect(sh.run('vault audit list -detailed').stdout).toMatch(
      /^out\/ +file +n\/a +local +file_path=stdout$/m,
    );
    expect(sh.run('vault kv get -field=password secret/audited').stdout).toBe('correct-horse-battery');
    await new Promise((r) => setTimeout(r, 200));
    const lines = server
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{"time"') && l.includes('"path":"secret/data/audited"'));
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['request', 'response']);
    expect(server.out()).not.toContain('correct-horse-battery');
    expect(sh.run('vault audit disable out').status).toBe(0);
  });

  it('SIGHUP reopens a file device: a rotated log is followed by a new file at its path', async () => {
    const log = join(dir, 'rotated', 'audit.log');
    expect(sh.run(`vault audit enable -path=rot file file_path=${log}`).status).toBe(0);
    await rename(log, `${log}.1`);
    server.child.kill('SIGHUP');
    await server.waitFor(/==> Vault reload triggered/);
    expect(sh.run('vault read -format=json sys/mounts').status).toBe(0);
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.request.path)).toEqual(['sys/mounts', 'sys/mounts']);
    expect(sh.run('vault audit disable rot').status).toBe(0);
  });

  it('operator key-status and rotate: the term moves up by one', () => {
    const before = sh.run('vault operator key-status');
    expect(before.status).toBe(0);
    const rows =
      /^Key Term {12}(\d+)\nInstall Time {8}\d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC\nEncryption Count {4}\d+\n$/.exec(
        before.stdout,
      );
    expect(rows).not.toBeNull();
    const term = Number(rows![1]);
    const rotated = sh.run('vault operator rotate');
    expect(rotated.stdout).toMatch(new RegExp(`^Success! Rotated key\\n\\nKey Term {12}${term + 1}\\n`));
    expect(JSON.parse(sh.run('vault operator key-status -format=json').stdout)).toMatchObject({
      term: term + 1,
    });
  });

  it('-h and --help on every command and subcommand print help and exit 0; version and --version', () => {
    for (const line of [
      '',
      'audit',
      'audit enable',
      'audit list',
      'audit disable',
      'operator',
      'operator key-status',
      'operator rotate',
      'kv put',
      'read',
      'server',
      'token lookup',
    ]) {
      for (const flag of ['-h', '--help']) {
        const r = sh.run(`vault ${line} ${flag}`);
        expect(r.status, `vault ${line} ${flag}`).toBe(0);
        expect(r.stderr).toMatch(/^Usage: vault /);
      }
    }
    expect(sh.run('vault audit enable -h').stderr).toContain('HTTP Options:\n\n  -address=<string>\n');
    for (const v of ['version', '--version', '-version'])
      expect(sh.run(`vault ${v}`).stdout).toMatch(/^Vault v\d+\.\d+\.\d+/);
  });

  it('-address wins over VAULT_ADDR', () => {
    const r = sh.run(`vault status -address=${sh.env['VAULT_ADDR']}`, { VAULT_ADDR: 'http://127.0.0.1:1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Sealed          false');
  });
});

describe('HTTP flags and variables against a TLS server', { timeout: 120_000 }, () => {
  let tlsDir: string;
  let pki: DevPki;
  let tlsServer: Proc;
  let tsh: Shell;
  let port: number;

  beforeAll(async () => {
    tlsDir = await tempDir('vault-cli-tls-');
    pki = await createDevPki(join(tlsDir, 'pki'), { clients: ['cli'] });
    await mkdir(join(tlsDir, 'cas'));
    await writeFile(join(tlsDir, 'cas', 'ca.pem'), pki.ca.certPem);
    port = await freePort();
    await writeFile(
      join(tlsDir, 'vault.hcl'),
      `storage "file" { path = "data" }
listener "tcp" {
  address       = "127.0.0.1:${port}"
  tls_cert_file = "${pki.server.certPath}"
  tls_key_file  = "${pki.server.keyPath}"
}
disable_mlock = true
`,
    );
    tlsServer = await startVaultServer(tlsDir, ['-config', 'vault.hcl']);
    tsh = shell(tlsDir, { VAULT_ADDR: `https://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await tlsServer?.stop();
    if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
  });

  // An uninitialised server: `vault status` reaches it and exits 2 (sealed); 1 when TLS failed.
  it.each([
    ['', {}, 1],
    [`-ca-cert=${'CA'}`, {}, 2],
    ['', { VAULT_CACERT: 'CA' }, 2],
    ['-ca-path=CAS', {}, 2],
    ['', { VAULT_CAPATH: 'CAS' }, 2],
    ['-tls-skip-verify', {}, 2],
    ['', { VAULT_SKIP_VERIFY: 'true' }, 2],
    ['-ca-cert=CA -tls-server-name=localhost', {}, 2],
    ['-ca-cert=CA -tls-server-name=elsewhere.example', {}, 1],
    ['-ca-cert=CA', { VAULT_TLS_SERVER_NAME: 'elsewhere.example' }, 1],
  ] as Array<[string, Record<string, string>, number]>)(
    'vault status %s %j → exit %d',
    (flags, env, code) => {
      const fill = (v: string) => v.replace('CAS', join(tlsDir, 'cas')).replace('CA', pki.ca.certPath);
      const r = tsh.run(
        `vault status ${fill(flags)}`,
        Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)])),
      );
      expect(r.status, r.stderr).toBe(code);
      if (code === 2) expect(r.stdout).toMatch(/^Initialized +false$/m);
      else
        expect(r.stderr).toMatch(
          /^Error checking seal status: Get "https:\/\/127\.0\.0\.1:\d+\/v1\/sys\/seal-status": tls: /,
        );
    },
  );

  it('-client-cert/-client-key (and VAULT_CLIENT_CERT/VAULT_CLIENT_KEY) present the certificate', async () => {
    // A server that demands a client certificate from our CA and says whose it got.
    const seen: string[] = [];
    const server = https.createServer(
      {
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        ca: pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        seen.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN));
        res.setHeader('content-type', 'application/json');
        res.end(
          req.url?.startsWith('/v1/sys/leader')
            ? '{"ha_enabled":false}'
            : '{"type":"shamir","initialized":true,"sealed":false,"t":1,"n":1,"version":"1.15.2"}',
        );
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const run = async (args: string[], env: Record<string, string>) => {
      try {
        const { stdout } = await promisify(execFile)(join(binDir, 'vault'), ['status', ...args], {
          env: { ...process.env, VAULT_ADDR: addr, VAULT_CACERT: pki.ca.certPath, ...env },
        });
        return { code: 0, stdout };
      } catch (e) {
        return { code: (e as { code: number }).code, stdout: '' };
      }
    };
    const cli = pki.clients['cli']!;
    try {
      expect((await run([`-client-cert=${cli.certPath}`, `-client-key=${cli.keyPath}`], {})).code).toBe(0);
      expect((await run([], { VAULT_CLIENT_CERT: cli.certPath, VAULT_CLIENT_KEY: cli.keyPath })).code).toBe(
        0,
      );
      expect((await run([], {})).code).toBe(1);
      expect(seen.filter((cn) => cn === 'cli').length).toBeGreaterThanOrEqual(2);
    } finally {
      server.close();
    }
  });
});

describe('an audit device across a restart of the built server', { timeout: 120_000 }, () => {
  it('is listed again and writes again after unseal; neither its path nor its salt is in storage', async () => {
    const vault = await plainVault('vault-cli-audit-');
    try {
      await vault.start();
      const { unsealKey, root } = await vault.init();
      const vsh = shell(vault.dir, { VAULT_ADDR: `http://127.0.0.1:${vault.port}`, VAULT_TOKEN: root });
      const log = join(vault.dir, 'logs', 'audit.log');
      expect(vsh.run(`vault audit enable file file_path=${log}`).status).toBe(0);
      const hash = vsh.run('vault write -field=hash sys/audit-hash/file input=x').stdout;
      await vault.server!.stop();
      await vault.start();
      expect(vsh.run(`vault operator unseal ${unsealKey}`).status).toBe(0);
      expect(vsh.run('vault audit list').stdout).toMatch(/^file\/ +file +n\/a$/m);
      const lines = (await readFile(log, 'utf8')).trim().split('\n').length;
      expect(vsh.run('vault write -field=hash sys/audit-hash/file input=x').stdout).toBe(hash);
      expect((await readFile(log, 'utf8')).trim().split('\n').length).toBe(lines + 2);
      const stored = shOk(vault.dir, `grep -rl -e logs/audit.log -e '"file_path"' data || true`);
      expect(stored).toBe('');
      // The same grep does find what is stored there: the barrier's JSON envelopes.
      expect(shOk(vault.dir, 'grep -rl \'"Value"\' data | wc -l').trim()).not.toBe('0');
    } finally {
      await vault.dispose();
    }
  });
});
