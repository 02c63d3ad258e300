// The cluster's TLS identity (docs/vault.md#ha-on-etcd). Each time a node becomes active it makes a
// fresh ECDSA P-256 key and a self-signed certificate for it, and advertises both inside its
// leader advertisement (`core/leader/<node id>`), which is written through the barrier: the key
// never reaches storage in the clear, and only an unsealed node of this cluster can read it. Both
// ends of a cluster connection present that one certificate and accept no other: a standby proves
// it could read the barrier, the active node proves it wrote the advertisement. Vault does the
// same with a P-521 key; P-256 here is Node's fastest curve and as strong as TLS 1.2+ needs.
//
// What can be zeroed is: the advertisement's decrypted bytes and the PEM buffer handed to OpenSSL.
// The key also passes through a JWK's strings (JSON) and a KeyObject, which the garbage collector
// drops; OpenSSL keeps its own copy inside the secure context for as long as the term lasts.
import { createPrivateKey, generateKeyPair, type KeyObject, randomUUID, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { zeroize } from '@kms-chain/crypto';
import { createCertificate } from '@kms-chain/tls-identity';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Long enough to outlive any term; a new term makes a new certificate anyway. */
const VALIDITY_DAYS = 10 * 365;

/** One term's identity, as both ends of a cluster connection use it. */
export interface ClusterIdentity {
  /** The certificate's DER: the only certificate either end accepts. */
  readonly certDer: Buffer;
  /** The certificate's DNS name; standbys send it as SNI (Vault's `fw-<uuid>`). */
  readonly serverName: string;
  /** Key, certificate, and the certificate as the one trusted CA; TLS 1.2 at least. */
  readonly context: tls.SecureContext;
}

/** The advertisement's cluster fields, as Vault names them (the key as JWK members). */
export interface ClusterAdvertFields {
  /** The certificate, DER in base64. */
  cluster_cert: string;
  /** The private key: curve and the JWK members x, y (public point) and d (private scalar). */
  cluster_key_params: { type: 'p256'; x: string; y: string; d: string };
}

/** A fresh key and certificate for a new active term, and the fields that advertise them. */
export async function generateClusterIdentity(): Promise<{
  identity: ClusterIdentity;
  fields: ClusterAdvertFields;
}> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const serverName = `fw-${randomUUID()}`;
  const { certPem } = await createCertificate({
    subject: { commonName: serverName },
    key: privateKey,
    dns: [serverName],
    isCa: true,
    keyUsages: ['digitalSignature', 'keyCertSign'],
    serverAuth: true,
    clientAuth: true,
    validityDays: VALIDITY_DAYS,
  });
  const certDer = Buffer.from(new X509Certificate(certPem).raw);
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    identity: identityOf(privateKey, certDer, serverName),
    fields: {
      cluster_cert: certDer.toString('base64'),
      cluster_key_params: { type: 'p256', x: jwk.x!, y: jwk.y!, d: jwk.d! },
    },
  };
}

/**
 * The identity an advertisement carries; undefined when it carries none (the active node runs
 * without clustering). Throws when the fields are malformed or the key does not match the
 * certificate.
 */
export function parseClusterAdvert(advert: Record<string, unknown>): ClusterIdentity | undefined {
  const cert = advert['cluster_cert'];
  const params = advert['cluster_key_params'] as Record<string, string> | undefined;
  if (cert === undefined && params === undefined) return undefined;
  if (typeof cert !== 'string' || !params || params['type'] !== 'p256')
    throw new Error('cluster advertisement: malformed cluster_cert or cluster_key_params');
  const certDer = Buffer.from(cert, 'base64');
  const x509 = new X509Certificate(certDer);
  const key = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', x: params['x'], y: params['y'], d: params['d'] },
    format: 'jwk',
  });
  if (!x509.checkPrivateKey(key)) throw new Error('cluster advertisement: key does not match certificate');
  const serverName = /CN=([^\n,]+)/.exec(x509.subject)?.[1] ?? '';
  return identityOf(key, certDer, serverName);
}

function identityOf(key: KeyObject, certDer: Buffer, serverName: string): ClusterIdentity {
  const certPem = new X509Certificate(certDer).toString();
  const keyPem = Buffer.from(key.export({ format: 'pem', type: 'pkcs8' }));
  try {
    const context = tls.createSecureContext({
      key: keyPem,
      cert: certPem,
      ca: certPem,
      minVersion: 'TLSv1.2',
    });
    return { certDer, serverName, context };
  } finally {
    zeroize(keyPem);
  }
}

/** Whether a peer presented exactly this term's certificate (public bytes: no secret compare). */
export function isClusterPeer(identity: ClusterIdentity, peerRaw: Buffer | undefined): boolean {
  return peerRaw?.equals(identity.certDer) === true;
}
