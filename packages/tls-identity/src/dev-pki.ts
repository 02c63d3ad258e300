// A development PKI on disk for tests and `npm start`: one CA, one server certificate for the
// loopback names, and named client certificates, all reused on later runs while still valid.
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@kms-chain/durable-fs';
import { type CreatedCertificate, createCertificate, type KeyType } from './create.js';
import { TlsIdentityError } from './errors.js';
import { identityOf, isCaCertificate } from './identity.js';
import { loadKeyPair } from './load.js';

/** Options of {@link createDevPki}. */
export interface DevPkiOptions {
  /**
   * Names of client certificates to make (CA-signed, clientAuth, CN = name), written as
   * `<name>.crt`/`<name>.key`. Names: 1–63 of `[A-Za-z0-9_-]`, not `ca` or `server`. Default
   * `['minio']` (the identity MinIO presents to KES).
   */
  clients?: string[];
  /** Key type of every generated key; default `ec-p256` (what the guide uses). */
  keyType?: KeyType;
  /** DNS SANs of the server certificate; default `['localhost']`. */
  serverDns?: string[];
  /** IP SANs of the server certificate; default `['127.0.0.1', '::1']`. */
  serverIp?: string[];
  /** Validity of new leaf certificates in days; default 365 (the CA gets ten times that). */
  validityDays?: number;
  /**
   * A certificate expiring within this many days is made anew; default 7, capped at half of
   * `validityDays` so that short-lived certificates are not remade on every call.
   */
  renewWithinDays?: number;
}

/** Paths and contents of one certificate and key of the dev PKI. */
export interface DevPkiEntry {
  /** Absolute path of the certificate PEM file. */
  certPath: string;
  /** Absolute path of the private key PEM file (unencrypted PKCS#8 or as found). */
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** KES identity of the certificate. */
  identity: string;
}

/** What {@link createDevPki} returns: where everything is. */
export interface DevPki {
  /** Absolute path of the PKI directory. */
  dir: string;
  /** The CA (`ca.crt`, `ca.key`); hand `ca.certPath` to every verifying peer. */
  ca: DevPkiEntry;
  /** The server certificate (`server.crt`, `server.key`): serverAuth + clientAuth, SANs per options. */
  server: DevPkiEntry;
  /** Client certificates by name. */
  clients: Record<string, DevPkiEntry>;
}

const CLIENT_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const DAY = 86_400_000;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

function ioError(what: string, cause: unknown): TlsIdentityError {
  return new TlsIdentityError('pki/io', `dev PKI: ${what}`, { cause });
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`cannot read ${path}`, err);
  }
}

/**
 * Writes a file with mode 0600 atomically and durably (temp file, fdatasync, rename, directory
 * fsync), so readers never see half and a PKI that was reported made survives a power loss.
 */
async function writePrivate(path: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(path, data, { mode: 0o600 });
  } catch (err) {
    throw ioError(`cannot write ${path}`, err);
  }
}

/** Serialises PKI creation between processes with an exclusive lock directory. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock, { mode: 0o700 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot lock ${dir}`, err);
      const since = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > LOCK_STALE_MS) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw ioError(`timed out waiting for the lock ${lock}`, err);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

interface Loaded {
  certPem: string;
  keyPem: string;
}

/** Reads an existing cert/key pair, or undefined when missing, unreadable as a pair, or expiring. */
async function loadExisting(
  certPath: string,
  keyPath: string,
  renewBefore: number,
): Promise<Loaded | undefined> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const { certificates } = loadKeyPair({ cert: certPem, key: keyPem });
    const leaf = certificates[0]!;
    if (Date.parse(leaf.validTo) < renewBefore || Date.parse(leaf.validFrom) > Date.now() + 60_000)
      return undefined;
    return { certPem, keyPem };
  } catch {
    return undefined; // unreadable, encrypted or mismatched: make a new pair
  }
}

/**
 * Creates (or reuses) a development PKI in `dir`: `ca.crt`/`ca.key` (a CA), `server.crt`/`server.key`
 * (CA-signed, CN=localhost, SANs localhost, 127.0.0.1, ::1 by default, serverAuth + clientAuth) and
 * `<name>.crt`/`<name>.key` per client (CA-signed, clientAuth, non-CA so KES takes its identity).
 *
 * Idempotent: existing files are reused when the pair loads, the key matches, the certificate is
 * valid for at least `renewWithinDays` more days and (for leaves) was issued by the current CA and
 * carries the requested SANs; anything else is made anew (a new CA re-issues every leaf). The
 * directory is created with mode 0700 (and set to 0700 if it existed); every file is written 0600
 * atomically and durably (temp file, fdatasync, rename, directory fsync). Concurrent calls on the same directory, from any process, are
 * serialised with a lock directory `dir/.lock` (stale after 30 s). Client files not named in
 * `clients` are left alone.
 *
 * For development and tests only: keys are unencrypted on disk.
 * Errors: `options/invalid` for a bad client name; `pki/io` when the directory cannot be made,
 * locked, read or written; otherwise those of {@link createCertificate}.
 */
