// KES API keys (`kes:v1:…`): creation, identity, and use as client credentials against `--dev`.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { identityOf } from '@kms-chain/tls-identity';
import { describe, expect, it, vi } from 'vitest';
import { apiKeyCertificate, apiKeyIdentity, apiKeyPrivateKey, newApiKey } from '../src/cli/api-key.js';
import { serverCommand } from '../src/cli/server.js';
import { main } from '../src/cli.js';
import { captureIo as capture } from './helpers/io.js';

describe('API keys', () => {
  it('are kes:v1: + base64(0x00 ‖ 32-byte Ed25519 seed)', () => {
    const key = newApiKey();
    expect(key).toMatch(/^kes:v1:[A-Za-z0-9+/]{44}$/);
    const raw = Buffer.from(key.slice(7), 'base64');
    expect(raw).toHaveLength(33);
    expect(raw[0]).toBe(0);
    expect(apiKeyPrivateKey(key).asymmetricKeyType).toBe('ed25519');
  });

  it('a certificate made from a key has the key identity (SHA-256 of the Ed25519 SPKI)', async () => {
    const key = newApiKey();
    const cert = await apiKeyCertificate(key);
    expect(identityOf(cert.certPem)).toBe(apiKeyIdentity(key));
    const x = new X509Certificate(cert.certPem);
    expect(x.subject).toBe(`CN=${cert.identity}`);
    expect(x.publicKey.equals(createPublicKey(apiKeyPrivateKey(key)))).toBe(true);
  });

  it.each(['kes:v2:AAAA', 'kes:v1:AAAA', `kes:v1:${Buffer.alloc(33, 1).toString('base64')}`])(
    'rejects %j',
    (key) => {
      expect(() => apiKeyPrivateKey(key)).toThrow(/invalid API key/);
    },
  );

  it('`kes identity new` prints a key; `kes identity of` gives its identity', async () => {
    const made = capture();
    expect(await main(['identity', 'new'], made)).toBe(0);
    const { api_key, identity } = JSON.parse(made.stdout);
    const of = capture();
    expect(await main(['identity', 'of', api_key], of)).toBe(0);
    expect(of.stdout).toBe(`${identity}\n`);
    const tty = capture({}, true);
    expect(await main(['identity', 'new'], tty)).toBe(0);
    expect(tty.stdout).toMatch(
      /Your API key:\n\n {3}kes:v1:\S+\n[\s\S]*Your Identity:\n\n {3}[0-9a-f]{64}\n$/,
    );
  });

  it('`kes server --dev` prints an admin API key that works as KES_API_KEY', async () => {
    const io = capture();
    const stop = new AbortController();
    const done = serverCommand(['--dev', '--addr=127.0.0.1:0'], io, stop.signal);
    try {
      await vi.waitFor(() => expect(io.stdout).toMatch(/Endpoint\s+https:\/\/\S+/), { timeout: 20_000 });
      const server = /Endpoint\s+(https:\/\/\S+)/.exec(io.stdout)![1]!;
      const apiKey = /Admin API key:\s+(\S+)/.exec(io.stderr)![1]!;
      expect(io.stdout).toContain(apiKeyIdentity(apiKey));
      expect(
        await main(['key', 'create', 'dev-key', '-k'], capture({ KES_SERVER: server, KES_API_KEY: apiKey })),
      ).toBe(0);
      const ls = capture({ KES_SERVER: server, KES_API_KEY: apiKey });
      expect(await main(['key', 'ls', '-k'], ls)).toBe(0);
      expect(JSON.parse(ls.stdout)).toEqual(['dev-key']);
      const self = capture({ KES_SERVER: server, KES_API_KEY: apiKey });
      expect(await main(['identity', 'info', '-k'], self)).toBe(0);
      expect(JSON.parse(self.stdout)).toMatchObject({ identity: apiKeyIdentity(apiKey), admin: true });
      const ids = capture({ KES_SERVER: server, KES_API_KEY: apiKey });
      expect(await main(['identity', 'ls', '-k'], ids)).toBe(0);
      expect(JSON.parse(ids.stdout)).toEqual([apiKeyIdentity(apiKey)]);
      const pols = capture({ KES_SERVER: server, KES_API_KEY: apiKey });
      expect(await main(['policy', 'ls', '-k'], pols)).toBe(0);
      expect(JSON.parse(pols.stdout)).toEqual([]);
      const nopol = capture({ KES_SERVER: server, KES_API_KEY: apiKey });
      expect(await main(['policy', 'info', 'nope', '-k'], nopol)).toBe(1);
      expect(nopol.stderr).toBe('Error: failed to describe policy "nope": policy does not exist\n');
      const stranger = capture({ KES_SERVER: server, KES_API_KEY: newApiKey() });
      expect(await main(['key', 'create', 'x', '-k'], stranger)).toBe(1);
      expect(stranger.stderr).toBe(
        'Error: failed to create key "x": not authorized: insufficient permissions\n',
      );
      const both = capture({
        KES_SERVER: server,
        KES_API_KEY: apiKey,
        KES_CLIENT_KEY: 'a.key',
        KES_CLIENT_CERT: 'a.crt',
      });
      expect(await main(['key', 'ls', '-k'], both)).toBe(1);
      expect(both.stderr).toBe('Error: an API key and a client key/certificate are mutually exclusive\n');
    } finally {
      stop.abort();
      await done;
    }
  });
});
