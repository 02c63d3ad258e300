// Test certificates for loopback servers: a CA, a server certificate for localhost and 127.0.0.1
// signed by it, and client certificates on demand (KES identities are their public keys).
import { type CreatedCertificate, createCertificate } from '@kms-chain/tls-identity';

export interface LoopbackPki {
  ca: CreatedCertificate;
  /** CN=localhost, SANs localhost and 127.0.0.1, serverAuth, signed by `ca`. */
  server: CreatedCertificate;
  /** A clientAuth certificate signed by `ca`. */
  client(commonName: string, keyType?: 'ed25519' | 'ec-p256'): Promise<CreatedCertificate>;
}

export async function loopbackPki(caName: string): Promise<LoopbackPki> {
  const ca = await createCertificate({ subject: { commonName: caName }, isCa: true });
  const issuer = { cert: ca.certPem, key: ca.keyPem };
  const server = await createCertificate({
    subject: { commonName: 'localhost' },
    dns: ['localhost'],
    ip: ['127.0.0.1'],
    serverAuth: true,
    issuer,
  });
  return {
    ca,
    server,
    client: (commonName, keyType = 'ed25519') =>
      createCertificate({ subject: { commonName }, keyType, clientAuth: true, issuer }),
  };
}
