// Adversarial tests of the built `kes` bin over loopback mTLS: who a client is, and what it may do.
// Two servers: the MinIO KMS guide's mode (TOML, `--mtls-auth=ignore`, any client certificate) and
// `verify` (YAML, `tls.auth: on`, client certificates must chain to a CA). Certificates come from
// openssl (the guide's tool; its client certificates carry no keyUsage) and the dev PKI helpers.
//
// The identity is the key the client proved: only the leaf certificate — the one whose private key
// signed the TLS handshake — names the client; every other certificate it sends is ignored, and a
// leaf flagged CA:TRUE is refused (docs/security.md).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { join } from 'node:path';
import { createDevPki, type DevPki, identityOf } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binDir, freePort, killAll, type Proc, shOk, startProc, tempDir } from './chain-support.js';

interface Pem {
  cert: string;
  key: string;
}

interface Reply {
  status: number;
  json: Record<string, unknown> | undefined;
  text: string;
}

let dir: string;
let pki: DevPki;
/** openssl client certificates: Ed25519, self-signed, CA:FALSE, no keyUsage (the victim's is in a policy). */
let victim: Pem;
let stranger: Pem;
/** The attacker's own key in a CA:TRUE certificate whose subject copies the victim's. */
let attackerCa: Pem;
/** The attacker's own key in a CA:FALSE certificate whose issuer names the victim. */
let attackerLeaf: Pem;
/** A plain self-signed CA certificate, used as a client certificate. */
let someCa: Pem;
const ports = { ignore: 0, verify: 0 };
let kesIgnore: Proc;
let kesVerify: Proc;

/** Writes an openssl config with one extension section `ext` and makes a self-signed Ed25519 cert. */
function opensslCert(name: string, subject: string, ext: string): Promise<Pem> {
  const cnf = join(dir, `${name}.cnf`);
  return writeFile(cnf, `[req]\ndistinguished_name = dn\n[dn]\n[ext]\n${ext}\n`).then(async () => {
    shOk(
      dir,
      `openssl req -x509 -newkey ed25519 -nodes -days 2 -subj '${subject}' -config ${name}.cnf ` +
        `-extensions ext -keyout ${name}.key -out ${name}.crt 2>&1`,
    );
    return {
      cert: await readFile(join(dir, `${name}.crt`), 'utf8'),
      key: await readFile(join(dir, `${name}.key`), 'utf8'),
    };
  });
}

