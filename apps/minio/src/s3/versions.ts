// Version ids on requests, in buckets that never keep versions (docs/s3.md#versions): `null` (or none)
// names the object itself; any other id names a version that cannot exist. MinIO answers those as
// NoSuchVersion on reads and as a no-op on deletes; an id that is no UUID is InvalidArgument.
import { S3Error } from '../errors.js';

/** The id S3 gives the one version of an object in a bucket without versioning. */
export const NULL_VERSION = 'null';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a versionId names: the object itself ('current'), or a version that does not exist ('none').
 * Throws InvalidArgument for an id that is no UUID.
 */
export function resolveVersionId(value: string | undefined): 'current' | 'none' {
  const id = value?.trim() ?? '';
  if (id === '' || id === NULL_VERSION) return 'current';
  if (!UUID.test(id)) throw new S3Error('InvalidArgument', 'Invalid version id specified');
  return 'none';
}

/** The error for a request naming a version that does not exist. */
export function noSuchVersion(): S3Error {
  return new S3Error('NoSuchVersion');
}
