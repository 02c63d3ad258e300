// The guide's own command lines for sections 2–3 (certificates, Vault config, init, unseal, kv,
// AppRole, the policy and the role), kept once for the two tests that run them verbatim:
// guide.test.ts (the whole chain) and vault-guide.test.ts (Vault's output to the byte). Only the
// literals the guide copy lost are filled (docs/guide.md#gaps-in-the-guide-text), and the port is
// a free one instead of 8200.
import { expect } from 'vitest';

/** Runs one shell line in the guide's folder and returns its stdout (failing the test otherwise). */
export type Run = (cmd: string) => string;

/** §2.1/2.2: a self-signed P-256 certificate for `localhost` as `<name>-tls.key` / `<name>-tls.crt`. */
export function makeGuideCert(ok: Run, name: string): void {
  ok(`openssl ecparam -genkey -name prime256v1 | openssl ec -out ${name}-tls.key`);
  ok(
    `openssl req -new -x509 -days 365 -key ${name}-tls.key -out ${name}-tls.crt -subj "/C=US/ST=state/L=location/O=organization/CN=localhost"`,
  );
}

/** §3: writes vault-config.json as the guide prints it, listening on `port`. */
export function writeGuideVaultConfig(ok: Run, port: number): void {
  ok(`cat > vault-config.json <<EOF
{
  "api_addr": "https://127.0.0.1:${port}",
  "backend": {
    "file": {
      "path": "vault/file"
    }
  },
  "default_lease_ttl": "168h",
  "max_lease_ttl": "720h",
  "listener": {
    "tcp": {
      "address": "0.0.0.0:${port}",
      "tls_cert_file": "vault-tls.crt",
      "tls_key_file": "vault-tls.key",
      "tls_min_version": "tls12"
    }
  }
}
EOF`);
}

/**
 * §3.2–3.4: kv and approle enabled, the KES policy uploaded, the role written twice (options,
 * then the policy), each answered with Vault's success line. §3.5 (role-id, secret-id) is left to
 * the caller, which checks its output at its own depth.
 */
export function guideVaultSetup(ok: Run): void {
  expect(ok('vault secrets enable kv')).toBe('Success! Enabled the kv secrets engine at: kv/\n');
  expect(ok('vault auth enable approle')).toBe('Success! Enabled approle auth method at: approle/\n');
  ok(`cat > minio-kes-policy.hcl <<EOF
path "kv/minio/*" {
  capabilities = [ "create", "read", "delete" ]
}
EOF`);
  expect(ok('vault policy write minio-key-policy ./minio-kes-policy.hcl')).toBe(
    'Success! Uploaded policy: minio-key-policy\n',
  );
  expect(ok('vault write auth/approle/role/kes-role token_num_uses=0  secret_id_num_uses=0  period=5m')).toBe(
    'Success! Data written to: auth/approle/role/kes-role\n',
  );
  expect(ok('vault write auth/approle/role/kes-role policies=minio-key-policy')).toBe(
    'Success! Data written to: auth/approle/role/kes-role\n',
  );
}