/** One request over a fresh TLS connection presenting `client` (cert may be a chain). */
function call(
  port: number,
  method: string,
  path: string,
  client: Partial<Pem>,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca: pki.ca.certPem,
        servername: 'localhost',
        agent: false,
        ...(client.cert ? { cert: client.cert, key: client.key } : {}),
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
        // The log streams never end on their own: a 200 there is enough to know.
        if (res.statusCode === 200 && path.startsWith('/v1/log/')) {
          resolve({ status: 200, json: undefined, text: '' });
          res.destroy();
        }
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end(payload);
  });
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  dir = await tempDir('kes-security-');
  pki = await createDevPki(join(dir, 'pki'), { clients: ['minio', 'other'] });
  victim = await opensslCert('victim', '/CN=minio-victim', 'basicConstraints = critical, CA:FALSE');
  stranger = await opensslCert('stranger', '/CN=stranger', 'basicConstraints = critical, CA:FALSE');
  // Self-signed, so its issuer is also the victim's subject: a chain builder that links by names
  // (Node's `issuerCertificate`) files the victim's certificate as this one's issuer.
  attackerCa = await opensslCert('attacker-ca', '/CN=minio-victim', 'basicConstraints = critical, CA:TRUE');
  someCa = await opensslCert('some-ca', '/CN=some CA', 'basicConstraints = critical, CA:TRUE');
  // A CA:FALSE leaf with the victim as its issuer name, signed by the attacker's own key.
  const leafKey = join(dir, 'attacker-leaf.key');
  await writeFile(join(dir, 'leaf.cnf'), '[ext]\nbasicConstraints = critical, CA:FALSE\n');
  shOk(
    dir,
    `openssl genpkey -algorithm ed25519 -out attacker-leaf.key && ` +
      `openssl req -new -key attacker-leaf.key -subj '/CN=attacker' -out attacker-leaf.csr && ` +
      `openssl x509 -req -in attacker-leaf.csr -days 2 -CA attacker-ca.crt -CAkey attacker-ca.key ` +
      `-set_serial 7 -extfile leaf.cnf -extensions ext -out attacker-leaf.crt 2>&1`,
  );
  attackerLeaf = {
    cert: await readFile(join(dir, 'attacker-leaf.crt'), 'utf8'),
    key: await readFile(leafKey, 'utf8'),
  };

  const victimId = identityOf(victim.cert);
  const minioId = pki.clients['minio']!.identity;
  ports.ignore = await freePort();
  await writeFile(
    join(dir, 'kes-ignore.toml'),
    [
      `address = "127.0.0.1:${ports.ignore}"`,
      `root = "disabled"`,
      `[tls]`,
      `key = "${pki.server.keyPath}"`,
      `cert = "${pki.server.certPath}"`,
      `[policy.minio]`,
      `paths = [ "/v1/key/create/minio-*", "/v1/key/generate/minio-*", "/v1/key/decrypt/minio-*", "/v1/log/*" ]`,
      `deny = [ "/v1/log/audit" ]`,
      `identities = [ "${victimId}" ]`,
      `[keystore.fs]`,
      `path = "${join(dir, 'keys-ignore')}"`,
      '',
    ].join('\n'),
  );
  ports.verify = await freePort();
  await writeFile(
    join(dir, 'kes-verify.yaml'),
    [
      'version: v1',
      `address: 127.0.0.1:${ports.verify}`,
      'admin:',
      '  identity: disabled',
      'tls:',
      `  key: ${pki.server.keyPath}`,
      `  cert: ${pki.server.certPath}`,
      `  ca: ${pki.ca.certPath}`,
      '  auth: on',
      'policy:',
      '  minio:',
      '    allow: [ "/v1/key/create/minio-*", "/v1/key/generate/minio-*", "/v1/key/decrypt/minio-*" ]',
      `    identities: [ "${minioId}" ]`,
      'keystore:',
      '  fs:',
      `    path: ${join(dir, 'keys-verify')}`,
      '',
    ].join('\n'),
  );
  const kes = join(binDir, 'kes');
  kesIgnore = startProc(
    kes,
    ['server', '--config=kes-ignore.toml', '--mtls-auth=ignore', '--root=disabled'],
    {
      cwd: dir,
    },
  );
  kesVerify = startProc(kes, ['server', '--config=kes-verify.yaml'], { cwd: dir });
  await Promise.all([
    kesIgnore.waitFor(/Endpoint\s+https:/, 30_000),
    kesVerify.waitFor(/Endpoint\s+https:/, 30_000),
  ]);
});

afterAll(async () => {
  await killAll();
});