export async function createDevPki(dir: string, opts: DevPkiOptions = {}): Promise<DevPki> {
  const root = resolve(dir);
  const clients = opts.clients ?? ['minio'];
  for (const name of clients) {
    if (!CLIENT_NAME.test(name) || name === 'ca' || name === 'server') {
      throw new TlsIdentityError('options/invalid', `clients: "${name}" is not a valid client name`);
    }
  }
  const keyType = opts.keyType ?? 'ec-p256';
  const serverDns = opts.serverDns ?? ['localhost'];
  const serverIp = opts.serverIp ?? ['127.0.0.1', '::1'];
  const validityDays = opts.validityDays ?? 365;
  if (!(Number.isFinite(validityDays) && validityDays > 0)) {
    throw new TlsIdentityError('options/invalid', 'validityDays: expected a positive number');
  }
  // Never renew within more than half the validity, or short-lived certificates would churn.
  const renewBefore = Date.now() + Math.min(opts.renewWithinDays ?? 7, validityDays / 2) * DAY;

  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
    await chmod(root, 0o700);
  } catch (err) {
    throw ioError(`cannot create ${root}`, err);
  }

  return withLock(root, async () => {
    const entry = async (
      name: string,
      make: () => Promise<CreatedCertificate>,
      reuse: (l: Loaded) => boolean,
    ) => {
      const certPath = join(root, `${name}.crt`);
      const keyPath = join(root, `${name}.key`);
      let pair = await loadExisting(certPath, keyPath, renewBefore);
      let made = false;
      if (!pair || !reuse(pair)) {
        const created = await make();
        await writePrivate(keyPath, created.keyPem);
        await writePrivate(certPath, created.certPem);
        pair = created;
        made = true;
      } else {
        try {
          await chmod(keyPath, 0o600);
          await chmod(certPath, 0o600);
        } catch (err) {
          throw ioError(`cannot set permissions in ${root}`, err);
        }
      }
      const result: DevPkiEntry = { certPath, keyPath, ...pair, identity: identityOf(pair.certPem) };
      return { result, made };
    };

    const ca = await entry(
      'ca',
      () =>
        createCertificate({
          subject: { commonName: 'kms-chain development CA', organization: 'kms-chain (dev only)' },
          keyType,
          isCa: true,
          pathLength: 0,
          validityDays: validityDays * 10,
        }),
      (l) => isCaCertificate(l.certPem),
    );
    const issuer = { cert: ca.result.certPem, key: ca.result.keyPem };
    const issuedByCa = (l: Loaded): boolean => {
      if (ca.made) return false;
      const [leaf] = loadKeyPair({ cert: l.certPem, key: l.keyPem }).certificates;
      const [caCert] = loadKeyPair({ cert: issuer.cert, key: issuer.key }).certificates;
      return leaf!.checkIssued(caCert!) && leaf!.verify(caCert!.publicKey);
    };

    const wanted = [...serverDns.map((d) => `DNS:${d}`), ...serverIp.map((ip) => `IP Address:${ip}`)];
    const server = await entry(
      'server',
      () =>
        createCertificate({
          subject: { commonName: serverDns[0] ?? 'localhost', organization: 'kms-chain (dev only)' },
          keyType,
          issuer,
          dns: serverDns,
          ip: serverIp,
          serverAuth: true,
          clientAuth: true,
          validityDays,
        }),
      (l) => {
        if (!issuedByCa(l)) return false;
        const [leaf] = loadKeyPair({ cert: l.certPem, key: l.keyPem }).certificates;
        const sans = new Set((leaf!.subjectAltName ?? '').split(', ').map(normaliseSan));
        return wanted.every((w) => sans.has(normaliseSan(w)));
      },
    );

    const out: Record<string, DevPkiEntry> = {};
    for (const name of clients) {
      const client = await entry(
        name,
        () =>
          createCertificate({
            subject: { commonName: name, organization: 'kms-chain (dev only)' },
            keyType,
            issuer,
            clientAuth: true,
            validityDays,
          }),
        (l) => issuedByCa(l) && !isCaCertificate(l.certPem),
      );
      out[name] = client.result;
    }
    return { dir: root, ca: ca.result, server: server.result, clients: out };
  });
}

/** Normalises one SAN entry as Node prints it, so `IP Address:::1` and `IP Address:0:0:…:1` compare equal. */
function normaliseSan(san: string): string {
  if (!san.startsWith('IP Address:')) return san.toLowerCase();
  const ip = san.slice('IP Address:'.length);
  if (!ip.includes(':')) return san;
  const bl = ip.split('::');
  const head = bl[0] ? bl[0].split(':') : [];
  const tail = bl.length > 1 && bl[1] ? bl[1].split(':') : [];
  const fill = Array(8 - head.length - tail.length).fill('0');
  const groups = bl.length > 1 ? [...head, ...fill, ...tail] : head;
  return `IP Address:${groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':')}`;
}
