// keystore.vault.tls.ca is read once, when the keystore is made, by the shared CA-bundle reader: a
// CA path that trusts nothing fails at start-up, naming the path, not on the first request.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { VaultHttp } from './http.js';

const dir = mkdtempSync(join(tmpdir(), 'kes-vault-ca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a CA folder without certificates and a CA file that holds none', () => {
  const folder = join(dir, 'cas');
  mkdirSync(folder);
  writeFileSync(join(folder, 'notes.txt'), 'x');
  expect(() => new VaultHttp('https://127.0.0.1:8200', { ca: folder })).toThrow(/no CA certificate file/);
  const file = join(dir, 'ca.pem');
  writeFileSync(file, 'not a certificate');
  expect(() => new VaultHttp('https://127.0.0.1:8200', { ca: file })).toThrow(file);
});
