// KES errors on the wire: `{"message":"…"}` with a status. Go clients (MinIO, kms-go) compare the
// pair (status, message) for equality, so every text below is verbatim KES HEAD
// (docs/kes-protocol.md#errors).

/** An error that the API pipeline renders as `{"message": message}` with `status`. */
export class KesError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'KesError';
    this.status = status;
  }
}

/**
 * Error spelling. `head` = KES ≥ v0.18 (the default); `legacy` = the spelling of KES ≤ v0.17 that the
 * guide's era and MinIO builds vendoring a pre-2022 KES client expect (`prohibited by policy`,
 * `key does already exist`). Chosen by config `errors: legacy` (YAML) / `errors = "legacy"` (TOML).
 */
export type ErrorSpelling = 'head' | 'legacy';

export const errNotFound = (): KesError => new KesError(404, 'key does not exist');
export const errExists = (s: ErrorSpelling = 'head'): KesError =>
  new KesError(400, s === 'legacy' ? 'key does already exist' : 'key already exists');
export const errNotAllowed = (s: ErrorSpelling = 'head'): KesError =>
  new KesError(403, s === 'legacy' ? 'prohibited by policy' : 'not authorized: insufficient permissions');
export const errNotAuthentic = (): KesError =>
  new KesError(400, 'decryption failed: ciphertext is not authentic');
export const errInvalidBody = (): KesError => new KesError(400, 'invalid request body');
export const errInvalidImportBody = (): KesError => new KesError(400, 'invalid import key request body');
export const errBodyTooLarge = (): KesError => new KesError(413, 'request body too large');
export const errNoCert = (): KesError => new KesError(400, 'tls: client certificate is required');
export const errInsecure = (): KesError => new KesError(400, 'insecure connection: TLS is required');
export const errInvalidName = (what: 'key' | 'policy' | 'identity', name: string): KesError =>
  new KesError(
    400,
    what === 'identity'
      ? `identity '${name}' is empty, too long or contains invalid characters`
      : `${what} name '${name}' is empty, too long or contains invalid characters`,
  );
export const errPolicyNotFound = (): KesError => new KesError(404, 'policy does not exist');
export const errIdentityNotFound = (): KesError => new KesError(404, 'identity does not exist');
export const errUnsupportedCipher = (c: string): KesError =>
  new KesError(406, `algorithm '${c}' is not supported`);
export const errInvalidKeySize = (c: string): KesError => new KesError(406, `invalid key size for '${c}'`);
export const errMethod = (got: string, want: string): KesError =>
  new KesError(405, `received method '${got}' expected '${want}'`);
export const errNotFoundRoute = (): KesError => new KesError(404, '404 page not found');

/** Keystore failures, by operation: always 502 so clients fail over to another KES node. */
export const errKeystore = {
  create: (): KesError => new KesError(502, 'failed to create key'),
  get: (): KesError => new KesError(502, 'failed to read key'),
  delete: (): KesError => new KesError(502, 'failed to delete key'),
  list: (): KesError => new KesError(502, 'failed to list keys'),
} as const;

export const errGenerate = (): KesError => new KesError(500, 'failed to generate encryption key');
export const errEncrypt = (): KesError => new KesError(500, 'failed to encrypt plaintext');
export const errReadyUnreachable = (): KesError => new KesError(504, 'key store is not reachable');
export const errReadyUnavailable = (): KesError => new KesError(502, 'key store is unavailable');
