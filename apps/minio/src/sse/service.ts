// Server-side encryption for the S3 handlers: which encryption a write gets (headers > bucket default >
// auto-encryption), the key hierarchy per object (docs/minio-sse.md#key-hierarchy), ETag rules (#etags), response
// headers (#response-headers), the encrypting write stream and the ranged decrypting read stream (#ranged-reads), and the
// mapping of KMS failures to S3 errors (#kms-errors). Exactly one KMS call per write and per read.
import { pipeline, type Readable } from 'node:stream';
import {
  CryptoError,
  canonicalContextJson,
  createDareRangeDecryptStream,
  DARE_PAYLOAD_SIZE,
  dareEncryptOffThread,
  dareSeal,
  generateObjectKey,
  goPathJoin,
  isETagSealed,
  multipartPartNonce,
  partKey,
  planDareRange,
  releaseDareBatch,
  type SseDomain,
  sealETag,
  sealObjectKey,
  secureRandomBytes,
  unsealETag,
  unsealObjectKey,
  zeroize,
} from '@kms-chain/crypto';
import { S3Error } from '../errors.js';
import { isKmsError, type Kms } from '../kms/kms.js';
import type { ObjectReader } from '../storage/open-object.js';
import { type BucketEncryption, type BucketEncryptionStore, defaultKeyIdOf } from './bucket-encryption.js';
import { META, readSealedMetadata, type SealedMetadata, writeSealedMetadata } from './metadata.js';
import {
  type HeaderGetter,
  hasSseC,
  insecureSseC,
  KMS_ARN_PREFIX,
  parseSseC,
  parseSseRequest,
  SSE_CONTEXT,
  SSE_HEADER,
  SSE_KMS_KEY_ID,
  SSEC_PREFIX,
  type SseRequest,
} from './request.js';

/** Settings of the SSE service. */
export interface SseOptions {
  kms?: Kms | undefined;
  /** MINIO_KMS_AUTO_ENCRYPTION=on: writes without SSE headers or bucket default get SSE-KMS (default key). */
  autoEncryption?: boolean | undefined;
  /** Accept SSE-C over plain HTTP (a deliberate deviation from MinIO, off by default). */
  allowInsecureSseC?: boolean | undefined;
  buckets: BucketEncryptionStore;
}

/** The object key of an object being written or read, and what the client is told. */
export interface ObjectKeyMaterial {
  kind: SseDomain;
  /** The 32-byte object key; the handler calls {@link ObjectKeyMaterial.dispose} when done. */
  oek: Buffer;
  /** Internal metadata to store (writes). */
  internal: Record<string, string>;
  /** x-amz-server-side-encryption* response headers. */
  headers: Record<string, string>;
  dispose(): void;
}

const NOT_CONFIGURED = 'Server side encryption specified but KMS is not configured';

/** Maps a KMS failure to the S3 error MinIO returns. */
export function kmsToS3Error(err: unknown, op: 'generate' | 'decrypt'): unknown {
  if (!isKmsError(err)) return err;
  switch (err.kind) {
    case 'key-not-found':
      return new S3Error('kms:KeyNotFound');
    case 'not-authorized':
      return new S3Error('kms:NotAuthorized');
    case 'not-authentic':
      return new S3Error('kms:InvalidCiphertextException');
    case 'not-supported':
      return new S3Error('kms:NotSupported');
    case 'key-exists':
      return new S3Error('kms:KeyAlreadyExists');
    default:
      return new S3Error(op === 'generate' ? 'kms:KeyGenerationFailed' : 'kms:DecryptionFailed');
  }
}

function kmsContext(bucket: string, object: string, client: Record<string, string> | undefined): Buffer {
  const ctx: Record<string, string> = { ...(client ?? {}) };
  if (!Object.hasOwn(ctx, bucket)) ctx[bucket] = goPathJoin(bucket, object);
  return canonicalContextJson(ctx);
}

function material(
  kind: SseDomain,
  oek: Buffer,
  internal: Record<string, string>,
  headers: Record<string, string>,
): ObjectKeyMaterial {
  return { kind, oek, internal, headers, dispose: () => zeroize(oek) };
}

