// SSE request headers, parsed and validated in MinIO's order (docs/minio-sse.md#sse-c, #sse-s3, #sse-kms).
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '@kms-chain/crypto';
import { S3Error } from '../errors.js';

/** Header names. */
export const SSE_HEADER = 'x-amz-server-side-encryption';
export const SSE_KMS_KEY_ID = 'x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_CONTEXT = 'x-amz-server-side-encryption-context';
export const SSEC_PREFIX = 'x-amz-server-side-encryption-customer-';
export const SSEC_COPY_PREFIX = 'x-amz-copy-source-server-side-encryption-customer-';
export const KMS_ARN_PREFIX = 'arn:aws:kms:';

/** What a request asks for. */
export type SseRequest =
  | { kind: 'SSE-C'; key: Buffer; keyMd5: string }
  | { kind: 'SSE-S3' }
  | {
      kind: 'SSE-KMS';
      /** '' = the default key. */
      keyId: string;
      /** The client's context (undefined when no header). */
      context: Record<string, string> | undefined;
    };

/** Header lookup by lowercase name. */
export type HeaderGetter = (name: string) => string | undefined;

const SSEC_MSG = 'Requests specifying Server Side Encryption with Customer provided keys must';
const KMS_REQUIRED =
  'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms';

/** True when any SSE-C header (or, with `copy`, copy-source SSE-C header) is present. */
export function hasSseC(get: HeaderGetter, copy = false): boolean {
  const p = copy ? SSEC_COPY_PREFIX : SSEC_PREFIX;
  return ['algorithm', 'key', 'key-md5'].some((s) => get(p + s) !== undefined);
}

/** True when the request names any SSE header at all. */
export function hasAnySseHeader(get: HeaderGetter): boolean {
  return (
    hasSseC(get) ||
    get(SSE_HEADER) !== undefined ||
    get(SSE_KMS_KEY_ID) !== undefined ||
    get(SSE_CONTEXT) !== undefined
  );
}

/**
 * The SSE-C key of the request (`copy`: of the copy source) or undefined when no such header is sent.
 * Checks 2–6 of docs/minio-sse.md#sse-c: algorithm, key present, MD5 present, key = base64 of 32 bytes (else 403
 * AccessDenied), MD5 matches.
 */
export function parseSseC(get: HeaderGetter, copy = false): { key: Buffer; keyMd5: string } | undefined {
  if (!hasSseC(get, copy)) return undefined;
  const p = copy ? SSEC_COPY_PREFIX : SSEC_PREFIX;
  const algorithm = get(`${p}algorithm`);
  const keyText = get(`${p}key`) ?? '';
  const md5Text = get(`${p}key-md5`) ?? '';
  if (algorithm !== 'AES256') {
    throw new S3Error('InvalidArgument', `${SSEC_MSG} provide a valid encryption algorithm.`);
  }
  if (keyText === '') throw new S3Error('InvalidArgument', `${SSEC_MSG} provide an appropriate secret key.`);
  if (md5Text === '') {
    throw new S3Error('InvalidArgument', `${SSEC_MSG} provide the client calculated MD5 of the secret key.`);
  }
  const key = /^[A-Za-z0-9+/]*={0,2}$/.test(keyText) ? Buffer.from(keyText, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    key.fill(0);
    throw new S3Error('AccessDenied');
  }
  const md5 = createHash('md5').update(key).digest();
  const given = /^[A-Za-z0-9+/]*={0,2}$/.test(md5Text) ? Buffer.from(md5Text, 'base64') : Buffer.alloc(0);
  if (!constantTimeEqual(md5, given)) {
    key.fill(0);
    throw new S3Error(
      'InvalidArgument',
      'The calculated MD5 hash of the key did not match the hash that was provided.',
    );
  }
  return { key, keyMd5: md5.toString('base64') };
}

/** Strips the ARN prefix of a KMS key id and rejects surrounding spaces. */
export function normalizeKeyId(raw: string): string {
  if (raw !== raw.trim()) {
    throw new S3Error('InvalidRequest', 'The specified KMS KeyID contains unsupported characters');
  }
  return raw.startsWith(KMS_ARN_PREFIX) ? raw.slice(KMS_ARN_PREFIX.length) : raw;
}

/** Decodes `x-amz-server-side-encryption-context`: base64 of a JSON object of strings. */
export function parseContextHeader(value: string): Record<string, string> {
  let parsed: unknown;
  try {
    const text = Buffer.from(value, 'base64').toString('utf8');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.trim())) throw new Error('illegal base64 data');
    parsed = JSON.parse(text);
  } catch (err) {
    throw new S3Error('InvalidArgument', `Invalid encryption context: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new S3Error('InvalidArgument', 'Invalid encryption context: not a JSON object');
  }
  for (const v of Object.values(parsed)) {
    if (typeof v !== 'string') {
      throw new S3Error('InvalidArgument', 'Invalid encryption context: values must be strings');
    }
  }
  return parsed as Record<string, string>;
}

/**
 * The encryption a write request (PUT, CreateMultipartUpload, CopyObject destination) asks for, or
 * undefined. `isSecure` is whether the connection is TLS (or the operator opted out of the check).
 */
export function parseSseRequest(get: HeaderGetter, isSecure: boolean): SseRequest | undefined {
  if (!isSecure && (hasSseC(get) || hasSseC(get, true))) throw insecureSseC();
  const ssec = parseSseC(get);
  const sse = get(SSE_HEADER);
  if (ssec) {
    if (sse !== undefined) {
      ssec.key.fill(0);
      throw new S3Error(
        'InvalidArgument',
        'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
      );
    }
    return { kind: 'SSE-C', ...ssec };
  }
  const keyIdHeader = get(SSE_KMS_KEY_ID);
  const contextHeader = get(SSE_CONTEXT);
  if (sse === undefined) {
    if (keyIdHeader !== undefined || contextHeader !== undefined)
      throw new S3Error('InvalidArgument', KMS_REQUIRED);
    return undefined;
  }
  if (sse.toUpperCase() === 'AES256') {
    if (keyIdHeader !== undefined || contextHeader !== undefined)
      throw new S3Error('InvalidArgument', KMS_REQUIRED);
    return { kind: 'SSE-S3' };
  }
  if (sse !== 'aws:kms') throw new S3Error('InvalidArgument', KMS_REQUIRED);
  return {
    kind: 'SSE-KMS',
    keyId: keyIdHeader !== undefined ? normalizeKeyId(keyIdHeader) : '',
    context: contextHeader !== undefined ? parseContextHeader(contextHeader) : undefined,
  };
}

/** The 400 for SSE-C over plain HTTP. */
export function insecureSseC(): S3Error {
  return new S3Error(
    'InvalidRequest',
    'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.',
  );
}
