// The SSE choice for one write or read, made once and returned as one object, so that handlers run the
// same steps for an encrypted object and a plaintext one: each plan has a plaintext twin of the same
// shape. The encrypted plans own the object key and zero it on dispose.
//
// The hot path is unchanged by this shape: a plaintext plan hands the chunk stream through untouched
// (no generator in between), an encrypted one returns encryptChunks' stream (DARE on a worker thread,
// batches handed back with `release` once written).
import type { Readable } from 'node:stream';
import { dareEncryptedSize } from '@kms-chain/crypto';
import type { ObjectReader } from '../storage/open-object.js';
import type { ChecksumValue, ObjectMeta, UploadedPart } from '../storage/types.js';
import { openChecksum, SEALED_CHECKSUM, sealChecksum, sealPartChecksum } from './checksum-seal.js';
import {
  encryptChunks,
  type ObjectKeyMaterial,
  partEncryption,
  readDecrypted,
  releaseEncrypted,
  storedEtag,
  visibleEtag,
} from './service.js';

/** The steps of one write that depend on its encryption. The caller calls `dispose` when done. */
export interface WritePlan {
  /** x-amz-server-side-encryption* reply headers; none for plaintext. */
  readonly headers: Readonly<Record<string, string>>;
  /** The bytes to store for a plaintext chunk stream: DARE packages, or the stream itself. */
  encrypt(chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer>;
  /** Hands a stored chunk back once it is written (see releaseEncrypted); other chunks are ignored. */
  readonly release: (chunk: Buffer) => void;
  /** The stored size of `size` plaintext bytes (unknown stays unknown). */
  storedSize<T extends number | undefined>(size: T): T;
  /**
   * The ETag to store for content whose MD5 is `md5`: sealed under the object key when encrypted
   * (random for SSE-KMS/SSE-C unless the client sent Content-MD5, see storedEtag).
   */
  etag(md5: Buffer, clientSentMd5?: boolean): string;
  /** The ETag the client is shown (unquoted) for the stored `etag` of content whose MD5 is `md5`. */
  shownEtag(etag: string, md5: Buffer): string;
  dispose(): void;
}

/** A write of a whole object (PutObject, CopyObject) or of an upload's record (CreateMultipartUpload). */
export interface ObjectWritePlan extends WritePlan {
  /**
   * The seal step: the record's internal metadata (with the sealed object key and, when encrypted,
   * the sealed checksum) and what goes in its plain checksum slot (nothing when encrypted).
   */
  seal(
    internal: Record<string, string>,
    checksum: ChecksumValue | undefined,
  ): { internal: Record<string, string>; checksum: ChecksumValue | undefined };
}

/** A write of one part of an upload (UploadPart, UploadPartCopy). */
export interface PartWritePlan extends WritePlan {
  /** The seal step: what the part record keeps of its checksum (in the clear, or sealed). */
  seal(checksum: ChecksumValue | undefined): Pick<UploadedPart, 'checksum' | 'sealedChecksum'>;
}

const passThrough = (chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> => chunks;
const sameSize = <T extends number | undefined>(size: T): T => size;

const plaintextBase: WritePlan = {
  headers: {},
  encrypt: passThrough,
  release: releaseEncrypted,
  storedSize: sameSize,
  etag: (md5) => md5.toString('hex'),
  shownEtag: (etag) => etag,
  dispose: () => {},
};

/** The plaintext twin of an object write. */
export const PLAINTEXT_OBJECT_WRITE: ObjectWritePlan = {
  ...plaintextBase,
  seal: (internal, checksum) => ({ internal, checksum }),
};

/** The plaintext twin of a part write. */
export const PLAINTEXT_PART_WRITE: PartWritePlan = {
  ...plaintextBase,
  seal: (checksum) => ({ checksum }),
};

function encryptedSize<T extends number | undefined>(size: T): T {
  return (size === undefined ? size : dareEncryptedSize(size)) as T;
}

/** The encrypted write of an object under `km` (which the plan now owns). */
export function objectWritePlan(km: ObjectKeyMaterial): ObjectWritePlan {
  return {
    headers: km.headers,
    encrypt: (chunks) => encryptChunks(chunks, km.oek),
    release: releaseEncrypted,
    storedSize: encryptedSize,
    etag: (md5, clientSentMd5 = false) => storedEtag(km.kind, km.oek, md5, clientSentMd5),
    shownEtag: (etag, md5) => (km.kind === 'SSE-S3' ? md5.toString('hex') : visibleEtag(etag, km.kind)),
    seal: (internal, checksum) => {
      const sealed = { ...internal, ...km.internal };
      if (checksum) sealed[SEALED_CHECKSUM] = sealChecksum(km.oek, checksum);
      return { internal: sealed, checksum: undefined };
    },
    dispose: () => km.dispose(),
  };
}

/** The encrypted write of part `number` of upload `uploadId` under the upload's key `km` (now owned). */
export function partWritePlan(km: ObjectKeyMaterial, uploadId: string, number: number): PartWritePlan {
  const part = partEncryption(km.oek, uploadId, number);
  return {
    headers: km.headers,
    encrypt: (chunks) => encryptChunks(chunks, part.key, part.nonce),
    release: releaseEncrypted,
    storedSize: encryptedSize,
    etag: (md5, clientSentMd5 = false) => storedEtag(km.kind, km.oek, md5, clientSentMd5),
    shownEtag: (etag, md5) => (km.kind === 'SSE-S3' ? md5.toString('hex') : visibleEtag(etag, km.kind)),
    seal: (checksum) =>
      checksum ? { sealedChecksum: sealPartChecksum(km.oek, number, checksum) } : { checksum },
    dispose: () => {
      km.dispose();
      part.key.fill(0);
    },
  };
}

/** The steps of one read that depend on the object's encryption. The caller calls `dispose` when done. */
export interface ReadPlan {
  /** x-amz-server-side-encryption* response headers; none for plaintext. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The object as clients see it: the ETag shown and, when the key is at hand, its sealed checksum
   * (opened when first read; S3Error XMinioObjectTampered then if it does not open).
   */
  view(meta: ObjectMeta): ObjectMeta;
  /** The object's checksum in the clear (opened now when sealed). */
  checksum(meta: ObjectMeta): ChecksumValue | undefined;
  /** Content bytes [start, end] held inline in `meta`, when they can be sent as they are stored. */
  inline(meta: ObjectMeta, start: number, end: number): Buffer | undefined;
  /** Streams content bytes [start, end] (inclusive) of the opened version. */
  read(object: ObjectReader, start: number, end: number): Promise<Readable>;
  dispose(): void;
}

/** The plaintext twin of a read. */
export const PLAINTEXT_READ: ReadPlan = {
  headers: {},
  view: (meta) => meta,
  checksum: (meta) => meta.checksum,
  inline: (meta, start, end) => {
    const part = meta.parts.length === 1 ? meta.parts[0] : undefined;
    if (part?.inline === undefined) return undefined;
    return Buffer.from(part.inline, 'base64').subarray(start, end + 1);
  },
  read: async (object, start, end) => object.read(start, end),
  dispose: () => {},
};

const keys = new WeakMap<ReadPlan, ObjectKeyMaterial>();

/** The object key a read plan was made with (SSE-C key rotation re-seals it); undefined for plaintext. */
export function keyOfReadPlan(plan: ReadPlan): ObjectKeyMaterial | undefined {
  return keys.get(plan);
}

/**
 * The read of an encrypted object under `km` (now owned). With an empty key (a HEAD that needs none),
 * ETags of SSE-KMS/SSE-C objects are still shown and the sealed checksum stays closed.
 */
export function readPlan(km: ObjectKeyMaterial): ReadPlan {
  const oek = km.oek.length === 32 ? km.oek : undefined;
  const plan: ReadPlan = {
    headers: km.headers,
    view: (meta) => {
      const view = { ...meta, etag: visibleEtag(meta.etag, km.kind, oek) };
      const sealed = meta.internal?.[SEALED_CHECKSUM];
      if (sealed !== undefined && oek) {
        // Opened on first read, as MinIO decrypts checksums only for x-amz-checksum-mode: ENABLED: a GET
        // without it must not fail on (or pay for) the checksum. Read it before the plan is disposed.
        let opened: ChecksumValue | undefined;
        Object.defineProperty(view, 'checksum', {
          enumerable: true,
          configurable: true,
          get: () => {
            opened ??= openChecksum(oek, sealed);
            return opened;
          },
        });
      }
      return view;
    },
    checksum: (meta) => {
      const sealed = meta.internal?.[SEALED_CHECKSUM];
      return sealed === undefined ? meta.checksum : openChecksum(km.oek, sealed);
    },
    inline: () => undefined,
    read: (object, start, end) => readDecrypted(object, km.oek, start, end),
    dispose: () => km.dispose(),
  };
  keys.set(plan, km);
  return plan;
}