/** Response headers of an encrypted object (docs/minio-sse.md#response-headers). */
export function sseResponseHeaders(meta: SealedMetadata, ssecKeyMd5?: string): Record<string, string> {
  if (meta.kind === 'SSE-S3') return { [SSE_HEADER]: 'AES256' };
  if (meta.kind === 'SSE-KMS') {
    const id = meta.keyId ?? '';
    const h: Record<string, string> = {
      [SSE_HEADER]: 'aws:kms',
      [SSE_KMS_KEY_ID]: id.startsWith(KMS_ARN_PREFIX) ? id : KMS_ARN_PREFIX + id,
    };
    if (meta.context !== undefined) h[SSE_CONTEXT] = meta.context;
    return h;
  }
  return {
    [`${SSEC_PREFIX}algorithm`]: 'AES256',
    ...(ssecKeyMd5 !== undefined ? { [`${SSEC_PREFIX}key-md5`]: ssecKeyMd5 } : {}),
  };
}

/** The SSE service of one server. */
export class SseService {
  readonly kms: Kms | undefined;
  readonly autoEncryption: boolean;
  readonly allowInsecureSseC: boolean;
  readonly buckets: BucketEncryptionStore;

  constructor(opts: SseOptions) {
    this.kms = opts.kms;
    this.autoEncryption = opts.autoEncryption ?? false;
    this.allowInsecureSseC = opts.allowInsecureSseC ?? false;
    this.buckets = opts.buckets;
  }

  /**
   * Stores a bucket's default encryption. An aws:kms default is tried first: MinIO test-generates a data
   * key so that an unusable key is refused now (kms:* error), not at the next PUT. 501 NotImplemented
   * without a KMS; NoSuchBucket when the bucket does not exist.
   */
  async setBucketDefault(bucket: string, config: BucketEncryption): Promise<void> {
    const kms = this.requireKms();
    if (config.algorithm === 'aws:kms') {
      try {
        const dk = await kms.generateKey(
          defaultKeyIdOf(config),
          canonicalContextJson({ 'MinIO admin API': 'ServerInfoHandler' }),
        );
        zeroize(dk.plaintext);
      } catch (err) {
        throw kmsToS3Error(err, 'generate');
      }
    }
    await this.buckets.put(bucket, config);
  }

  /** The KMS, or 501 NotImplemented when none is configured. */
  requireKms(): Kms {
    if (!this.kms) throw new S3Error('NotImplemented', NOT_CONFIGURED);
    return this.kms;
  }

  /**
   * The encryption of a write: request headers, else the bucket default, else auto-encryption (SSE-KMS
   * with the default key, as MinIO does since 2021); undefined = plaintext.
   */
  async resolveWrite(get: HeaderGetter, bucket: string, isSecure: boolean): Promise<SseRequest | undefined> {
    const req = parseSseRequest(get, isSecure || this.allowInsecureSseC);
    if (req) return req;
    const def = await this.buckets.get(bucket);
    if (def) {
      return def.algorithm === 'AES256'
        ? { kind: 'SSE-S3' }
        : { kind: 'SSE-KMS', keyId: defaultKeyIdOf(def), context: undefined };
    }
    if (this.autoEncryption) return { kind: 'SSE-KMS', keyId: '', context: undefined };
    return undefined;
  }

  /** Creates and seals a new object key (one KMS GenerateKey for SSE-S3/SSE-KMS). */
  async createKey(
    req: SseRequest,
    bucket: string,
    object: string,
    multipart = false,
  ): Promise<ObjectKeyMaterial> {
    if (req.kind === 'SSE-C') {
      // The customer's key is used once, here, and never stored.
      try {
        const oek = generateObjectKey(req.key);
        const sealed = sealObjectKey(oek, req.key, { domain: 'SSE-C', bucket, object });
        const meta: SealedMetadata = { kind: 'SSE-C', sealed, multipart };
        return material('SSE-C', oek, writeSealedMetadata(meta), sseResponseHeaders(meta, req.keyMd5));
      } finally {
        zeroize(req.key);
      }
    }
    const kms = this.requireKms();
    const keyId = req.kind === 'SSE-KMS' && req.keyId !== '' ? req.keyId : kms.defaultKeyId;
    const client = req.kind === 'SSE-KMS' ? req.context : undefined;
    let dk: Awaited<ReturnType<Kms['generateKey']>>;
    try {
      dk = await kms.generateKey(keyId, kmsContext(bucket, object, client));
    } catch (err) {
      throw kmsToS3Error(err, 'generate');
    }
    try {
      const oek = generateObjectKey(dk.plaintext);
      const sealed = sealObjectKey(oek, dk.plaintext, { domain: req.kind, bucket, object });
      const meta: SealedMetadata = {
        kind: req.kind,
        sealed,
        keyId,
        dataKey: dk.ciphertext,
        context: client !== undefined ? canonicalContextJson(client).toString('base64') : undefined,
        multipart,
      };
      return material(req.kind, oek, writeSealedMetadata(meta), sseResponseHeaders(meta));
    } finally {
      zeroize(dk.plaintext);
    }
  }

