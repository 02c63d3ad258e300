// /v1/key/* handlers.
import { zeroize } from '@kms-chain/crypto';
import {
  errEncrypt,
  errExists,
  errGenerate,
  errInvalidBody,
  errInvalidImportBody,
  errInvalidKeySize,
  errKeystore,
  errNotAuthentic,
  errNotFound,
  errUnsupportedCipher,
  KesError,
} from '../../errors.js';
import {
  decryptWith,
  encryptWith,
  hmacWith,
  type KesKey,
  newKey,
  parseCipher,
  randomDataKey,
  rfc3339,
} from '../../key.js';
import { KeyExistsError, KeyNotFoundError } from '../../keystore/keystore.js';
import { bytesField, parseJsonObject, stringField, toB64 } from '../body.js';
import { checkName, checkPrefix } from '../names.js';
import type { HandlerResult, RequestContext } from '../types.js';

function keystoreFailure(ctx: RequestContext, op: keyof typeof errKeystore, err: unknown): KesError {
  ctx.state.logs.error(`kes: failed to ${op} key: ${(err as Error)?.message ?? String(err)}`);
  return errKeystore[op]();
}

/** Loads a key through the cache; 404 when absent, 502 when the keystore fails. */
export async function loadKey(ctx: RequestContext, name: string): Promise<KesKey> {
  const cached = ctx.state.keys.peek(name);
  if (cached) return cached;
  try {
    return await ctx.state.keys.get(name, ctx.signal);
  } catch (err) {
    if (err instanceof KeyNotFoundError) throw errNotFound();
    throw keystoreFailure(ctx, 'get', err);
  }
}

async function storeKey(ctx: RequestContext, name: string, key: KesKey): Promise<void> {
  try {
    await ctx.state.keys.create(name, key, ctx.signal);
  } catch (err) {
    if (err instanceof KeyExistsError) throw errExists(ctx.state.config.errors);
    throw keystoreFailure(ctx, 'create', err);
  } finally {
    zeroize(key.bytes);
  }
}

export async function createKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  await storeKey(ctx, name, newKey(ctx.identity ?? ''));
  return undefined;
}

export async function importKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  const req = parseJsonObject(ctx.body, errInvalidImportBody);
  // HEAD sends {key, cipher}; v0.22 sent {bytes, algorithm}; both are accepted
  // (docs/kes-protocol.md#legacy-routes-and-bodies).
  const field = req.key !== undefined ? 'key' : 'bytes';
  const bytes = bytesField(req, field, errInvalidImportBody);
  const cipherName =
    stringField(req, req.cipher !== undefined ? 'cipher' : 'algorithm', errInvalidImportBody) || 'AES256';
  const cipher = parseCipher(cipherName);
  if (!cipher) {
    zeroize(bytes);
    throw errUnsupportedCipher(cipherName);
  }
  if (bytes.length !== 32) {
    zeroize(bytes);
    throw errInvalidKeySize(cipherName);
  }
  await storeKey(ctx, name, { bytes, cipher, createdAt: rfc3339(new Date()), createdBy: ctx.identity ?? '' });
  return undefined;
}

export async function describeKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  const key = await loadKey(ctx, name);
  const json: Record<string, string> = { name, algorithm: key.cipher };
  if (key.createdAt) json.created_at = key.createdAt;
  if (key.createdBy) json.created_by = key.createdBy;
  return { json };
}

export async function deleteKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  try {
    await ctx.state.keys.delete(name, ctx.signal);
  } catch (err) {
    throw keystoreFailure(ctx, 'delete', err);
  }
  return undefined;
}

export async function listKeys(ctx: RequestContext): Promise<HandlerResult> {
  const prefix = checkPrefix('key', ctx.resource);
  let names: string[];
  try {
    names = await ctx.state.keys.list(prefix, ctx.signal);
  } catch (err) {
    throw keystoreFailure(ctx, 'list', err);
  }
  return { json: { names } };
}

export async function generateKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  // Like KES, the body is optional: read only when one was sent.
  const req = ctx.body.length > 0 ? parseJsonObject(ctx.body) : {};
  const context = bytesField(req, 'context');
  const key = await loadKey(ctx, name);
  const dek = randomDataKey();
  try {
    let ciphertext: Buffer;
    try {
      ciphertext = encryptWith(key, dek, context);
    } catch (err) {
      ctx.state.logs.error(`kes: failed to generate encryption key: ${(err as Error).message}`);
      throw errGenerate();
    }
    return { json: { plaintext: toB64(dek), ciphertext: toB64(ciphertext) } };
  } finally {
    zeroize(dek);
  }
}

export async function encryptKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  const req = parseJsonObject(ctx.body);
  const plaintext = bytesField(req, 'plaintext');
  const context = bytesField(req, 'context');
  const key = await loadKey(ctx, name);
  try {
    return { json: { ciphertext: toB64(encryptWith(key, plaintext, context)) } };
  } catch (err) {
    ctx.state.logs.error(`kes: failed to encrypt plaintext: ${(err as Error).message}`);
    throw errEncrypt();
  } finally {
    zeroize(plaintext);
  }
}

function openCiphertext(key: KesKey, ciphertext: Buffer, context: Buffer): Buffer {
  try {
    return decryptWith(key, ciphertext, context);
  } catch {
    throw errNotAuthentic();
  }
}

export async function decryptKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  const req = parseJsonObject(ctx.body);
  const ciphertext = bytesField(req, 'ciphertext');
  const context = bytesField(req, 'context');
  const key = await loadKey(ctx, name);
  const plaintext = openCiphertext(key, ciphertext, context);
  try {
    return { json: { plaintext: toB64(plaintext) } };
  } finally {
    zeroize(plaintext);
  }
}

/** KES v0.19–v0.22 `POST /v1/key/bulk/decrypt/{name}`: up to 1000 ciphertexts in one call. */
export async function bulkDecryptKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  let doc: unknown;
  try {
    doc = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    throw errInvalidBody();
  }
  if (!Array.isArray(doc)) throw errInvalidBody();
  if (doc.length > 1000) throw new KesError(400, 'too many ciphertexts');
  const items = doc.map((d) => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw errInvalidBody();
    const o = d as Record<string, unknown>;
    return { ciphertext: bytesField(o, 'ciphertext'), context: bytesField(o, 'context') };
  });
  const key = await loadKey(ctx, name);
  const out = items.map((it) => {
    const p = openCiphertext(key, it.ciphertext, it.context);
    const s = toB64(p);
    zeroize(p);
    return { plaintext: s };
  });
  return { json: out };
}

export async function hmacKey(ctx: RequestContext): Promise<HandlerResult> {
  const name = checkName('key', ctx.resource);
  const req = parseJsonObject(ctx.body);
  const message = bytesField(req, 'message');
  const key = await loadKey(ctx, name);
  return { json: { hmac: toB64(hmacWith(key, message)) } };
}
