/**
 * Every stable error code this package throws, grouped by area:
 *
 * | code | meaning |
 * |---|---|
 * | `pem/empty` | the input is empty or only whitespace |
 * | `pem/no-certificate` | no `CERTIFICATE` block (and not DER) in the input |
 * | `pem/no-private-key` | no private-key block in the input |
 * | `pem/malformed` | a PEM block is cut short or its body is not base64 |
 * | `x509/malformed` | a certificate's DER does not parse |
 * | `key/malformed` | a private key does not parse |
 * | `key/password-required` | the key is encrypted and no password was given |
 * | `key/wrong-password` | the key is encrypted and could not be decrypted with the password |
 * | `key/unsupported` | a key type other than RSA, EC (P-256/P-384/P-521) or Ed25519 |
 * | `key/mismatch` | the private key does not belong to the certificate |
 * | `x509/not-ca` | a certificate used as issuer is not a CA (basicConstraints CA:TRUE) |
 * | `mtls/no-client-certificate` | the TLS peer sent no certificate |
 * | `mtls/ca-client-certificate` | the TLS peer's leaf certificate is a CA (basicConstraints CA:TRUE) |
 * | `options/invalid` | an option has a bad value (message names the option) |
 * | `pki/io` | the dev PKI directory could not be read, written or locked |
 * | `ca/io` | a CA file or folder (readCaBundle) could not be read |
 * | `ca/empty` | a CA folder holds no certificate file |
 */
export type TlsIdentityErrorCode =
  | 'pem/empty'
  | 'pem/no-certificate'
  | 'pem/no-private-key'
  | 'pem/malformed'
  | 'x509/malformed'
  | 'x509/not-ca'
  | 'key/malformed'
  | 'key/password-required'
  | 'key/wrong-password'
  | 'key/unsupported'
  | 'key/mismatch'
  | 'mtls/no-client-certificate'
  | 'mtls/ca-client-certificate'
  | 'options/invalid'
  | 'pki/io'
  | 'ca/io'
  | 'ca/empty';

/**
 * The one error type this package throws for bad input. `code` is stable and meant for mapping to
 * wire errors or exit codes; `message` says what was wrong in plain words and never contains key
 * material, passwords or PEM bodies. `cause`, when set, is the underlying Node/OpenSSL error (whose
 * messages are OpenSSL reason strings, not input bytes).
 */
export class TlsIdentityError extends Error {
  override readonly name = 'TlsIdentityError';

  constructor(
    /** A stable machine-readable code, e.g. `key/wrong-password`. */
    readonly code: TlsIdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
