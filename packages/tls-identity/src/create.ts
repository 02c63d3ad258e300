// Making X.509 certificates. node-forge (on the design card) cannot make EC or Ed25519
// certificates, so every certificate is made with @peculiar/x509, which signs through Node's
// WebCrypto: one code path for RSA, EC P-256 and Ed25519, self-signed or CA-signed. Keys are
// generated and exported with node:crypto. @peculiar/x509 v2 depends on tsyringe, which needs the
// `reflect-metadata` polyfill installed before it loads; both are imported lazily here (first call to
// createCertificate) so that processes that only load certificates or compute identities never pull
// in the polyfill or the library.
import {
  createHash,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { isCaCertificateDer, subjectPublicKeyBits, subjectPublicKeyInfoOf } from './der.js';
import { TlsIdentityError } from './errors.js';
import { identityOf } from './identity.js';
import { assertSupportedKey, loadCertificates, loadKeyPair, loadPrivateKey } from './load.js';
import { toPem } from './pem.js';

type X509Lib = typeof import('@peculiar/x509');

let x509Lib: Promise<X509Lib> | undefined;

/** Loads @peculiar/x509 once, after its reflect polyfill, with Node's WebCrypto as provider. */
function loadX509(): Promise<X509Lib> {
  x509Lib ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof lib.cryptoProvider.set>[0]);
    return lib;
  })();
  return x509Lib;
}

/** Key types {@link createCertificate} can generate. */
export type KeyType = 'rsa' | 'ec-p256' | 'ed25519';

/** X.509 key usage bits (RFC 5280 §4.2.1.3) that {@link createCertificate} can set. */
export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

/** A subject or issuer name by attribute. Only `commonName` is required. */
export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
}

/** Options of {@link createCertificate}. */
export interface CreateCertificateOptions {
  /**
   * The subject: attributes, or an RFC 4514-style string such as `"CN=localhost, O=kms-chain"`.
   * For a self-signed certificate it is also the issuer.
   */
  subject: DistinguishedName | string;
  /** Key type to generate; default `ec-p256`. Ignored when `key` is given. */
  keyType?: KeyType;
  /** RSA modulus size in bits for `keyType: 'rsa'`; default 2048. */
  rsaBits?: 2048 | 3072 | 4096;
  /** Certify this existing private key (PEM or KeyObject) instead of generating one. */
  key?: string | Uint8Array | KeyObject;
  /** Password for an encrypted PEM `key`. */
  keyPassword?: string;
  /**
   * The CA that signs the certificate: its certificate (PEM, DER or X509Certificate; the first one
   * in a chain file) and private key. Absent = self-signed. The CA certificate must have
   * basicConstraints `CA:TRUE` (`x509/not-ca`) and the key must be its key (`key/mismatch`).
   */
  issuer?: {
    cert: string | Uint8Array | X509Certificate;
    key: string | Uint8Array | KeyObject;
    password?: string;
  };
  /** DNS subjectAltNames, e.g. `['localhost']`. */
  dns?: string[];
  /** IP subjectAltNames, IPv4 or IPv6, e.g. `['127.0.0.1', '::1']`. */
  ip?: string[];
  /** Make a CA certificate (basicConstraints `CA:TRUE`, critical). Default false (`CA:FALSE`). */
  isCa?: boolean;
  /** basicConstraints pathLenConstraint; only with `isCa`. */
  pathLength?: number;
  /**
   * Key usages (critical extension). Default: CA → keyCertSign, cRLSign, digitalSignature;
   * otherwise digitalSignature, plus keyEncipherment for RSA keys (TLS 1.2 RSA key exchange).
   */
  keyUsages?: KeyUsage[];
  /** Add extendedKeyUsage serverAuth. */
  serverAuth?: boolean;
  /** Add extendedKeyUsage clientAuth. Without serverAuth or clientAuth no EKU extension is written. */
  clientAuth?: boolean;
  /** Start of validity; default one minute ago (tolerates small clock skew between processes). */
  notBefore?: Date;
  /** End of validity; default `notBefore + validityDays`. */
  notAfter?: Date;
  /** Validity length in days when `notAfter` is not given; default 365. */
  validityDays?: number;
  /** Serial number as hex; default 16 random bytes (positive). */
  serialNumber?: string;
  /** Encrypt the returned `keyPem` (PKCS#8, AES-256-CBC) with this password. */
  encryptKeyWith?: string;
}

/** What {@link createCertificate} returns. */
export interface CreatedCertificate {
  /** The certificate, one PEM block, newline-terminated. */
  certPem: string;
  /** The private key as PKCS#8 PEM (`ENCRYPTED PRIVATE KEY` when `encryptKeyWith` was given). */
  keyPem: string;
  /** The certificate's KES identity ({@link identityOf}). */
  identity: string;
}

const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
};

