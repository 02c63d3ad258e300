// The S3 route table as data: each operation's method, target (service, bucket or object), the query
// parameters and headers that select it, the bucket-policy action an anonymous request needs, and its
// handler. routes.ts runs the one pipeline for all of them.
import type { Need } from './access.js';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './acl-handlers.js';
import {
  deleteBucketEncryption,
  getBucketEncryption,
  putBucketEncryption,
} from './bucket-encryption-handlers.js';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listObjectsV1,
  listObjectsV2,
  listObjectVersions,
} from './bucket-handlers.js';
import {
  deleteBucketPolicy,
  getBucketPolicy,
  getBucketPolicyStatus,
  putBucketPolicy,
} from './bucket-policy-handlers.js';
import { deleteBucketTagging, getBucketTagging, putBucketTagging } from './bucket-tagging-handlers.js';
import { defaultDocument, getBucketRequestPayment, notConfigured } from './bucket-unset-handlers.js';
import type { S3Context } from './context.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-handlers.js';
import { getObjectAttributes } from './object-attributes-handler.js';
import {
  copyObject,
  deleteObject,
  deleteObjects,
  getObject,
  parseCopySource,
  putObject,
} from './object-handlers.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging.js';

type Handler = (ctx: S3Context) => Promise<void>;

export interface Route {
  /** Human name of the operation (for logs and tests). */
  name: string;
  method: string;
  target: 'service' | 'bucket' | 'object';
  /** Query parameters that must be present. */
  query?: string[];
  /** Request headers that must be present. */
  headers?: string[];
  /**
   * The bucket-policy action an anonymous request needs on the addressed bucket or object (any one of
   * a list); [] when the handler asks per object (DeleteObjects).
   */
  action: string | string[];
  /**
   * How the route treats a versionId naming a version other than `null`: a read answers NoSuchVersion, a
   * delete does nothing (docs/s3.md#versions). Routes without it ignore the parameter.
   */
  version?: 'read' | 'delete';
  /** Further permissions an anonymous request needs (a copy's source). */
  needs?: (ctx: S3Context) => Need[];
  handler: Handler;
}

/** An anonymous copy also needs to read its source. */
const copySourceNeeds = (ctx: S3Context): Need[] => {
  const source = parseCopySource(ctx.header('x-amz-copy-source') ?? '');
  return [{ actions: ['s3:GetObject'], bucket: source.bucket, key: source.key }];
};

/**
 * Sub-resources S3 defines. A request naming one that its route does not declare in `query` answers
 * NotImplemented instead of running as the plain operation (GET ?lifecycle is no ListObjects).
 */
export const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'policy',
  'policyStatus',
  'cors',
  'lifecycle',
  'tagging',
  'website',
  'logging',
  'notification',
  'replication',
  'object-lock',
  'retention',
  'legal-hold',
  'accelerate',
  'requestPayment',
  'restore',
  'select',
  'ownershipControls',
  'publicAccessBlock',
  'analytics',
  'inventory',
  'metrics',
  'intelligent-tiering',
  'torrent',
];