  /**
   * Checks the SSE headers of a read (GET, HEAD, copy source with `copy`) against the object (docs/minio-sse.md#sse-c) and
   * unseals its object key: one KMS Decrypt for SSE-S3/SSE-KMS, none for SSE-C. Undefined for a
   * plaintext object. With `needKey: false` an SSE-S3/SSE-KMS key is not unsealed (no KMS call; `oek`
   * is then empty); SSE-C keys are always verified. `upload`: the object is a multipart upload and the
   * request an UploadPart (SSE-C uploads need the SSE-C headers on every part).
   */
  async openForRead(
    get: HeaderGetter,
    bucket: string,
    object: string,
    internal: Record<string, string> | undefined,
    opts: { isSecure: boolean; copy?: boolean; needKey?: boolean; upload?: boolean },
  ): Promise<ObjectKeyMaterial | undefined> {
    const copy = opts.copy ?? false;
    if (!(opts.isSecure || this.allowInsecureSseC) && hasSseC(get, copy)) throw insecureSseC();
    const meta = readSealedMetadata(internal);
    if (!copy && !opts.upload && get(SSE_HEADER) !== undefined) throw notApplicable();
    if (opts.upload && meta?.kind === 'SSE-C' && !hasSseC(get)) {
      throw new S3Error(
        'InvalidRequest',
        'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
      );
    }
    if (opts.upload && meta && meta.kind !== 'SSE-C' && hasSseC(get, copy)) {
      throw new S3Error(
        'InvalidRequest',
        'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
      );
    }
    const ssec = parseSseC(get, copy);
    if (!meta) {
      if (ssec) {
        ssec.key.fill(0);
        throw notApplicable();
      }
      return undefined;
    }
    if (meta.kind === 'SSE-C') {
      if (!ssec) {
        if (copy) {
          throw new S3Error(
            'InvalidArgument',
            'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
          );
        }
        throw storedEncrypted();
      }
      try {
        const oek = unsealObjectKey(meta.sealed, ssec.key, { domain: 'SSE-C', bucket, object });
        return material('SSE-C', oek, {}, sseResponseHeaders(meta, ssec.keyMd5));
      } catch (err) {
        if (err instanceof CryptoError) throw new S3Error('AccessDenied');
        throw err;
      } finally {
        ssec.key.fill(0);
      }
    }
    if (ssec) {
      ssec.key.fill(0);
      throw storedEncrypted();
    }
    if (opts.needKey === false) return material(meta.kind, Buffer.alloc(0), {}, sseResponseHeaders(meta));
    const kms = this.requireKms();
    const client =
      meta.context !== undefined
        ? JSON.parse(Buffer.from(meta.context, 'base64').toString('utf8'))
        : undefined;
    let ek: Buffer;
    try {
      ek = await kms.decrypt(
        meta.keyId ?? '',
        meta.dataKey ?? Buffer.alloc(0),
        kmsContext(bucket, object, client),
      );
    } catch (err) {
      throw kmsToS3Error(err, 'decrypt');
    }
    try {
      const oek = unsealObjectKey(meta.sealed, ek, { domain: meta.kind, bucket, object });
      return material(meta.kind, oek, {}, sseResponseHeaders(meta));
    } catch (err) {
      if (err instanceof CryptoError) {
        throw new S3Error('XMinioObjectTampered');
      }
      throw err;
    } finally {
      zeroize(ek);
    }
  }

  /** The object's SSE kind from its metadata (no key needed), or undefined. */
  kindOf(internal: Record<string, string> | undefined): SealedMetadata | undefined {
    return readSealedMetadata(internal);
  }
}

function notApplicable(): S3Error {
  return new S3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.');
}

function storedEncrypted(): S3Error {
  return new S3Error(
    'InvalidRequest',
    'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
  );
}

/**
 * The stored ETag of an encrypted object's content: DARE-sealed under the object key. SSE-S3 seals the
 * content MD5; SSE-KMS/SSE-C seal the Content-MD5 the client sent, else 16 random bytes, as MinIO does.
 */
