// Counts the outcome of every KMS operation the object store makes, as MinIO's KMS wrapper does for
// its metrics (minio_cluster_kms_request_success / _error / _failure, docs/observability.md): success;
// error, a refusal the KMS gave (no such key, not allowed, not authentic: its 4xx); failure, the KMS
// could not answer (unreachable, timed out, its 5xx). MinIO counts a network error as an error; here
// it is a failure, because it is one of the KMS, not of the request. Status calls are not counted
// (neither are MinIO's).
import { type DataKey, isKmsError, type Kms, type KmsStatus } from './kms.js';

/** Request outcomes since the start (monotonic counters). */
export interface KmsRequestCounts {
  success: number;
  error: number;
  failure: number;
}

/** A Kms that counts the outcome of each call it passes on; `close()` closes the inner one. */
export class MeteredKms implements Kms {
  readonly counts: KmsRequestCounts = { success: 0, error: 0, failure: 0 };

  constructor(readonly inner: Kms) {}

  get defaultKeyId(): string {
    return this.inner.defaultKeyId;
  }

  #count<T>(call: Promise<T>): Promise<T> {
    return call.then(
      (v) => {
        this.counts.success++;
        return v;
      },
      (err: unknown) => {
        if (isKmsError(err) && err.kind !== 'unavailable') this.counts.error++;
        else this.counts.failure++;
        throw err;
      },
    );
  }

  generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    return this.#count(this.inner.generateKey(keyId, context));
  }

  decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    return this.#count(this.inner.decrypt(keyId, ciphertext, context));
  }

  createKey(keyId: string): Promise<void> {
    return this.#count(this.inner.createKey(keyId));
  }

  describeKey(keyId: string): Promise<void> {
    return this.#count(this.inner.describeKey(keyId));
  }

  listKeys(prefix: string): Promise<string[]> {
    return this.#count(this.inner.listKeys(prefix));
  }

  status(): Promise<KmsStatus> {
    return this.inner.status();
  }

  close(): void {
    this.inner.close();
  }
}