const EC_WEB: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' },
};

const DNS_NAME = /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

function invalid(message: string): TlsIdentityError {
  return new TlsIdentityError('options/invalid', message);
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Generates a private key with node:crypto: RSA (`rsaBits`, default 2048, e = 65537), EC P-256, or
 * Ed25519 (default `ec-p256`). Errors: `options/invalid` for an unknown type or RSA size.
 */
export async function generatePrivateKey(keyType: KeyType = 'ec-p256', rsaBits = 2048): Promise<KeyObject> {
  switch (keyType) {
    case 'rsa':
      if (![2048, 3072, 4096].includes(rsaBits)) throw invalid(`rsaBits: expected 2048, 3072 or 4096`);
      return (await generateKeyPairAsync('rsa', { modulusLength: rsaBits })).privateKey;
    case 'ec-p256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'P-256' })).privateKey;
    case 'ed25519':
      return (await generateKeyPairAsync('ed25519')).privateKey;
    default:
      throw invalid(`keyType: expected "rsa", "ec-p256" or "ed25519"`);
  }
}

/** The WebCrypto import parameters and signature algorithm for a signing key. */
function webAlgorithms(key: KeyObject): {
  importAlg: webcrypto.AlgorithmIdentifier | object;
  signAlg: object;
} {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return {
        importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        signAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      };
    case 'ec': {
      const ec = EC_WEB[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!ec) break;
      return {
        importAlg: { name: 'ECDSA', namedCurve: ec.namedCurve },
        signAlg: { name: 'ECDSA', hash: ec.hash },
      };
    }
    case 'ed25519':
      return { importAlg: { name: 'Ed25519' }, signAlg: { name: 'Ed25519' } };
  }
  assertSupportedKey(key);
  throw new TlsIdentityError('key/unsupported', 'unsupported signing key');
}

function nameJson(subject: DistinguishedName): Record<string, string[]>[] {
  if (typeof subject.commonName !== 'string' || subject.commonName === '') {
    throw invalid('subject.commonName: expected a non-empty string');
  }
  const parts: [string, string | undefined][] = [
    ['C', subject.country],
    ['ST', subject.state],
    ['L', subject.locality],
    ['O', subject.organization],
    ['OU', subject.organizationalUnit],
    ['CN', subject.commonName],
  ];
  return parts.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ({ [k]: [v!] }));
}

function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

function serialHex(given: string | undefined): string {
  if (given !== undefined) {
    if (!/^[0-9a-fA-F]{1,40}$/.test(given) || /^0+$/.test(given)) {
      throw invalid('serialNumber: expected 1-40 hex digits, not zero');
    }
    return given;
  }
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and exactly 16 bytes
  return bytes.toString('hex');
}

function checkOptions(opts: CreateCertificateOptions): void {
  for (const name of opts.dns ?? []) {
    if (typeof name !== 'string' || name.length > 253 || !DNS_NAME.test(name)) {
      throw invalid(`dns: "${String(name)}" is not a DNS name`);
    }
  }
  for (const ip of opts.ip ?? []) {
    if (typeof ip !== 'string' || isIP(ip) === 0) throw invalid(`ip: "${String(ip)}" is not an IP address`);
  }
  if (opts.pathLength !== undefined) {
    if (!opts.isCa) throw invalid('pathLength: only allowed with isCa');
    if (!Number.isInteger(opts.pathLength) || opts.pathLength < 0)
      throw invalid('pathLength: expected an integer ≥ 0');
  }
  if (opts.validityDays !== undefined && !(Number.isFinite(opts.validityDays) && opts.validityDays > 0)) {
    throw invalid('validityDays: expected a positive number');
  }
  for (const usage of opts.keyUsages ?? []) {
    if (!(usage in KEY_USAGE_BITS)) throw invalid(`keyUsages: unknown usage "${String(usage)}"`);
  }
}

/**
 * Makes an X.509 v3 certificate and returns it with its private key as PEM. Self-signed when
 * `issuer` is absent, otherwise signed by the issuer CA (issuer name taken byte-for-byte from the
 * CA certificate's subject, authorityKeyIdentifier from its key). Always written: a random serial,
 * basicConstraints (critical), keyUsage (critical), subjectKeyIdentifier (SHA-1 of the public key
 * bits); subjectAltName when `dns`/`ip` are given; extendedKeyUsage when `serverAuth`/`clientAuth`
 * are set. Signature: SHA-256 with RSA (PKCS#1 v1.5), ECDSA with the curve's hash, or Ed25519,
 * following the signing key's type.
 *
 * Errors (`TlsIdentityError`): `options/invalid` naming the option; the loaders' errors for
 * `key`/`issuer` PEM; `x509/not-ca`; `key/mismatch`; `key/unsupported`.
 * Concurrency: safe to call concurrently; each call generates its own key.
 */
