// The contract between the server and where master keys live. Values are opaque strings: the
// server encodes keys (see key.ts) and a keystore only stores, fetches, deletes and lists them.

/** Thrown by `create` when the name is taken. */
export class KeyExistsError extends Error {
  constructor(name: string) {
    super(`key '${name}' already exists`);
    this.name = 'KeyExistsError';
  }
}

/** Thrown by `get` when the name is unknown. */
export class KeyNotFoundError extends Error {
  constructor(name: string) {
    super(`key '${name}' does not exist`);
    this.name = 'KeyNotFoundError';
  }
}

/**
 * Thrown for any failure of the backing store itself (network error, timeout, sealed Vault,
 * unexpected status, I/O error). The message is for the error log; it never carries key material.
 */
export class KeystoreUnavailableError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = 'KeystoreUnavailableError';
    this.cause = cause;
  }
}

/** Result of `status`: reachability and the round-trip time of the probe. */
export interface KeystoreState {
  /** Milliseconds the probe took. */
  latencyMs: number;
  /** False when the store cannot be reached or cannot serve (e.g. Vault sealed or not initialized). */
  reachable: boolean;
  /** True when the store answered but cannot serve (sealed, not initialized): `/v1/ready` → 502, not 504. */
  unavailable?: boolean;
  /** Why the store is not reachable, for logs. */
  reason?: string;
}

/**
 * A key-value store of master keys. Names are already validated by the API
 * (docs/kes-protocol.md#transport-and-common-rules).
 * - `create(name, value)`: stores a new entry; KeyExistsError if present; KeystoreUnavailableError.
 * - `get(name)`: the stored value; KeyNotFoundError; KeystoreUnavailableError.
 * - `delete(name)`: removes the entry; deleting an absent name is not an error; KeystoreUnavailableError.
 * - `list(prefix)`: all names starting with `prefix`, sorted; KeystoreUnavailableError.
 * - `status()`: never throws; reports reachability.
 * - `close()`: stops background work (token renewal, health loop).
 * `signal` aborts an operation when the request deadline passes (→ KeystoreUnavailableError).
 */
export interface Keystore {
  create(name: string, value: string, signal?: AbortSignal): Promise<void>;
  get(name: string, signal?: AbortSignal): Promise<string>;
  delete(name: string, signal?: AbortSignal): Promise<void>;
  list(prefix: string, signal?: AbortSignal): Promise<string[]>;
  status(signal?: AbortSignal): Promise<KeystoreState>;
  close(): Promise<void>;
}
