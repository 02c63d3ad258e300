// KES API keys for the CLI: the derivation lives in @kms-chain/tls-identity (shared with the object
// store's MINIO_KMS_KES_API_KEY); here its errors become usage errors of the `kes` commands.
import type { KeyObject } from 'node:crypto';
import { CliError } from '@kms-chain/cli';
import {
  apiKeyCertificate as certificateOf,
  identityOfPublicKey,
  isApiKey,
  newApiKey,
  parseApiKey,
  TlsIdentityError,
} from '@kms-chain/tls-identity';

export { isApiKey, newApiKey };

/** The Ed25519 private key of an API key; CliError when it is malformed. */
export function apiKeyPrivateKey(apiKey: string): KeyObject {
  try {
    return parseApiKey(apiKey);
  } catch (err) {
    if (err instanceof TlsIdentityError) throw new CliError(err.message);
    throw err;
  }
}

export function apiKeyIdentity(apiKey: string): string {
  return identityOfPublicKey(apiKeyPrivateKey(apiKey));
}

/** The self-signed client certificate a KES client presents for an API key (CN = identity, 90 days). */
export async function apiKeyCertificate(
  apiKey: string,
): Promise<{ certPem: string; keyPem: string; identity: string }> {
  apiKeyPrivateKey(apiKey);
  const cert = await certificateOf(apiKey);
  return { certPem: cert.certPem, keyPem: cert.keyPem, identity: cert.identity };
}
