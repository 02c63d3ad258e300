// One registry of the S3 error codes this server returns, each with its HTTP status and the default
// message AWS/MinIO put in <Message>. Every layer throws S3Error; the server renders it as S3 XML in
// one place (s3/errors.ts). This module sits below all of them and knows nothing of XML or storage.

const codes = {
  AccessDenied: [403, 'Access Denied.'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter.'],
  BadDigest: [400, 'The Content-Md5 you specified did not match what we received.'],
  BadRequest: [400, 'Bad Request'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [
    409,
    'Your previous request to create the named bucket succeeded and you already own it.',
  ],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [
    400,
    'You did not provide the number of bytes specified by the Content-Length HTTP header.',
  ],
  InternalError: [500, 'We encountered an internal error, please try again.'],
  InvalidAccessKeyId: [403, 'The Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-Md5 you specified is not valid.'],
  InvalidObjectName: [400, 'Object name contains unsupported characters.'],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartOrder: [
    400,
    'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
  ],
  InvalidPartNumber: [416, 'The requested partnumber is not satisfiable'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidStorageClass: [400, 'Invalid storage class.'],
  InvalidTag: [400, 'The TagKey you have provided is invalid'],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedXML: [
    400,
    'The XML you provided was not well-formed or did not validate against our published schema.',
  ],
  MalformedPolicy: [400, 'Policy has invalid resource.'],
  MaxMessageLengthExceeded: [400, 'Your request was too big.'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  MissingSecurityHeader: [400, 'Your request was missing a required header'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchBucketPolicy: [404, 'The bucket policy does not exist'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchLifecycleConfiguration: [404, 'The lifecycle configuration does not exist'],
  NoSuchWebsiteConfiguration: [404, 'The specified bucket does not have a website configuration'],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NoSuchTagSet: [404, 'The TagSet does not exist'],
  NoSuchUpload: [
    404,
    'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  ],
  ObjectLockConfigurationNotFoundError: [404, 'Object Lock configuration does not exist for this bucket'],
  ReplicationConfigurationNotFoundError: [404, 'The replication configuration was not found'],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  NotModified: [304, 'Not Modified'],
  PolicyTooLarge: [400, 'Policy exceeds the maximum allowed document size.'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  XAmzContentSHA256Mismatch: [
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
  // Server-side encryption (docs/minio-sse.md#kms-errors, #default-encryption).
  'kms:KeyNotFound': [404, 'key with given key ID does not exist'],
  'kms:KeyGenerationFailed': [500, 'failed to generate data key with KMS key'],
  'kms:DecryptionFailed': [500, 'failed to decrypt ciphertext with KMS key'],
  'kms:InvalidCiphertextException': [400, 'failed to decrypt ciphertext'],
  'kms:NotAuthorized': [403, 'insufficient permissions to perform KMS operation'],
  'kms:NotSupported': [501, 'requested functionality is not supported'],
  'kms:KeyAlreadyExists': [409, 'key with given key ID already exits'],
  XMinioEncryptionError: [400, 'The object encryption metadata is malformed.'],
  XMinioObjectTampered: [206, 'The requested object was modified and may be compromised'],
  ServerSideEncryptionConfigurationNotFoundError: [
    404,
    'The server side encryption configuration was not found',
  ],
} as const satisfies Record<string, readonly [number, string]>;

/** An S3 error code known to this server. */
export type S3ErrorCode = keyof typeof codes;

/** Where an error happened, rendered into the XML body. */
export interface S3ErrorContext {
  bucket?: string | undefined;
  key?: string | undefined;
  resource?: string | undefined;
}

/** A domain error with an S3 code; its status comes from the registry. */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  context: S3ErrorContext;
  /** Extra response headers (e.g. Content-Range on 416, ETag on 304). */
  readonly headers: Record<string, string>;
  /** Extra body elements after <Message>, in order (e.g. AWS's <HeadersNotSigned>). */
  readonly elements: Array<[name: string, value: string]> = [];

  constructor(code: S3ErrorCode, message?: string, context: S3ErrorContext = {}, headers = {}) {
    super(message ?? codes[code][1]);
    this.name = 'S3Error';
    this.code = code;
    this.status = codes[code][0];
    this.context = context;
    this.headers = headers;
  }
}

/** True for values thrown as S3Error. */
export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}
