// Shamir seal: init splits a fresh KEK into shares; unseal collects shares until the threshold,
// rebuilds the KEK, opens the root key stored at core/hsm/barrier-unseal-keys and with it the
// barrier. Progress lives only in memory; a restart starts over.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  barrierDecrypt,
  barrierEncrypt,
  constantTimeEqual,
  shamirCombine,
  shamirSplit,
  zeroize,
} from '@kms-chain/crypto';
import { badRequest, VaultError } from './errors.js';
import { releaseSecret, secretCopy } from './mlock.js';
import type { Storage } from './storage/storage.js';

export const SEAL_CONFIG_PATH = 'core/seal-config';
export const UNSEAL_KEYS_PATH = 'core/hsm/barrier-unseal-keys';

export interface SealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
  pgp_keys: null;
  nonce: string;
  backup: boolean;
  stored_shares: number;
}

const invalid = (msg: string) => badRequest(`invalid seal configuration: ${msg}`);

/** Validates init parameters with Vault's messages. */
export function validateSealConfig(shares: number, threshold: number): void {
  if (shares < 1) throw invalid('shares must be at least one');
  if (threshold < 1) throw invalid('threshold must be at least one');
  if (shares > 1 && threshold < 2) throw invalid('threshold must be greater than one for multiple shares');
  if (shares > 255) throw invalid('shares must be less than 256');
  if (threshold > 255) throw invalid('threshold must be less than 256');
  if (threshold > shares) throw invalid('threshold cannot be larger than shares');
}

/** Splits a KEK into shares as Vault does (one share = the raw key). */
export function splitKey(kek: Buffer, shares: number, threshold: number): Buffer[] {
  if (shares === 1) return [Buffer.from(kek)];
  return shamirSplit(kek, shares, threshold);
}

/** Decodes an unseal key: hex when it decodes to 16–33 bytes, else standard base64. */
export function decodeUnsealKey(key: string): Buffer {
  if (/^[0-9a-fA-F]*$/.test(key) && key.length % 2 === 0) {
    const hex = Buffer.from(key, 'hex');
    if (hex.length >= 16 && hex.length <= 33) return hex;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(key) || key.length % 4 === 1)
    throw badRequest("'key' must be a valid hex or base64 string");
  const b = Buffer.from(key, 'base64');
  if (b.length === 0) throw badRequest("'key' must be a valid hex or base64 string");
  if (b.length < 16) throw badRequest('key is shorter than minimum 16 bytes');
  if (b.length > 33) throw badRequest('key is longer than maximum 33 bytes');
  return b;
}

export async function readSealConfig(storage: Storage): Promise<SealConfig | undefined> {
  const raw = await storage.get(SEAL_CONFIG_PATH);
  return raw ? (JSON.parse(raw.toString('utf8')) as SealConfig) : undefined;
}

/** Writes seal config and the KEK-wrapped root key; returns the KEK for splitting. */
export async function writeSeal(
  storage: Storage,
  shares: number,
  threshold: number,
  rootKey: Buffer,
): Promise<Buffer> {
  const kek = randomBytes(32);
  const config: SealConfig = {
    type: 'shamir',
    secret_shares: shares,
    secret_threshold: threshold,
    pgp_keys: null,
    nonce: '',
    backup: false,
    stored_shares: 1,
  };
  const stored = Buffer.from(JSON.stringify([rootKey.toString('base64')]));
  try {
    await storage.put(UNSEAL_KEYS_PATH, barrierEncrypt(kek, 1, UNSEAL_KEYS_PATH, stored));
  } finally {
    zeroize(stored);
  }
  await storage.put(SEAL_CONFIG_PATH, Buffer.from(JSON.stringify(config)));
  return kek;
}

/** Opens the stored root key with a KEK; a wrong KEK is Vault's 500 GCM failure. */
export async function openRootKey(storage: Storage, kek: Buffer): Promise<Buffer> {
  const blob = await storage.get(UNSEAL_KEYS_PATH);
  if (!blob) throw new VaultError(500, ['unable to retrieve stored keys: no stored keys found']);
  let plain: Buffer;
  try {
    plain = barrierDecrypt(() => kek, UNSEAL_KEYS_PATH, blob);
  } catch {
    throw new VaultError(500, [
      'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed',
    ]);
  }
  try {
    const keys = JSON.parse(plain.toString('utf8')) as string[];
    return Buffer.from(keys[0]!, 'base64');
  } finally {
    zeroize(plain);
  }
}

/** One unseal attempt: shares received so far and the attempt's nonce. */
export class UnsealProgress {
  #shares: Buffer[] = [];
  #nonce = '';

  get progress(): number {
    return this.#shares.length;
  }

  get nonce(): string {
    return this.#nonce;
  }

  reset(): void {
    for (const s of this.#shares) releaseSecret(s);
    this.#shares = [];
    this.#nonce = '';
  }

  /**
   * Adds a share; returns the rebuilt KEK once `threshold` distinct shares are in (the attempt is
   * then cleared), else undefined. Byte-identical duplicates are ignored.
   */
  add(share: Buffer, threshold: number): Buffer | undefined {
    if (this.#shares.some((s) => constantTimeEqual(s, share))) return undefined;
    if (this.#shares.length === 0) this.#nonce = randomUUID();
    // Shares wait in locked memory (when the server locked it) until the threshold is reached.
    this.#shares.push(secretCopy(share));
    if (this.#shares.length < threshold) return undefined;
    const shares = this.#shares;
    this.#shares = [];
    this.#nonce = '';
    try {
      if (threshold === 1) return Buffer.from(shares[0]!);
      try {
        return shamirCombine(shares);
      } catch (err) {
        throw badRequest(`failed to compute root key: ${(err as Error).message}`);
      }
    } finally {
      for (const s of shares) releaseSecret(s);
    }
  }
}