describe('kes --mtls-auth=ignore (the guide): the identity is the key the client proved', () => {
  let sealed = '';
  let dek = '';

  it('the legitimate identity creates, generates and decrypts with its keys', async () => {
    expect((await call(ports.ignore, 'POST', '/v1/key/create/minio-k1', victim)).status).toBe(200);
    const gen = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', victim, { context: b64('{}') });
    expect(gen.status).toBe(200);
    sealed = gen.json!['ciphertext'] as string;
    dek = gen.json!['plaintext'] as string;
    const dec = await call(ports.ignore, 'POST', '/v1/key/decrypt/minio-k1', victim, {
      ciphertext: sealed,
      context: b64('{}'),
    });
    expect(dec).toMatchObject({ status: 200, json: { plaintext: dek } });
  });

  it("chain spoof: the attacker's own CA-flagged certificate + the victim's public certificate is refused", async () => {
    const spoof = { cert: attackerCa.cert + victim.cert, key: attackerCa.key };
    const gen = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', spoof, { context: b64('{}') });
    expect(gen).toMatchObject({ status: 400, json: { message: 'tls: client certificate is required' } });
    const dec = await call(ports.ignore, 'POST', '/v1/key/decrypt/minio-k1', spoof, {
      ciphertext: sealed,
      context: b64('{}'),
    });
    expect(dec.status).toBe(400);
    expect(dec.text).not.toContain(dek);
    const self = await call(ports.ignore, 'GET', '/v1/identity/self/describe', spoof);
    expect(self).toMatchObject({ status: 400, json: { message: 'tls: client certificate is required' } });
  });

  it("chain spoof with a CA:FALSE leaf: the client is its leaf, not the victim's certificate it appended", async () => {
    const spoof = { cert: attackerLeaf.cert + victim.cert + attackerCa.cert, key: attackerLeaf.key };
    const self = await call(ports.ignore, 'GET', '/v1/identity/self/describe', spoof);
    expect(self).toMatchObject({ status: 200, json: { identity: identityOf(attackerLeaf.cert) } });
    const dec = await call(ports.ignore, 'POST', '/v1/key/decrypt/minio-k1', spoof, {
      ciphertext: sealed,
      context: b64('{}'),
    });
    expect(dec).toMatchObject({ status: 403, json: { message: 'prohibited by policy' } });
  });

  it('a CA-flagged leaf is refused', async () => {
    const r = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', someCa, { context: b64('{}') });
    expect(r).toMatchObject({ status: 400, json: { message: 'tls: client certificate is required' } });
  });

  it('a client without a certificate is refused', async () => {
    const r = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', {}, { context: b64('{}') });
    expect(r).toMatchObject({ status: 400, json: { message: 'tls: client certificate is required' } });
  });

  it('an identity in no policy is refused', async () => {
    const r = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', stranger, { context: b64('{}') });
    expect(r).toMatchObject({ status: 403, json: { message: 'prohibited by policy' } });
  });

  it("what the victim's policy does not allow is refused, and the key survives", async () => {
    const del = await call(ports.ignore, 'DELETE', '/v1/key/delete/minio-k1', victim);
    expect(del).toMatchObject({ status: 403, json: { message: 'prohibited by policy' } });
    const other = await call(ports.ignore, 'POST', '/v1/key/create/other-k1', victim);
    expect(other).toMatchObject({ status: 403, json: { message: 'prohibited by policy' } });
    const gen = await call(ports.ignore, 'POST', '/v1/key/generate/minio-k1', victim, { context: b64('{}') });
    expect(gen.status).toBe(200);
  });

  it('a key path cannot climb out of the allowed prefix', async () => {
    for (const path of [
      '/v1/key/generate/minio-..%2Fother-k1',
      '/v1/key/generate/minio-k1/../../create/other-k1',
      '/v1/key/generate/minio-%2e%2e',
      '/v1/key/generate//minio-k1',
    ]) {
      const r = await call(ports.ignore, 'POST', path, victim, { context: b64('{}') });
      // Refused by the policy (a glob `*` stops at `/`) or by the key-name rule, never served.
      expect(r.status, path).toBeOneOf([400, 403]);
      expect(r.json?.['message'], path).toMatch(
        /^(prohibited by policy|key name '.*' is empty, too long or contains invalid characters)$/,
      );
    }
    expect(await readdir(join(dir, 'keys-ignore'))).toEqual(['minio-k1']);
  });

  it('a denied exact path stays denied with a fragment or suffix the router ignores', async () => {
    expect((await call(ports.ignore, 'GET', '/v1/log/error', victim)).status).toBe(200);
    expect(await call(ports.ignore, 'GET', '/v1/log/audit', victim)).toMatchObject({
      status: 403,
      json: { message: 'prohibited by policy' },
    });
    // The router ends a path at `#`; the policy must not see `/v1/log/audit#x` while the audit
    // stream is served.
    expect(await call(ports.ignore, 'GET', '/v1/log/audit#x', victim)).toMatchObject({
      status: 404,
      text: '404 page not found\n',
    });
    expect((await call(ports.ignore, 'GET', '/v1/log/audit?x=1#y', victim)).status).toBe(403);
  });
});

describe('kes tls.auth: on (verify): the chain is checked and the identity is still the leaf', () => {
  const minio = (): Pem => ({ cert: pki.clients['minio']!.certPem, key: pki.clients['minio']!.keyPem });

  it('the CA-issued identity in the policy works', async () => {
    expect((await call(ports.verify, 'POST', '/v1/key/create/minio-v1', minio())).status).toBe(200);
    const gen = await call(ports.verify, 'POST', '/v1/key/generate/minio-v1', minio(), {
      context: b64('{}'),
    });
    expect(gen.status).toBe(200);
  });

  it("another CA-issued client that appends minio's certificate is itself, and not authorized", async () => {
    const other = pki.clients['other']!;
    const spoof = { cert: other.certPem + pki.clients['minio']!.certPem, key: other.keyPem };
    const r = await call(ports.verify, 'POST', '/v1/key/generate/minio-v1', spoof, { context: b64('{}') });
    expect(r).toMatchObject({ status: 403, json: { message: 'not authorized: insufficient permissions' } });
  });

  it('a self-signed spoof chain and a client without a certificate fail the handshake', async () => {
    const spoof = { cert: attackerCa.cert + victim.cert, key: attackerCa.key };
    await expect(call(ports.verify, 'POST', '/v1/key/generate/minio-v1', spoof, {})).rejects.toThrow();
    await expect(call(ports.verify, 'POST', '/v1/key/generate/minio-v1', {}, {})).rejects.toThrow();
  });
});
