// MinIO's builtin KMS: one static 32-byte master key (docs/minio-sse.md#static-key). Data keys use KES's
// format (76-byte raw ciphertext, HMAC-SHA256(masterKey, iv) → AES-256-GCM, context as AAD), so a key
// imported into KES under the same name opens every data key sealed here, and the reverse.
import { CryptoError, openDataKey, sealDataKey, secureRandomBytes, zeroize } from '@kms-chain/crypto';
import { type DataKey, type Kms, KmsError, type KmsStatus } from './kms.js';

/** The single-key KMS. The key Buffer is copied; `close()` zeroes the copy. */
export class StaticKeyKms implements Kms {
  readonly #key: Buffer;

  constructor(
    readonly defaultKeyId: string,
    key: Uint8Array,
  ) {
    if (key.length !== 32) throw new Error(`kms: invalid key length ${key.length}`);
    this.#key = Buffer.from(key);
  }

  #check(keyId: string): void {
    if (keyId !== '' && keyId !== this.defaultKeyId) {
      throw new KmsError('key-not-found', 'key with given key ID does not exist');
    }
  }

  async generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    this.#check(keyId);
    const plaintext = secureRandomBytes(32);
    const ciphertext = sealDataKey(this.#key, plaintext, context, 'AES256');
    return { keyId: this.defaultKeyId, plaintext, ciphertext };
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    this.#check(keyId);
    try {
      return openDataKey(this.#key, ciphertext, context);
    } catch (err) {
      if (err instanceof CryptoError) throw new KmsError('not-authentic', err.message);
      throw err;
    }
  }

  async createKey(keyId: string): Promise<void> {
    if (keyId === this.defaultKeyId) throw new KmsError('key-exists', 'key with given key ID already exists');
    throw new KmsError('not-supported', 'requested functionality is not supported');
  }

  async describeKey(keyId: string): Promise<void> {
    this.#check(keyId);
  }

  async listKeys(prefix: string): Promise<string[]> {
    return this.defaultKeyId.startsWith(prefix.replace(/\*$/, '')) ? [this.defaultKeyId] : [];
  }

  async status(): Promise<KmsStatus> {
    // The builtin KMS is up as long as the server is.
    return {
      name: 'MinIO builtin',
      defaultKeyId: this.defaultKeyId,
      endpoints: { '127.0.0.1': 'online' },
      uptimeSeconds: Math.floor(process.uptime()),
    };
  }

  close(): void {
    zeroize(this.#key);
  }
}
