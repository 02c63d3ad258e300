// The on-disk metadata of objects and uploads. Everything an object is lives in one meta.json that is
// replaced atomically; data files are immutable and named by a fresh data id per version.

/** The flexible checksum algorithms (x-amz-checksum-*). */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

/** A stored or reported flexible checksum: the algorithm and the base64 value. */
export interface ChecksumValue {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/** One stored part of an object's data: its own file, so multipart objects need no concatenation. */
export interface PartLayout {
  /** The part number the client gave (1 for single-part objects); SSE part keys derive from it. */
  number: number;
  /** Bytes of object content in this part (plaintext size once encryption exists). */
  size: number;
  /** Bytes of this part on disk; differs from size when the part is stored encrypted (DARE packages). */
  storedSize: number;
  /** The part's ETag (hex MD5 for plaintext parts). */
  etag: string;
  /** File name inside the object's directory; empty when the bytes are inline. */
  file: string;
  /**
   * The stored bytes, base64, for small single-part objects kept inside meta.json (as MinIO inlines small
   * objects in xl.meta): one file, one fsync fewer, one read per GET.
   */
  inline?: string | undefined;
  checksum?: ChecksumValue | undefined;
}

/** One object tag. */
export interface ObjectTag {
  key: string;
  value: string;
}

/** Client-visible properties an object carries besides its data. */
export interface ObjectProperties {
  contentType: string;
  /** content-encoding, content-disposition, content-language, cache-control, expires. */
  headers: Record<string, string>;
  /** x-amz-meta-* headers, names lowercased. */
  userMetadata: Record<string, string>;
  storageClass: string;
  /** The object's tag set (x-amz-tagging, PutObjectTagging), in the order given; absent when none. */
  tags?: ObjectTag[] | undefined;
  /**
   * Internal metadata never returned to clients: the X-Minio-Internal-Server-Side-Encryption-* sealing
   * fields (docs/minio-sse.md#stored-metadata) and the encrypted-multipart flag.
   */
  internal: Record<string, string>;
}

/** The whole metadata of one committed object (meta.json). */
export interface ObjectMeta extends ObjectProperties {
  format: 1;
  key: string;
  /** Content size in bytes (sum of part sizes). */
  size: number;
  /** Hex MD5, or md5-of-md5s-N for multipart objects; stored without quotes. */
  etag: string;
  /** ISO 8601 with milliseconds. */
  lastModified: string;
  checksum?: ChecksumValue | undefined;
  parts: PartLayout[];
}

/** What listings need of an object, kept in memory per bucket. */
export interface ObjectSummary {
  size: number;
  etag: string;
  lastModified: string;
  storageClass: string;
}

/** A multipart upload in progress (upload.json). */
export interface UploadMeta extends ObjectProperties {
  format: 1;
  key: string;
  uploadId: string;
  initiated: string;
  checksumAlgorithm?: string | undefined;
}

/** One uploaded part of a multipart upload (part.N.json). */
export interface UploadedPart {
  number: number;
  size: number;
  storedSize: number;
  etag: string;
  lastModified: string;
  file: string;
  /** The part's checksum in the clear: parts of plaintext uploads (and records older than sealing). */
  checksum?: ChecksumValue | undefined;
  /** The checksum of a part of an encrypted upload, sealed under the object key (base64). */
  sealedChecksum?: string | undefined;
}
