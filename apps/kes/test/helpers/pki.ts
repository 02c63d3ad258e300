// Test PKI made with @kms-chain/tls-identity: a server certificate for 127.0.0.1 and client certs.
import { createCertificate } from '@kms-chain/tls-identity';
import { loopbackPki } from '@kms-chain/tools';

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
  const { ca, server, client } = await loopbackPki('kes test CA');
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