export async function createCertificate(opts: CreateCertificateOptions): Promise<CreatedCertificate> {
  checkOptions(opts);
  const lib = await loadX509();

  let subjectKey: KeyObject;
  if (opts.key === undefined) {
    subjectKey = await generatePrivateKey(opts.keyType ?? 'ec-p256', opts.rsaBits ?? 2048);
  } else if (typeof opts.key === 'string' || opts.key instanceof Uint8Array) {
    subjectKey = loadPrivateKey(opts.key, opts.keyPassword);
  } else {
    subjectKey = opts.key;
    if (subjectKey.type !== 'private')
      throw new TlsIdentityError('key/malformed', 'key: expected a private key');
    assertSupportedKey(subjectKey);
  }
  const spki = createPublicKey(subjectKey).export({ type: 'spki', format: 'der' });
  const subjectKeyId = sha1Hex(subjectPublicKeyBits(spki));

  let signingKey = subjectKey;
  let issuerName: InstanceType<X509Lib['Name']> | undefined;
  let authorityKeyId: string | undefined;
  if (opts.issuer) {
    const caCert =
      opts.issuer.cert instanceof X509Certificate ? opts.issuer.cert : loadCertificates(opts.issuer.cert)[0]!;
    if (!isCaCertificateDer(caCert.raw)) {
      throw new TlsIdentityError(
        'x509/not-ca',
        'issuer.cert: the issuer certificate is not a CA (basicConstraints CA:TRUE)',
      );
    }
    signingKey = loadKeyPair({
      cert: [caCert],
      key: opts.issuer.key,
      password: opts.issuer.password,
    }).privateKey;
    const pecCa = new lib.X509Certificate(caCert.raw);
    issuerName = new lib.Name(pecCa.subjectName.toArrayBuffer());
    const caSki = pecCa.getExtension(lib.SubjectKeyIdentifierExtension);
    authorityKeyId = caSki?.keyId ?? sha1Hex(subjectPublicKeyBits(subjectPublicKeyInfoOf(caCert.raw)));
  }

  const subjectName =
    typeof opts.subject === 'string' ? new lib.Name(opts.subject) : new lib.Name(nameJson(opts.subject));
  const isCa = opts.isCa === true;
  const defaultUsages: KeyUsage[] = isCa
    ? ['keyCertSign', 'cRLSign', 'digitalSignature']
    : subjectKey.asymmetricKeyType === 'rsa'
      ? ['digitalSignature', 'keyEncipherment']
      : ['digitalSignature'];
  const usageBits = (opts.keyUsages ?? defaultUsages).reduce((bits, u) => bits | KEY_USAGE_BITS[u], 0);

  const extensions: InstanceType<X509Lib['Extension']>[] = [
    new lib.BasicConstraintsExtension(isCa, opts.pathLength, true),
    new lib.KeyUsagesExtension(usageBits, true),
    new lib.SubjectKeyIdentifierExtension(subjectKeyId),
  ];
  if (authorityKeyId) extensions.push(new lib.AuthorityKeyIdentifierExtension(authorityKeyId));
  const ekus: string[] = [];
  if (opts.serverAuth) ekus.push(lib.ExtendedKeyUsage.serverAuth);
  if (opts.clientAuth) ekus.push(lib.ExtendedKeyUsage.clientAuth);
  if (ekus.length > 0) extensions.push(new lib.ExtendedKeyUsageExtension(ekus));
  const altNames = [
    ...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length > 0) extensions.push(new lib.SubjectAlternativeNameExtension(altNames));

  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + (opts.validityDays ?? 365) * 86_400_000);
  if (!(notAfter.getTime() > notBefore.getTime())) throw invalid('notAfter: must be later than notBefore');

  const { importAlg, signAlg } = webAlgorithms(signingKey);
  const webKey = await webcrypto.subtle.importKey(
    'pkcs8',
    signingKey.export({ type: 'pkcs8', format: 'der' }),
    importAlg as Parameters<typeof webcrypto.subtle.importKey>[2],
    false,
    ['sign'],
  );

  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serialHex(opts.serialNumber),
    subject: subjectName,
    issuer: issuerName ?? subjectName,
    notBefore,
    notAfter,
    publicKey: spki,
    // WebCrypto types differ between @types/node and the DOM lib @peculiar/x509 declares against.
    signingKey: webKey as never,
    signingAlgorithm: signAlg as never,
    extensions,
  });

  const der = new Uint8Array(cert.rawData);
  const keyPem =
    opts.encryptKeyWith === undefined
      ? (subjectKey.export({ type: 'pkcs8', format: 'pem' }) as string)
      : (subjectKey.export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: opts.encryptKeyWith,
        }) as string);
  return { certPem: toPem('CERTIFICATE', der), keyPem, identity: identityOf(der) };
}