export function storedEtag(kind: SseDomain, oek: Buffer, md5: Buffer, clientSentMd5: boolean): string {
  const value = kind === 'SSE-S3' || clientSentMd5 ? md5 : secureRandomBytes(16);
  return sealETag(oek, value).toString('hex');
}

/**
 * The ETag clients see (docs/minio-sse.md#etags): multipart and plain ETags as stored; a sealed ETag of an SSE-S3 object
 * decrypted (needs `oek`); of SSE-KMS/SSE-C the last 32 hex characters.
 */
export function visibleEtag(stored: string, kind: SseDomain | undefined, oek?: Buffer): string {
  if (kind === undefined || stored.includes('-') || !/^[0-9a-f]+$/.test(stored)) return stored;
  const bytes = Buffer.from(stored, 'hex');
  if (!isETagSealed(bytes)) return stored;
  if (kind !== 'SSE-S3') return stored.slice(-32);
  if (!oek) throw new Error('an SSE-S3 ETag needs the object key');
  try {
    return unsealETag(oek, bytes).toString('hex');
  } catch {
    throw new S3Error('XMinioObjectTampered');
  }
}

/**
 * Encrypts a plaintext chunk stream as one DARE 2.0 stream. Multipart parts pass their part key and the
 * deterministic nonce (docs/minio-sse.md#multipart-encryption); single-part objects use the object key and a random nonce. A body that
 * ends within one 64 KiB package is sealed here in one call (small PUTs are dominated by per-request
 * costs); a longer one is sealed on a worker thread, beside this thread's TLS, MD5 and file writes.
 */
export async function* encryptChunks(
  source: AsyncIterable<Buffer>,
  key: Buffer,
  nonce?: Buffer,
): AsyncGenerator<Buffer> {
  const options = nonce ? { nonce } : {};
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      if (size > 0) yield dareSeal(key, Buffer.concat(head, size), options);
      return;
    }
    head.push(r.value);
    size += r.value.length;
    if (size > DARE_PAYLOAD_SIZE) break;
  }
  // The chunks read so far, then the rest of the source itself: no generator in between, which would
  // cost a resume per chunk on this thread.
  const rest: AsyncIterator<Buffer> = {
    next: () => (head.length > 0 ? Promise.resolve({ value: head.shift()!, done: false }) : it.next()),
    return: async (value?: unknown) => (await it.return?.(value)) ?? { value: undefined, done: true },
  };
  yield* dareEncryptOffThread({ [Symbol.asyncIterator]: () => rest }, key, options);
}

/**
 * Hands a chunk of encryptChunks' output back once it is written, so that its memory serves a later
 * body instead of being allocated afresh. Chunks from anywhere else are ignored.
 */
export const releaseEncrypted: (chunk: Buffer) => void = releaseDareBatch;

/** The key and nonce of part `partNumber` of an encrypted multipart upload. */
export function partEncryption(
  oek: Buffer,
  uploadId: string,
  partNumber: number,
): { key: Buffer; nonce: Buffer } {
  return { key: partKey(oek, partNumber), nonce: multipartPartNonce(uploadId, partNumber) };
}

/**
 * Streams plaintext bytes [start, end] of an opened encrypted object version: reads only the DARE
 * packages the range needs and decrypts them with the object key (single part) or the part keys
 * (multipart).
 */
export async function readDecrypted(
  object: ObjectReader,
  oek: Buffer,
  start: number,
  end: number,
): Promise<Readable> {
  const { meta } = object;
  const multipart = meta.internal?.[META.multipart] !== undefined;
  let plan: ReturnType<typeof planDareRange>;
  try {
    plan = planDareRange({ encrypted: meta.parts.map((p) => p.storedSize) }, start, end - start + 1);
  } catch (err) {
    if (err instanceof CryptoError) throw new S3Error('XMinioObjectTampered');
    throw err;
  }
  // The caller may zero its key as soon as the response has started; the stream keeps its own copy.
  const own = Buffer.from(oek);
  const keys = new Map<number, Buffer>([[-1, own]]);
  const keyOf = (i: number): Buffer => {
    if (!multipart) return own;
    let k = keys.get(i);
    if (!k) {
      k = partKey(own, meta.parts[i]!.number);
      keys.set(i, k);
    }
    return k;
  };
  const source = object.read(plan.encryptedOffset, plan.encryptedOffset + plan.encryptedLength - 1);
  const dec = createDareRangeDecryptStream(keyOf, plan);
  return pipeline(source, dec, () => {
    for (const k of keys.values()) zeroize(k);
  });
}