/** The route table, most specific first within each method and target. */
export const ROUTES: Route[] = [
  {
    name: 'ListBuckets',
    action: 's3:ListAllMyBuckets',
    method: 'GET',
    target: 'service',
    handler: listBuckets,
  },

  {
    name: 'GetBucketLocation',
    action: 's3:GetBucketLocation',
    method: 'GET',
    target: 'bucket',
    query: ['location'],
    handler: getBucketLocation,
  },
  {
    name: 'GetBucketVersioning',
    action: 's3:GetBucketVersioning',
    method: 'GET',
    target: 'bucket',
    query: ['versioning'],
    handler: getBucketVersioning,
  },
  {
    name: 'ListMultipartUploads',
    action: 's3:ListBucketMultipartUploads',
    method: 'GET',
    target: 'bucket',
    query: ['uploads'],
    handler: listMultipartUploads,
  },
  {
    name: 'GetBucketEncryption',
    action: 's3:GetEncryptionConfiguration',
    method: 'GET',
    target: 'bucket',
    query: ['encryption'],
    handler: getBucketEncryption,
  },
  {
    name: 'GetBucketTagging',
    action: 's3:GetBucketTagging',
    method: 'GET',
    target: 'bucket',
    query: ['tagging'],
    handler: getBucketTagging,
  },
  {
    name: 'PutBucketTagging',
    action: 's3:PutBucketTagging',
    method: 'PUT',
    target: 'bucket',
    query: ['tagging'],
    handler: putBucketTagging,
  },
  {
    name: 'DeleteBucketTagging',
    action: 's3:PutBucketTagging',
    method: 'DELETE',
    target: 'bucket',
    query: ['tagging'],
    handler: deleteBucketTagging,
  },
  {
    name: 'GetBucketAcl',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['acl'],
    handler: getBucketAcl,
  },
  {
    name: 'PutBucketAcl',
    action: 's3:PutBucketPolicy',
    method: 'PUT',
    target: 'bucket',
    query: ['acl'],
    handler: putBucketAcl,
  },
  {
    name: 'GetBucketPolicy',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['policy'],
    handler: getBucketPolicy,
  },
  {
    name: 'GetBucketPolicyStatus',
    action: 's3:GetBucketPolicyStatus',
    method: 'GET',
    target: 'bucket',
    query: ['policyStatus'],
    handler: getBucketPolicyStatus,
  },
  {
    name: 'PutBucketPolicy',
    action: 's3:PutBucketPolicy',
    method: 'PUT',
    target: 'bucket',
    query: ['policy'],
    handler: putBucketPolicy,
  },
  {
    name: 'DeleteBucketPolicy',
    action: 's3:DeleteBucketPolicy',
    method: 'DELETE',
    target: 'bucket',
    query: ['policy'],
    handler: deleteBucketPolicy,
  },
  {
    name: 'GetBucketCors',
    action: 's3:GetBucketCors',
    method: 'GET',
    target: 'bucket',
    query: ['cors'],
    handler: notConfigured('NoSuchCORSConfiguration'),
  },
  {
    name: 'GetBucketWebsite',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['website'],
    handler: notConfigured('NoSuchWebsiteConfiguration'),
  },
  {
    name: 'GetBucketLifecycle',
    action: 's3:GetLifecycleConfiguration',
    method: 'GET',
    target: 'bucket',
    query: ['lifecycle'],
    handler: notConfigured('NoSuchLifecycleConfiguration'),
  },
  {
    name: 'GetObjectLockConfiguration',
    action: 's3:GetBucketObjectLockConfiguration',
    method: 'GET',
    target: 'bucket',
    query: ['object-lock'],
    handler: notConfigured('ObjectLockConfigurationNotFoundError'),
  },
  {
    name: 'GetBucketReplication',
    action: 's3:GetReplicationConfiguration',
    method: 'GET',
    target: 'bucket',
    query: ['replication'],
    handler: notConfigured('ReplicationConfigurationNotFoundError'),
  },
  {
    name: 'GetBucketNotificationConfiguration',
    action: 's3:GetBucketNotification',
    method: 'GET',
    target: 'bucket',
    query: ['notification'],
    handler: defaultDocument('NotificationConfiguration'),
  },
  {
    name: 'GetBucketAccelerateConfiguration',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['accelerate'],
    handler: defaultDocument('AccelerateConfiguration'),
  },
  {
    name: 'GetBucketLogging',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['logging'],
    handler: defaultDocument('BucketLoggingStatus'),
  },
  {
    name: 'GetBucketRequestPayment',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'bucket',
    query: ['requestPayment'],
    handler: getBucketRequestPayment,
  },
  {
    name: 'ListObjectVersions',
    action: 's3:ListBucketVersions',
    method: 'GET',
    target: 'bucket',
    query: ['versions'],
    handler: listObjectVersions,
  },
  {
    name: 'ListObjectsV2',
    action: 's3:ListBucket',
    method: 'GET',
    target: 'bucket',
    query: ['list-type'],
    handler: listObjectsV2,
  },
  { name: 'ListObjects', action: 's3:ListBucket', method: 'GET', target: 'bucket', handler: listObjectsV1 },
  {
    name: 'PutBucketEncryption',
    action: 's3:PutEncryptionConfiguration',
    method: 'PUT',
    target: 'bucket',
    query: ['encryption'],
    handler: putBucketEncryption,
  },
  {
    name: 'DeleteBucketEncryption',
    action: 's3:PutEncryptionConfiguration',
    method: 'DELETE',
    target: 'bucket',
    query: ['encryption'],
    handler: deleteBucketEncryption,
  },
  {
    name: 'HeadBucket',
    action: ['s3:HeadBucket', 's3:ListBucket'],
    method: 'HEAD',
    target: 'bucket',
    handler: headBucket,
  },
  { name: 'CreateBucket', action: 's3:CreateBucket', method: 'PUT', target: 'bucket', handler: createBucket },
  {
    name: 'DeleteBucket',
    action: 's3:DeleteBucket',
    method: 'DELETE',
    target: 'bucket',
    handler: deleteBucket,
  },
  {
    name: 'DeleteObjects',
    action: [],
    method: 'POST',
    target: 'bucket',
    query: ['delete'],
    handler: deleteObjects,
  },

  {
    name: 'GetObjectAcl',
    version: 'read',
    action: 's3:GetBucketPolicy',
    method: 'GET',
    target: 'object',
    query: ['acl'],
    handler: getObjectAcl,
  },
  {
    name: 'PutObjectAcl',
    version: 'read',
    action: 's3:PutBucketPolicy',
    method: 'PUT',
    target: 'object',
    query: ['acl'],
    handler: putObjectAcl,
  },
  {
    name: 'GetObjectTagging',
    version: 'read',
    action: 's3:GetObjectTagging',
    method: 'GET',
    target: 'object',
    query: ['tagging'],
    handler: getObjectTagging,
  },
  {
    name: 'PutObjectTagging',
    version: 'read',
    action: 's3:PutObjectTagging',
    method: 'PUT',
    target: 'object',
    query: ['tagging'],
    handler: putObjectTagging,
  },
  {
    name: 'DeleteObjectTagging',
    version: 'read',
    action: 's3:DeleteObjectTagging',
    method: 'DELETE',
    target: 'object',
    query: ['tagging'],
    handler: deleteObjectTagging,
  },
  {
    name: 'ListParts',
    action: 's3:ListMultipartUploadParts',
    method: 'GET',
    target: 'object',
    query: ['uploadId'],
    handler: listParts,
  },
  {
    name: 'GetObjectAttributes',
    version: 'read',
    action: 's3:GetObjectAttributes',
    method: 'GET',
    target: 'object',
    query: ['attributes'],
    needs: (ctx) => [{ actions: ['s3:GetObject'], bucket: ctx.bucketName, key: ctx.objectKey }],
    handler: getObjectAttributes,
  },
  {
    name: 'GetObject',
    version: 'read',
    action: 's3:GetObject',
    method: 'GET',
    target: 'object',
    handler: (ctx) => getObject(ctx, false),
  },
  {
    name: 'HeadObject',
    version: 'read',
    action: 's3:GetObject',
    method: 'HEAD',
    target: 'object',
    handler: (ctx) => getObject(ctx, true),
  },
  {
    name: 'UploadPartCopy',
    action: 's3:PutObject',
    method: 'PUT',
    target: 'object',
    query: ['partNumber', 'uploadId'],
    headers: ['x-amz-copy-source'],
    needs: copySourceNeeds,
    handler: uploadPartCopy,
  },
  {
    name: 'UploadPart',
    action: 's3:PutObject',
    method: 'PUT',
    target: 'object',
    query: ['partNumber', 'uploadId'],
    handler: uploadPart,
  },
  {
    name: 'CopyObject',
    action: 's3:PutObject',
    method: 'PUT',
    target: 'object',
    headers: ['x-amz-copy-source'],
    needs: copySourceNeeds,
    handler: copyObject,
  },
  { name: 'PutObject', action: 's3:PutObject', method: 'PUT', target: 'object', handler: putObject },
  {
    name: 'CreateMultipartUpload',
    action: 's3:PutObject',
    method: 'POST',
    target: 'object',
    query: ['uploads'],
    handler: createMultipartUpload,
  },
  {
    name: 'CompleteMultipartUpload',
    action: 's3:PutObject',
    method: 'POST',
    target: 'object',
    query: ['uploadId'],
    handler: completeMultipartUpload,
  },
  {
    name: 'AbortMultipartUpload',
    action: 's3:AbortMultipartUpload',
    method: 'DELETE',
    target: 'object',
    query: ['uploadId'],
    handler: abortMultipartUpload,
  },
  {
    name: 'DeleteObject',
    version: 'delete',
    action: 's3:DeleteObject',
    method: 'DELETE',
    target: 'object',
    handler: deleteObject,
  },
];
