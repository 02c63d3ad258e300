// The S3 route table. S3 routes by method, by whether the path names a bucket and a key, and by query
// sub-resources; one pipeline runs for every request: address (path or virtual host) → authenticate →
// pick the handler → run it. Unknown sub-resources answer NotImplemented rather than acting as plain
// GET/PUT on the object, so a client never gets a silent wrong answer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { S3Error } from '../errors.js';
import { rejectInsecureSseC } from '../sse/hooks.js';
import type { FsStore } from '../storage/fs-store.js';
import { checkBucketName } from '../storage/keys.js';
import { anonymousAuth, conditionValues, type Need, RequestAccess } from './access.js';
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
import { type HandlerConfig, headerValue, S3Context } from './context.js';
import { storageToS3Error } from './errors.js';
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
import {
  authenticate,
  type Credentials,
  hasCredentials,
  parseQuery,
  type SignedRequest,
  safeDecode,
} from './sigv4.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging.js';
import { noSuchVersion, resolveVersionId } from './versions.js';

/** What the router needs from the server configuration. */
export interface RouterConfig extends HandlerConfig {
  credentials: Credentials;
  /** Domains for virtual-host-style requests (MINIO_DOMAIN): "<bucket>.<domain>". */
  domains: string[];
}

type Handler = (ctx: S3Context) => Promise<void>;

interface Route {
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
const UNSUPPORTED_SUBRESOURCES = [
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

/** Splits a request into bucket and key from the virtual host or the path. */
export function addressOf(
  rawPath: string,
  host: string | undefined,
  domains: string[],
): { bucket: string | undefined; key: string | undefined } {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  for (const domain of domains) {
    if (hostname.endsWith(`.${domain}`)) {
      const bucket = hostname.slice(0, -domain.length - 1);
      return { bucket, key: path === '' ? undefined : safeDecode(path) };
    }
  }
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: safeDecode(path), key: undefined };
  const key = path.slice(slash + 1);
  return { bucket: safeDecode(path.slice(0, slash)), key: key === '' ? undefined : safeDecode(key) };
}

function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

function findRoute(
  method: string,
  target: Route['target'],
  query: Map<string, string>,
  has: (h: string) => boolean,
) {
  return ROUTES.find(
    (r) =>
      r.method === method &&
      r.target === target &&
      (r.query ?? []).every((q) => query.has(q)) &&
      (r.headers ?? []).every((h) => has(h)),
  );
}

/** Throws AccessDenied unless the bucket's policy allows the anonymous request (docs/s3.md#bucket-policies). */
async function authorizeAnonymous(ctx: S3Context, route: Route): Promise<void> {
  if (ctx.bucket === undefined) throw new S3Error('AccessDenied');
  const actions = typeof route.action === 'string' ? [route.action] : route.action;
  const needs: Need[] = actions.length > 0 ? [{ actions, bucket: ctx.bucket, key: ctx.key }] : [];
  await ctx.access.require([...needs, ...(route.needs?.(ctx) ?? [])]);
}

/** Handles one S3 request end to end; throws S3Error for the error handler to render. */
export async function handleS3(
  req: FastifyRequest,
  reply: FastifyReply,
  store: FsStore,
  config: RouterConfig,
): Promise<void> {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const { bucket, key } = addressOf(rawPath, req.headers.host, config.domains);
  const resource = bucket === undefined ? '/' : `/${bucket}${key !== undefined ? `/${key}` : ''}`;
  try {
    const signed: SignedRequest = {
      method: req.method,
      rawPath,
      rawQuery,
      headers: headerMap(req.raw.rawHeaders),
    };
    rejectInsecureSseC((h) => headerValue(req.headers, h), req.protocol === 'https', config.sse);
    const pairs = parseQuery(rawQuery);
    // A request without credentials is anonymous: it may do what the bucket's policy allows.
    const isAnonymous = !hasCredentials(signed, pairs) && !pairs.some(([k]) => k === 'AWSAccessKeyId');
    const auth = isAnonymous
      ? anonymousAuth(headerValue(req.headers, 'x-amz-content-sha256'))
      : authenticate(signed, config.credentials);
    const values = conditionValues(req.raw.socket.remoteAddress, req.protocol === 'https', pairs);
    const access = new RequestAccess(store, isAnonymous, values);
    const ctx = new S3Context(req, reply, store, config, bucket, key, pairs, auth, access);
    const target = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
    if (bucket !== undefined && !(target === 'bucket' && req.method === 'PUT')) checkBucketName(bucket);
    const route = findRoute(req.method, target, ctx.query, (h) => ctx.header(h) !== undefined);
    const unsupported = UNSUPPORTED_SUBRESOURCES.find(
      (s) => ctx.query.has(s) && !(route?.query ?? []).includes(s),
    );
    if (unsupported !== undefined && target !== 'service')
      ctx.notImplemented(`The ${unsupported} sub-resource`);
    if (!route) throw new S3Error(isAnonymous ? 'AccessDenied' : 'MethodNotAllowed');
    if (isAnonymous) await authorizeAnonymous(ctx, route);
    if (route.version !== undefined && resolveVersionId(ctx.query.get('versionId')) === 'none') {
      await store.assertBucket(ctx.bucketName);
      if (route.version === 'read') throw noSuchVersion();
      ctx.sendEmpty(204);
      return;
    }
    await route.handler(ctx).catch(async (err: unknown) => {
      // An anonymous reader that may not list the bucket learns nothing of which keys exist.
      const e = storageToS3Error(err);
      if (isAnonymous && e instanceof S3Error && e.code === 'NoSuchKey' && bucket !== undefined) {
        if (!(await access.anonymousAllows('s3:ListBucket', bucket))) throw new S3Error('AccessDenied');
      }
      throw e;
    });
  } catch (caught) {
    const err = storageToS3Error(caught);
    if (err instanceof S3Error) {
      err.context = { bucket: err.context.bucket ?? bucket, key: err.context.key ?? key, resource };
    }
    throw err;
  }
}
