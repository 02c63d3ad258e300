// KES identities: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, and who is on the other
// end of a TLS connection.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
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
 * The KES identity of the TLS client (or server) on `socket`: the identity of its **leaf**
 * certificate — the one whose private key signed the handshake (Node's
 * `socket.getPeerX509Certificate()`). Every other certificate the peer sent is ignored: a chain is
 * only the peer's claim, and in `ignore` mode nothing checks it, so a client could otherwise send
 * its own certificate followed by someone else's public one and be taken for them. A leaf flagged
 * as a CA (basicConstraints `cA: TRUE`) is refused, as KES refuses a chain with only CA
 * certificates. Verification is not this function's job — in `verify` mode the handshake already
 * checked the chain; in `ignore` mode any certificate is accepted.
 *
 * Stricter than KES HEAD, which skips CA certificates anywhere in the peer's chain and takes the one
 * non-CA certificate left, wherever it sits and whoever holds its key.
 *
 * Errors (`TlsIdentityError`, messages are KES's HTTP error strings, status 400 there):
 * `mtls/no-client-certificate` — "tls: client certificate is required" (no certificate);
 * `mtls/ca-client-certificate` — the same message (the leaf is a CA certificate).
 */
export function identifyPeer(socket: TLSSocket): string {
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) throw new TlsIdentityError('mtls/no-client-certificate', 'tls: client certificate is required');
  if (isCaCertificateDer(leaf.raw)) {
    throw new TlsIdentityError('mtls/ca-client-certificate', 'tls: client certificate is required');
  }
  return identityOf(leaf.raw);
}

/**
 * Like {@link identifyPeer}, but returns `undefined` instead of throwing when the peer presented no
 * certificate or a CA certificate as its leaf (use `identifyPeer` to tell those apart). Never
 * throws for a connected TLS socket.
 */
export function peerIdentity(socket: TLSSocket): string | undefined {
  try {
    return identifyPeer(socket);
  } catch (err) {
    if (err instanceof TlsIdentityError) return undefined;
    throw err;
  }
}
