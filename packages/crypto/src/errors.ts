/**
 * The one error type this package throws for bad input or failed authentication. `code` is stable
 * and meant for mapping to wire errors; `message` never contains key material or plaintext.
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  constructor(
    /** A stable machine-readable code, e.g. `dare/authentication-failed`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
