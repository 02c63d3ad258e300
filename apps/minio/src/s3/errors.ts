// The S3 side of errors: storage refusals mapped to S3 codes, and the one renderer of the error body
// (S3 XML, or JSON on the admin routes that ask for it). The codes themselves live in ../errors.ts,
// below every layer that throws them.
import { S3Error, type S3ErrorCode } from '../errors.js';
import { isStorageError, type StorageErrorKind } from '../storage/errors.js';
import { xmlDocument, xmlElement } from './xml.js';

/** The S3 error of each storage refusal (storage/errors.ts): the one place the two meet. */
const STORAGE_CODES = {
  NoSuchBucket: 'NoSuchBucket',
  NoSuchKey: 'NoSuchKey',
  NoSuchUpload: 'NoSuchUpload',
  BucketExists: 'BucketAlreadyOwnedByYou',
  BucketNotEmpty: 'BucketNotEmpty',
  InvalidBucketName: 'InvalidBucketName',
  InvalidObjectName: 'InvalidObjectName',
  EmptyObjectName: 'InvalidObjectName',
  KeyTooLong: 'KeyTooLongError',
  VersionChanged: 'PreconditionFailed',
} as const satisfies Record<StorageErrorKind, S3ErrorCode>;

/** The S3 error a storage error answers as; other values are returned unchanged. */
export function storageToS3Error(err: unknown): unknown {
  if (!isStorageError(err)) return err;
  const message = err.kind === 'EmptyObjectName' ? 'Object name cannot be empty.' : undefined;
  const context = err.kind === 'VersionChanged' ? {} : { ...err.context };
  return new S3Error(STORAGE_CODES[err.kind], message, context);
}

/** Renders the S3 error body: <Error><Code/><Message/><Key/><BucketName/><Resource/><RequestId/></Error>. */
export function renderError(err: S3Error, requestId: string): string {
  const { bucket, key, resource } = err.context;
  return xmlDocument(
    xmlElement('Error', [
      xmlElement('Code', err.code),
      xmlElement('Message', err.message),
      ...err.elements.map(([name, value]) => xmlElement(name, value)),
      key !== undefined ? xmlElement('Key', key) : '',
      bucket !== undefined ? xmlElement('BucketName', bucket) : '',
      xmlElement('Resource', resource ?? '/'),
      xmlElement('RequestId', requestId),
      xmlElement('HostId', requestId),
    ]),
  );
}

/** Route config of the routes whose errors are JSON (the admin API, as MinIO's) rather than S3 XML. */
export const ERROR_FORMAT_JSON = { errorFormat: 'json' } as const;

/** True when a route's config (fastify `routeOptions.config`) asks for JSON errors. */
export function isJsonErrorRoute(config: unknown): boolean {
  return (config as { errorFormat?: unknown } | undefined)?.errorFormat === ERROR_FORMAT_JSON.errorFormat;
}

/** Renders the admin API's JSON error body: {"Code","Message","Resource","RequestId","HostId"}. */
export function renderErrorJson(err: S3Error, requestId: string): string {
  return JSON.stringify({
    Code: err.code,
    Message: err.message,
    Resource: err.context.resource ?? '/',
    RequestId: requestId,
    HostId: '',
  });
}
