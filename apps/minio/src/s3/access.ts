// Who may do what: the root user (any signed request) everything; an anonymous request what the
// bucket's policy allows it and no more (docs/s3.md#bucket-policies). The route table names each
// operation's policy action; handlers ask again only where one request touches several objects.
import { S3Error } from '../errors.js';
import { isStorageError } from '../storage/errors.js';
import type { FsStore } from '../storage/fs-store.js';
import { type BucketPolicy, parseBucketPolicy } from './policy/document.js';
import { isAllowed, type PolicyRequest } from './policy/evaluate.js';
import type { AuthResult } from './sigv4.js';

/** One permission a request needs: any one of `actions` on the bucket, or on its object `key`. */
export interface Need {
  actions: string[];
  bucket: string;
  key?: string | undefined;
}

/** Parsed policies by bucket and text; a policy is parsed again only when it changes. */
const parsed = new Map<string, BucketPolicy>();
const PARSED_MAX = 256;

function policyOf(bucket: string, text: string): BucketPolicy {
  const id = `${bucket}\n${text}`;
  let policy = parsed.get(id);
  if (policy === undefined) {
    policy = parseBucketPolicy(text, bucket);
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
    parsed.set(id, policy);
  }
  return policy;
}

/** The condition values of a request: its source address, transport, and listing parameters. */
export function conditionValues(
  remoteAddress: string | undefined,
  isSecure: boolean,
  queryPairs: Array<[string, string]>,
): PolicyRequest['values'] {
  const first = (name: string) => queryPairs.find(([k]) => k === name)?.[1];
  const values: PolicyRequest['values'] = { 'aws:securetransport': [String(isSecure)] };
  // The socket's peer, never X-Forwarded-For: a client could claim any address in a header.
  const ip = remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (ip !== undefined) values['aws:sourceip'] = [ip];
  const prefix = first('prefix');
  if (prefix !== undefined) values['s3:prefix'] = [prefix];
  const delimiter = first('delimiter');
  if (delimiter !== undefined) values['s3:delimiter'] = [delimiter];
  return values;
}

/**
 * The identity of a request without credentials. Its body is read as x-amz-content-sha256 says: as sent,
 * checked against a SHA-256, or aws-chunked with unsigned trailers; chunk signatures need a signer.
 */
export function anonymousAuth(contentSha256: string | undefined): AuthResult {
  const hash = contentSha256 ?? 'UNSIGNED-PAYLOAD';
  const payload: AuthResult['payload'] | undefined =
    hash === 'UNSIGNED-PAYLOAD'
      ? { kind: 'unsigned' }
      : hash === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        ? { kind: 'streaming-unsigned-trailer' }
        : /^[0-9a-f]{64}$/.test(hash)
          ? { kind: 'sha256', hex: hash }
          : undefined;
  if (payload === undefined) throw new S3Error('AccessDenied', 'A signed payload needs a signed request.');
  return { accessKey: '', payload, presigned: false };
}

/** The access decisions of one request. */
export class RequestAccess {
  constructor(
    private readonly store: FsStore,
    /** True for a request without credentials. */
    readonly isAnonymous: boolean,
    private readonly values: PolicyRequest['values'],
  ) {}

  /** True when the bucket's policy lets an anonymous request like this one do `action`. */
  async anonymousAllows(action: string, bucket: string, key?: string): Promise<boolean> {
    let text: string | undefined;
    try {
      text = (await this.store.bucketMetadata(bucket)).policy;
    } catch (err) {
      // No bucket, no policy: refused like any other request the policy does not allow.
      if (isStorageError(err) && (err.kind === 'NoSuchBucket' || err.kind === 'InvalidBucketName'))
        return false;
      throw err;
    }
    if (text === undefined) return false;
    return isAllowed(policyOf(bucket, text), { action, bucket, key, values: this.values });
  }

  /** True when this request may do `action` (always, when signed). */
  async allows(action: string, bucket: string, key?: string): Promise<boolean> {
    return !this.isAnonymous || this.anonymousAllows(action, bucket, key);
  }

  /** Throws AccessDenied unless every need is met. */
  async require(needs: Need[]): Promise<void> {
    if (!this.isAnonymous) return;
    for (const need of needs) {
      let met = false;
      for (const action of need.actions)
        if (!met) met = await this.anonymousAllows(action, need.bucket, need.key);
      if (!met) throw new S3Error('AccessDenied');
    }
  }
}
