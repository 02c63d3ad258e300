import { X509Certificate } from 'node:crypto';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { checkServerIdentity as nodeCheckServerIdentity } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scratch, scratch } from '../test/openssl.js';
import { close, get, listen } from '../test/tls.js';
import {
  type ClientAuth,
  type CreatedCertificate,
  checkServerIdentity,
  clientTlsOptions,
  createCertificate,
  createClientAgent,
  createDevPki,
  type DevPki,
  enforceClientAuth,
  identifyPeer,
  identityOf,
  isLoopbackHost,
  mtlsServerOptions,
  peerIdentity,
  TlsIdentityError,
} from './index.js';

let s: Scratch;
let pki: DevPki;
/** A self-signed Ed25519 clientAuth certificate, as `kes tool identity new MinIO` makes. */
let selfSigned: CreatedCertificate;
/** The guide's KES certificate: openssl, EC P-256, CN=localhost, no subjectAltName, CA:TRUE. */
let guide: { certPem: string; keyPem: string };
/**
 * openssl-made Ed25519 certificates for the chain spoof: a victim client certificate (CA:FALSE, no
 * keyUsage, as openssl writes by default) and the attacker's own CA:TRUE certificate whose subject
 * copies the victim's, so that Node links the victim's certificate as the attacker's issuer.
 */
let victim: { certPem: string; keyPem: string };
let attackerCa: { certPem: string; keyPem: string };

beforeAll(async () => {
  s = scratch();
  pki = await createDevPki(s.path('pki'), { clients: ['minio', 'other'] });
  selfSigned = await createCertificate({
    subject: { commonName: 'MinIO' },
    keyType: 'ed25519',
    clientAuth: true,
  });
  s.sh('openssl ecparam -genkey -name prime256v1 2>/dev/null | openssl ec -out kes-tls.key 2>/dev/null');
  s.sh(
    'openssl req -new -x509 -days 365 -key kes-tls.key -out kes-tls.crt -subj "/C=US/ST=state/L=location/O=organization/CN=localhost"',
  );
  guide = { certPem: s.read('kes-tls.crt'), keyPem: s.read('kes-tls.key') };
  const ed25519 = (name: string, ca: boolean) => {
    s.sh(
      `printf '[req]\\ndistinguished_name = dn\\n[dn]\\n[ext]\\nbasicConstraints = critical, CA:${ca ? 'TRUE' : 'FALSE'}\\n' > ${name}.cnf`,
    );
    s.sh(
      `openssl req -x509 -newkey ed25519 -nodes -days 2 -subj /CN=victim -config ${name}.cnf -extensions ext -keyout ${name}.key -out ${name}.crt 2>/dev/null`,
    );
    return { certPem: s.read(`${name}.crt`), keyPem: s.read(`${name}.key`) };
  };
  victim = ed25519('victim', false);
  attackerCa = ed25519('attacker-ca', true);
});
afterAll(() => s.remove());

/** An HTTPS server answering `{identity, authorized}` for each request; counts TLS connections. */
async function identityServer(
  clientAuth: ClientAuth,
  {
    enforce = true,
    cert = pki.server as { certPem: string; keyPem: string },
    ca = pki.ca.certPem as string | undefined,
  } = {},
) {
  const opts = mtlsServerOptions({ cert: cert.certPem, key: cert.keyPem, ca, clientAuth });
  const srv = https.createServer(opts, (req, res) => {
    const sock = req.socket as tls.TLSSocket;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ identity: peerIdentity(sock) ?? null, authorized: sock.authorized }));
  });
  if (enforce) enforceClientAuth(srv, clientAuth);
  const connections = { count: 0 };
  srv.on('secureConnection', () => {
    connections.count++;
  });
  const port = await listen(srv);
  return { srv, port, connections };
}

type ClientKind = 'ca-signed' | 'self-signed' | 'no-cert' | 'ca-only' | 'spoof' | 'leaf+victim';

