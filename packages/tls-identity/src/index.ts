// Public surface of @kms-chain/tls-identity. Each module documents its own contracts:
// - load.ts      PEM certificates and private keys (RSA, EC, Ed25519; encrypted PEM)
// - identity.ts  KES identities (SHA-256 of the certificate's DER SubjectPublicKeyInfo), peer identity
// - create.ts    X.509 creation with @peculiar/x509 (self-signed or CA-signed)
// - mtls.ts      server mTLS options, client secure context / agent, loopback-tolerant name check
// - dev-pki.ts   a CA + server + client certificates on disk for tests and `npm start`
// - api-key.ts   KES API keys (`kes:v1:…`): parsing, identity, the self-signed client certificate
// - ca-bundle.ts CA certificates from a file or a folder, as server configs name them
// - tls-backpressure.ts  HTTP over TLS that waits out a full write buffer instead of resetting

export {
  API_KEY_CERT_VALIDITY_DAYS,
  API_KEY_PREFIX,
  apiKeyCertificate,
  apiKeyIdentity,
  isApiKey,
  newApiKey,
  parseApiKey,
} from './api-key.js';
export { readCaBundle } from './ca-bundle.js';
export {
  type CreateCertificateOptions,
  type CreatedCertificate,
  createCertificate,
  type DistinguishedName,
  generatePrivateKey,
  type KeyType,
  type KeyUsage,
} from './create.js';
export { createDevPki, type DevPki, type DevPkiEntry, type DevPkiOptions } from './dev-pki.js';
export { TlsIdentityError, type TlsIdentityErrorCode } from './errors.js';
export {
  identifyPeer,
  identityOf,
  identityOfPublicKey,
  isCaCertificate,
  peerIdentity,
} from './identity.js';
export { assertSupportedKey, type KeyPair, loadCertificates, loadKeyPair, loadPrivateKey } from './load.js';
export {
  type ClientAgentInput,
  type ClientAuth,
  type ClientTlsInput,
  checkServerIdentity,
  clientTlsOptions,
  createClientAgent,
  enforceClientAuth,
  hasPeerCertificate,
  isLoopbackHost,
  type MtlsServerInput,
  type MtlsServerOptions,
  mtlsServerOptions,
  type TlsMinVersion,
} from './mtls.js';
export { parseThroughStream, parseTlsThroughStream } from './tls-backpressure.js';
