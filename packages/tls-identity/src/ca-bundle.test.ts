import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, readCaBundle, TlsIdentityError } from './index.js';

let dir: string;
let a: string;
let b: string;
let c: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-bundle-'));
  const ca = (name: string) => createCertificate({ subject: { commonName: name }, isCa: true });
  [a, b, c] = (await Promise.all([ca('A'), ca('B'), ca('C')])).map((m) => m.certPem) as [
    string,
    string,
    string,
  ];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cn = (pem: string): string => new X509Certificate(pem).subject;

function fails(path: string): TlsIdentityError {
  try {
    readCaBundle(path);
  } catch (err) {
    expect(err).toBeInstanceOf(TlsIdentityError);
    return err as TlsIdentityError;
  }
  throw new Error('expected a TlsIdentityError');
}

describe('readCaBundle', () => {
  it('reads every certificate of a bundle file, in order', () => {
    const file = join(dir, 'bundle.pem');
    writeFileSync(file, `${a}\n${b}`);
    const got = readCaBundle(file);
    expect(got.map(cn)).toEqual(['CN=A', 'CN=B']);
  });

  it('reads a folder: certificate files in name order, other files and subfolders skipped', () => {
    const folder = join(dir, 'cas');
    mkdirSync(join(folder, 'sub.pem'), { recursive: true });
    writeFileSync(join(folder, 'z.cert'), c);
    writeFileSync(join(folder, 'b.crt'), b);
    writeFileSync(join(folder, 'a.cer'), a);
    writeFileSync(join(folder, 'README'), 'not a certificate');
    writeFileSync(join(folder, 'ca.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(readCaBundle(folder).map(cn)).toEqual(['CN=A', 'CN=B', 'CN=C']);
  });

  it('names the file that holds no certificate', () => {
    const file = join(dir, 'empty.pem');
    writeFileSync(file, 'hello');
    const err = fails(file);
    expect(err.code).toBe('pem/no-certificate');
    expect(err.message).toContain(file);
  });

  it('fails on a missing path and on a folder without certificate files', () => {
    expect(fails(join(dir, 'missing.pem')).code).toBe('ca/io');
    const folder = join(dir, 'nothing');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'x');
    expect(fails(folder).code).toBe('ca/empty');
  });
});