function clientCert(kind: ClientKind): { cert?: string; key?: string } {
  switch (kind) {
    case 'ca-signed':
      // The leaf and its CA: the CA certificate in the chain is skipped for the identity.
      return { cert: pki.clients['minio']!.certPem + pki.ca.certPem, key: pki.clients['minio']!.keyPem };
    case 'self-signed':
      return { cert: selfSigned.certPem, key: selfSigned.keyPem };
    case 'ca-only':
      return { cert: guide.certPem, key: guide.keyPem };
    case 'no-cert':
      return {};
    case 'spoof':
      // The attacker's own CA certificate and key, then the victim's public certificate.
      return { cert: attackerCa.certPem + victim.certPem, key: attackerCa.keyPem };
    case 'leaf+victim':
      return { cert: selfSigned.certPem + victim.certPem + attackerCa.certPem, key: selfSigned.keyPem };
  }
}

describe('mtlsServerOptions + enforceClientAuth: real handshakes', () => {
  const minio = () => pki.clients['minio']!.identity;
  // [mode, client, expected identity (null = connected without one), authorized] or 'rejected'.
  const table: [ClientAuth, ClientKind, (() => string | null) | 'rejected', boolean?][] = [
    ['verify', 'ca-signed', minio, true],
    ['verify', 'self-signed', 'rejected'],
    ['verify', 'no-cert', 'rejected'],
    ['ignore', 'ca-signed', minio, true],
    ['ignore', 'self-signed', () => selfSigned.identity, false],
    ['ignore', 'no-cert', 'rejected'],
    ['ignore', 'ca-only', () => null, false],
    ['ignore', 'spoof', () => null, false],
    ['ignore', 'leaf+victim', () => selfSigned.identity, false],
    ['request', 'ca-signed', minio, true],
    ['request', 'self-signed', () => selfSigned.identity, false],
    ['request', 'no-cert', () => null, false],
    ['request', 'spoof', () => null, false],
    ['none', 'ca-signed', () => null, false],
  ];
  const versions = ['TLSv1.2', 'TLSv1.3'] as const;

  it.each(
    versions.flatMap((v) =>
      table.map(([mode, client, want, authorized]) => [v, mode, client, want, authorized] as const),
    ),
  )('%s %s mode, %s client', async (maxVersion, mode, client, want, authorized) => {
    const { srv, port } = await identityServer(mode);
    try {
      const out = await get(port, { ca: pki.ca.certPem, ...clientCert(client), maxVersion, agent: false });
      if (want === 'rejected') {
        expect(out.ok).toBe(false);
      } else {
        expect(out).toMatchObject({ ok: true, status: 200 });
        expect(JSON.parse((out as { body: string }).body)).toEqual({ identity: want(), authorized });
      }
    } finally {
      await close(srv);
    }
  });

  it("documents Node's gap: without enforceClientAuth, `ignore` admits a client with no certificate", async () => {
    const { srv, port } = await identityServer('ignore', { enforce: false });
    try {
      const out = await get(port, { ca: pki.ca.certPem, agent: false });
      expect(out).toMatchObject({ ok: true, status: 200 });
      expect(JSON.parse((out as { body: string }).body)).toEqual({ identity: null, authorized: false });
    } finally {
      await close(srv);
    }
  });

  it('enforceClientAuth also guards an HTTP/2 secure server (KES offers h2)', async () => {
    const opts = mtlsServerOptions({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      clientAuth: 'ignore',
    });
    const srv = http2.createSecureServer({ ...opts, allowHTTP1: false }, (req, res) => {
      res.end(peerIdentity(req.socket as unknown as tls.TLSSocket) ?? 'none');
    });
    enforceClientAuth(srv, 'ignore');
    const port = await listen(srv);
    // Resolves the response body, or "rejected" when the stream closed without a response.
    const h2get = (extra: http2.SecureClientSessionOptions) =>
      new Promise<string>((resolve) => {
        const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca.certPem, ...extra });
        session.on('error', () => resolve('rejected'));
        const req = session.request({ ':path': '/' });
        let body = '';
        let answered = false;
        req.setEncoding('utf8');
        req.on('response', () => {
          answered = true;
        });
        req.on('data', (c: string) => {
          body += c;
        });
        req.on('error', () => resolve('rejected'));
        req.on('close', () => {
          session.close();
          resolve(answered ? body : 'rejected');
        });
        req.end();
      });
    try {
      expect(await h2get({ cert: selfSigned.certPem, key: selfSigned.keyPem })).toBe(selfSigned.identity);
      expect(await h2get({})).toBe('rejected');
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('serves the guide set-up: openssl CN-only KES cert, `--mtls-auth=ignore`, self-signed MinIO identity', async () => {
    // MINIO_KMS_KES_ENDPOINT=https://localhost:7373, MINIO_KMS_KES_CAPATH=kes-tls.crt
    const { srv, port } = await identityServer('ignore', { cert: guide, ca: undefined });
    try {
      const agent = createClientAgent({
        cert: selfSigned.certPem,
        key: selfSigned.keyPem,
        ca: guide.certPem,
      });
      const viaLocalhost = await get(port, { agent, servername: 'localhost' });
      const viaIp = await get(port, { agent });
      agent.destroy();
      for (const out of [viaLocalhost, viaIp]) {
        expect(out).toMatchObject({ ok: true, status: 200 });
        expect(JSON.parse((out as { body: string }).body).identity).toBe(selfSigned.identity);
      }
    } finally {
      await close(srv);
    }
  });

  it('requires TLS 1.2 at least, and honours TLSv1.3 as minimum', async () => {
    expect(
      mtlsServerOptions({ cert: pki.server.certPem, key: pki.server.keyPem, clientAuth: 'none' }).minVersion,
    ).toBe('TLSv1.2');
    const opts = mtlsServerOptions({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      clientAuth: 'none',
      minVersion: 'TLSv1.3',
    });
    const srv = https.createServer(opts, (_q, r) => r.end('ok'));
    const port = await listen(srv);
    try {
      expect((await get(port, { ca: pki.ca.certPem, maxVersion: 'TLSv1.2', agent: false })).ok).toBe(false);
      expect(await get(port, { ca: pki.ca.certPem, maxVersion: 'TLSv1.3', agent: false })).toMatchObject({
        ok: true,
      });
    } finally {
      await close(srv);
    }
  });

  it('checks its inputs with typed errors', () => {
    const base = { cert: pki.server.certPem, key: pki.server.keyPem };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(TlsIdentityError);
        return (err as TlsIdentityError).code;
      }
      return 'no error';
    };
    expect(code(() => mtlsServerOptions({ ...base, clientAuth: 'on' as ClientAuth }))).toBe(
      'options/invalid',
    );
    expect(
      code(() => mtlsServerOptions({ ...base, clientAuth: 'none', minVersion: 'TLSv1.1' as 'TLSv1.2' })),
    ).toBe('options/invalid');
    expect(code(() => mtlsServerOptions({ ...base, key: pki.ca.keyPem, clientAuth: 'none' }))).toBe(
      'key/mismatch',
    );
    expect(code(() => mtlsServerOptions({ ...base, ca: 'nope', clientAuth: 'verify' }))).toBe(
      'pem/no-certificate',
    );
    expect(code(() => clientTlsOptions({ cert: pki.server.certPem }))).toBe('options/invalid');
    expect(code(() => clientTlsOptions({ cert: pki.server.certPem, key: selfSigned.keyPem }))).toBe(
      'key/mismatch',
    );
    const built = mtlsServerOptions({ ...base, ca: pki.ca.certPem, clientAuth: 'verify' });
    expect(built).toMatchObject({ requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(built.ca).toHaveLength(1);
    expect(mtlsServerOptions({ ...base, clientAuth: 'ignore' })).toMatchObject({
      requestCert: true,
      rejectUnauthorized: false,
    });
    expect(mtlsServerOptions({ ...base, clientAuth: 'none' })).toMatchObject({
      requestCert: false,
      rejectUnauthorized: false,
    });
  });
});

describe('identifyPeer / peerIdentity', () => {
  /** A stand-in socket whose handshake leaf is `leaf` (undefined = the peer sent no certificate). */
  function fakeSocket(leaf: string | undefined): tls.TLSSocket {
    const cert = leaf === undefined ? undefined : new X509Certificate(leaf);
    return { getPeerX509Certificate: () => cert } as unknown as tls.TLSSocket;
  }

  it('is the identity of the leaf; a CA leaf or no certificate names no one', () => {
    const minio = pki.clients['minio']!;
    expect(identifyPeer(fakeSocket(minio.certPem))).toBe(minio.identity);
    expect(() => identifyPeer(fakeSocket(pki.ca.certPem))).toThrow(
      expect.objectContaining({
        code: 'mtls/ca-client-certificate',
        message: 'tls: client certificate is required',
      }),
    );
    expect(() => identifyPeer(fakeSocket(undefined))).toThrow(
      expect.objectContaining({
        code: 'mtls/no-client-certificate',
        message: 'tls: client certificate is required',
      }),
    );
    expect(peerIdentity(fakeSocket(pki.ca.certPem))).toBeUndefined();
    expect(peerIdentity(fakeSocket(undefined))).toBeUndefined();
    expect(peerIdentity(fakeSocket(selfSigned.certPem))).toBe(identityOf(selfSigned.certPem));
  });

  it("the spoof's premise: Node files the victim's certificate as the attacker's issuer", async () => {
    // Without this link a chain walk would never reach the victim and the spoof rows above would
    // prove nothing.
    const opts = mtlsServerOptions({
      cert: pki.server.certPem,
      key: pki.server.keyPem,
      clientAuth: 'ignore',
    });
    const srv = https.createServer(opts, (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate(true);
      res.end(peer.issuerCertificate?.raw ? identityOf(peer.issuerCertificate.raw) : 'none');
    });
    const port = await listen(srv);
    try {
      const out = await get(port, { ca: pki.ca.certPem, ...clientCert('spoof'), agent: false });
      expect(out).toMatchObject({ ok: true, body: identityOf(victim.certPem) });
    } finally {
      await close(srv);
    }
  });
});

describe('checkServerIdentity', () => {
  const cert = (cn: string | undefined, san?: string) =>
    ({ subject: cn === undefined ? {} : { CN: cn }, subjectaltname: san }) as unknown as tls.PeerCertificate;

  it("Node accepts the guide's CN-only cert for localhost but not for 127.0.0.1; ours accepts both", async () => {
    const srv = https.createServer({ cert: guide.certPem, key: guide.keyPem }, (_q, r) => r.end('ok'));
    const port = await listen(srv);
    try {
      const base = { ca: guide.certPem, agent: false } as const;
      expect(
        await get(port, { ...base, servername: 'localhost', checkServerIdentity: nodeCheckServerIdentity }),
      ).toMatchObject({ ok: true });
      expect(await get(port, { ...base, checkServerIdentity: nodeCheckServerIdentity })).toEqual({
        ok: false,
        error: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      expect(await get(port, { ...base, checkServerIdentity })).toMatchObject({ ok: true, status: 200 });
      // The chain is still verified: a different trust anchor fails whatever the name check says.
      expect(await get(port, { ca: pki.ca.certPem, agent: false, checkServerIdentity })).toMatchObject({
        ok: false,
      });
      // A non-loopback name is still checked.
      expect(await get(port, { ...base, servername: 'kes.example.com', checkServerIdentity })).toEqual({
        ok: false,
        error: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await close(srv);
    }
  });

  it.each([
    ['127.0.0.1', cert('localhost'), true],
    ['127.0.0.2', cert('localhost'), true],
    ['::1', cert('localhost'), true],
    ['[::1]', cert('localhost'), true],
    ['localhost', cert('localhost'), true],
    ['LOCALHOST.', cert('localhost'), true],
    ['localhost', cert('x', 'IP Address:127.0.0.1'), true],
    ['127.0.0.1', cert('x', 'DNS:localhost'), true],
    ['kes.example.com', cert('kes.example.com'), true],
    ['a.example.com', cert('x', 'DNS:*.example.com'), true],
    ['10.0.0.1', cert('localhost'), false],
    ['example.com', cert('localhost'), false],
    ['127.0.0.1', cert('example.com'), false],
    ['127.0.0.1', cert('x', 'DNS:example.com'), false],
    ['localhost', cert('localhost', 'DNS:example.com'), false],
    ['localhost', cert(undefined), false],
  ])('%s vs %o → accepted %s', (host, c, ok) => {
    expect(checkServerIdentity(host, c) === undefined).toBe(ok);
  });

  it('knows the loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.255.0.9', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(h)).toBe(true);
    }
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'localhost.example.com', '128.0.0.1', '']) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});

describe('createClientAgent', () => {
  it('keeps one connection alive across requests, on one shared secure context', async () => {
    const { srv, port, connections } = await identityServer('verify');
    const minio = pki.clients['minio']!;
    const agent = createClientAgent({ cert: minio.certPem, key: minio.keyPem, ca: pki.ca.certPem });
    try {
      const ctx = (agent.options as { secureContext?: tls.SecureContext }).secureContext;
      expect(ctx).toBeDefined();
      for (let i = 0; i < 5; i++) {
        const out = await get(port, { agent });
        expect(JSON.parse((out as { body: string }).body)).toEqual({
          identity: minio.identity,
          authorized: true,
        });
      }
      expect(connections.count).toBe(1);
      expect((agent.options as { secureContext?: tls.SecureContext }).secureContext).toBe(ctx);
    } finally {
      agent.destroy();
      await close(srv);
    }
  });

  it('bounds parallel connections with maxSockets', async () => {
    const { srv, port, connections } = await identityServer('ignore');
    const agent = createClientAgent({
      cert: selfSigned.certPem,
      key: selfSigned.keyPem,
      ca: pki.ca.certPem,
      maxSockets: 2,
    });
    try {
      const outs = await Promise.all(Array.from({ length: 6 }, () => get(port, { agent })));
      for (const out of outs)
        expect(JSON.parse((out as { body: string }).body).identity).toBe(selfSigned.identity);
      expect(connections.count).toBeLessThanOrEqual(2);
    } finally {
      agent.destroy();
      await close(srv);
    }
  });

  it('loads an encrypted client key with its password', async () => {
    const { srv, port } = await identityServer('verify');
    const enc = await createCertificate({
      subject: { commonName: 'enc' },
      issuer: { cert: pki.ca.certPem, key: pki.ca.keyPem },
      clientAuth: true,
      encryptKeyWith: 'pw',
    });
    const agent = createClientAgent({
      cert: enc.certPem,
      key: enc.keyPem,
      password: 'pw',
      ca: pki.ca.certPem,
    });
    try {
      const out = await get(port, { agent });
      expect(JSON.parse((out as { body: string }).body).identity).toBe(enc.identity);
    } finally {
      agent.destroy();
      await close(srv);
    }
  });

  it('verifies the server by default; rejectUnauthorized:false is `kes -k`', async () => {
    const { srv, port } = await identityServer('ignore', { cert: guide, ca: undefined });
    const strict = createClientAgent({ cert: selfSigned.certPem, key: selfSigned.keyPem });
    const insecure = createClientAgent({
      cert: selfSigned.certPem,
      key: selfSigned.keyPem,
      rejectUnauthorized: false,
    });
    try {
      expect(await get(port, { agent: strict })).toMatchObject({ ok: false });
      expect(await get(port, { agent: insecure })).toMatchObject({ ok: true, status: 200 });
    } finally {
      strict.destroy();
      insecure.destroy();
      await close(srv);
    }
  });
});
