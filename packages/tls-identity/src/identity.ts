// KES identities: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, and who is on the other
// end of a TLS connection.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { isCaCertificateDer, subjectPublicKeyInfoOf } from './der.js';
import { TlsIdentityError } from './errors.js';
import { loadCertificates } from './load.js';

function certificateDer(cert: string | Uint8Array | X509Certificate): Uint8Array {
  if (cert instanceof X509Certificate) return cert.raw;
  if (typeof cert !== 'string' && cert.length > 0 && cert[0] === 0x30) {
    if (!Buffer.from(cert).toString('latin1').includes('-----BEGIN ')) return cert;
  }
  return loadCertificates(cert)[0]!.raw;
}

/**
 * The KES identity of a certificate: lowercase hex SHA-256 (64 chars) over the exact DER bytes of
 * its SubjectPublicKeyInfo, as found inside the certificate (never re-encoded) — what
 * `kes tool identity of <cert>` prints and what a KES server matches policies against. Subject,
 * serial, issuer and validity do not matter; two certificates for the same key share an identity.
 *
 * `cert` may be PEM text (string or bytes; the first `CERTIFICATE` block is used — the leaf of a
 * chain file), DER bytes, or a `node:crypto` `X509Certificate`. Errors: those of
 * {@link loadCertificates} for PEM input, and `x509/malformed` when the DER is not a certificate.
 */
export function identityOf(cert: string | Uint8Array | X509Certificate): string {
  return sha256Hex(subjectPublicKeyInfoOf(certificateDer(cert)));
}

/**
 * The KES identity of a public key (or of the public half of a private key): SHA-256 over its DER
 * SubjectPublicKeyInfo as Node's encoder writes it. For RSA, EC and Ed25519 keys this equals
 * {@link identityOf} of any certificate for that key; prefer `identityOf` when a certificate is at
 * hand, since it hashes the certificate's own bytes.
 */
export function identityOfPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(pub.export({ type: 'spki', format: 'der' }));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Tells whether a certificate is a CA certificate the way Go (and so KES) decides:
 * basicConstraints present with `cA: TRUE`. Errors: as {@link identityOf}.
 */
export function isCaCertificate(cert: string | Uint8Array | X509Certificate): boolean {
  return isCaCertificateDer(certificateDer(cert));
}

/**
 * The DER certificates the TLS peer presented, leaf first, following Node's `issuerCertificate`
 * links. Node may complete the chain with issuers from the trust store the peer did not send; those
 * are CA certificates, which identity resolution skips anyway. Empty when the peer sent none.
 */
export function peerCertificates(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<object>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && !seen.has(cert)) {
    seen.add(cert);
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

/**
 * The KES identity of the TLS client (or server) on `socket`, resolved as KES does: CA certificates
 * in the peer's chain are skipped and exactly one non-CA certificate must remain; its identity is
 * returned. Verification is not this function's job — in `verify` mode the handshake already
 * checked the chain; in `ignore` mode any certificate is accepted.
 *
 * Errors (`TlsIdentityError`, messages are KES's HTTP error strings, status 400 there):
 * `mtls/no-client-certificate` — "tls: client certificate is required";
 * `mtls/multiple-client-certificates` — "tls: received more than one client certificate".
 */
export function identifyPeer(socket: TLSSocket): string {
  let leaf: Buffer | undefined;
  for (const der of peerCertificates(socket)) {
    if (isCaCertificateDer(der)) continue;
    if (leaf) {
      throw new TlsIdentityError(
        'mtls/multiple-client-certificates',
        'tls: received more than one client certificate',
      );
    }
    leaf = der;
  }
  if (!leaf) throw new TlsIdentityError('mtls/no-client-certificate', 'tls: client certificate is required');
  return identityOf(leaf);
}

/**
 * Like {@link identifyPeer}, but returns `undefined` instead of throwing when the peer presented
 * no non-CA certificate or more than one (use `identifyPeer` to tell those apart). Never throws for
 * a connected TLS socket.
 */
export function peerIdentity(socket: TLSSocket): string | undefined {
  try {
    return identifyPeer(socket);
  } catch (err) {
    if (err instanceof TlsIdentityError) return undefined;
    throw err;
  }
}
