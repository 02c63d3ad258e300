// Test PKI made with @kms-chain/tls-identity: a server certificate for 127.0.0.1 and client certs.
import { createCertificate } from '@kms-chain/tls-identity';

export interface TestCert {
  certPem: string;
  keyPem: string;
  identity: string;
}

export interface TestPki {
  ca: TestCert;
  server: TestCert;
  /** Signed by `ca`. */
  admin: TestCert;
  minio: TestCert;
  /** Self-signed, unknown to any policy. */
  stranger: TestCert;
  /** Self-signed; used where `--mtls-auth=ignore` must accept it. */
  selfSigned: TestCert;
}

export async function makePki(): Promise<TestPki> {
  const ca = await createCertificate({ subject: { commonName: 'kes test CA' }, isCa: true });
  const issuer = { cert: ca.certPem, key: ca.keyPem };
  const server = await createCertificate({
    subject: { commonName: 'localhost' },
    dns: ['localhost'],
    ip: ['127.0.0.1'],
    serverAuth: true,
    issuer,
  });
  const client = (cn: string) =>
    createCertificate({ subject: { commonName: cn }, keyType: 'ed25519', clientAuth: true, issuer });
  const [admin, minio] = await Promise.all([client('admin'), client('MinIO')]);
  const stranger = await createCertificate({
    subject: { commonName: 'stranger' },
    keyType: 'ed25519',
    clientAuth: true,
  });
  const selfSigned = await createCertificate({
    subject: { commonName: 'self' },
    keyType: 'ec-p256',
    clientAuth: true,
  });
  return { ca, server, admin, minio, stranger, selfSigned };
}
