// The KMS contract the object store encrypts with: one interface, two implementations (a KES client
// and MinIO's single static key). Errors are KmsError values whose `kind` the S3 layer maps to the
// `kms:*` error codes (docs/minio-sse.md#kms-errors) and the admin layer to 500 InternalError.

/**
 * What went wrong in a KMS call. `key-not-found`: no such master key; `key-exists`: create of an
 * existing key; `not-authorized`: the KMS refused this identity; `not-authentic`: ciphertext or context
 * do not verify; `not-supported`: the KMS cannot do this (static key: create another key);
 * `unavailable`: no endpoint answered in time (network errors, 5xx, the deadline passed, too many
 * requests already waiting); `failed`: any other KMS answer.
 */
export type KmsErrorKind =
  | 'key-not-found'
  | 'key-exists'
  | 'not-authorized'
  | 'not-authentic'
  | 'not-supported'
  | 'unavailable'
  | 'failed';

/** A failed KMS operation. The message is the KMS's own text; it never contains key material. */
export class KmsError extends Error {
  constructor(
    readonly kind: KmsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'KmsError';
  }
}

/** True for values thrown as KmsError. */
export function isKmsError(err: unknown): err is KmsError {
  return err instanceof KmsError;
}

/** A fresh data key: `plaintext` (32 bytes, the caller zeroes it) and its sealed form to store. */
export interface DataKey {
  keyId: string;
  plaintext: Buffer;
  ciphertext: Buffer;
}

/** The KMS status as the admin API reports it (docs/minio-sse.md#admin-kms-api). */
export interface KmsStatus {
  name: 'MinIO KES' | 'MinIO builtin';
  defaultKeyId: string;
  endpoints: Record<string, 'online' | 'offline'>;
  /** How long the KMS has been up, in seconds (the longest of the online KES servers); absent when unknown. */
  uptimeSeconds?: number;
}

/** A key-management service. All calls may throw KmsError. */
export interface Kms {
  /** Name of the default key (SSE-S3, auto-encryption, SSE-KMS without a key id). */
  readonly defaultKeyId: string;
  /** A new data key under master key `keyId`, sealed with `context` as associated data. */
  generateKey(keyId: string, context: Uint8Array): Promise<DataKey>;
  /** The plaintext of a data key sealed by {@link generateKey} with the same key and context. */
  decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer>;
  /** Creates master key `keyId`. */
  createKey(keyId: string): Promise<void>;
  /** Resolves when `keyId` exists (keeps remote key caches warm). */
  describeKey(keyId: string): Promise<void>;
  /**
   * Names of the master keys that start with `prefix` (a trailing `*` is ignored; empty or `*` alone: all),
   * sorted.
   */
  listKeys(prefix: string): Promise<string[]>;
  /** Per-endpoint reachability. Never throws for an unreachable endpoint: it is reported offline. */
  status(): Promise<KmsStatus>;
  /** Releases connections and timers. */
  close(): void;
}
