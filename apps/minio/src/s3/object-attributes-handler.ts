// GetObjectAttributes: GET /bucket/key?attributes with the attributes named in x-amz-object-attributes
// — ETag, Checksum, ObjectParts, ObjectSize, StorageClass — as MinIO answers them; for an encrypted
// object the facts of its plaintext, which needs the object key (SSE-C: the client's key headers)
// (docs/s3.md#getobjectattributes).
import { S3Error } from '../errors.js';
import { planRead } from '../sse/hooks.js';
import type { ReadPlan } from '../sse/plans.js';
import type { ObjectMeta } from '../storage/types.js';
import type { S3Context } from './context.js';
import { checkConditions, httpDate, MAX_PART_NUMBER } from './http-rules.js';
import { xmlElement, xmlRoot } from './xml.js';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'ObjectSize', 'StorageClass'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

/** A 400 InvalidArgument carrying MinIO's ArgumentName and ArgumentValue elements. */
function invalidArgument(message: string, name: string, value?: string): S3Error {
  const err = new S3Error('InvalidArgument', message);
  if (value !== undefined) err.elements.push(['ArgumentValue', value]);
  err.elements.push(['ArgumentName', name]);
  return err;
}

/** The attributes asked for: the comma-separated names of every x-amz-object-attributes header. */
export function parseObjectAttributes(headers: string[]): Set<Attribute> {
  // The AWS SDK v3 joins the names with ", ": each name is trimmed (MinIO trims only the whole header).
  const names = headers.flatMap((h) => h.split(',').map((n) => n.trim())).filter((n) => n !== '');
  if (names.length === 0)
    throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes');
  for (const name of names) {
    // Names are case-sensitive, as MinIO compares them.
    if (!(ATTRIBUTES as readonly string[]).includes(name))
      throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', name);
  }
  return new Set(names as Attribute[]);
}

/** An integer header (x-amz-max-parts, x-amz-part-number-marker); 0 when absent or empty. */
function intHeader(ctx: S3Context, name: string): number {
  const raw = ctx.header(name)?.trim() ?? '';
  if (raw === '') return 0;
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    throw invalidArgument(`Unable to parse ${name}, value should be an integer`, name);
  return Number(raw);
}

function rawHeaderValues(ctx: S3Context, name: string): string[] {
  const raw = ctx.req.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
  return values;
}

function checksumElements(sse: ReadPlan, stored: ObjectMeta): string {
  const checksum = sse.checksum(stored);
  if (checksum === undefined) return '';
  // A multipart object's checksum is the checksum of its parts' ("…-N"); the value goes without the count.
  const [value, count] = checksum.value.split('-');
  return xmlElement('Checksum', [
    xmlElement(`Checksum${checksum.algorithm}`, value ?? ''),
    xmlElement('ChecksumType', count === undefined ? 'FULL_OBJECT' : 'COMPOSITE'),
  ]);
}

function partsElement(stored: ObjectMeta, marker: number, requestedMax: number): string {
  const maxParts = requestedMax === 0 ? MAX_PART_NUMBER : requestedMax;
  const after = stored.parts.filter((p) => p.number > marker);
  const listed = maxParts < 0 ? [] : after.slice(0, maxParts);
  const next = listed.at(-1)?.number ?? 0;
  return xmlElement('ObjectParts', [
    xmlElement('IsTruncated', listed.length < after.length),
    xmlElement('MaxParts', maxParts),
    xmlElement('NextPartNumberMarker', next),
    xmlElement('PartNumberMarker', marker),
    xmlElement('PartsCount', stored.parts.length),
    ...listed.map((p) =>
      xmlElement('Part', [
        xmlElement('PartNumber', p.number),
        // The plaintext size; MinIO gives the stored (encrypted) size of an encrypted object's parts.
        xmlElement('Size', p.size),
        p.checksum ? xmlElement(`Checksum${p.checksum.algorithm}`, p.checksum.value) : '',
      ]),
    ),
  ]);
}

/** getObjectAttributes: GET /bucket/key?attributes */
export async function getObjectAttributes(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const maxParts = intHeader(ctx, 'x-amz-max-parts');
  const marker = intHeader(ctx, 'x-amz-part-number-marker');
  const attributes = parseObjectAttributes(rawHeaderValues(ctx, 'x-amz-object-attributes'));
  const stored = await ctx.store.getMeta(bucket, ctx.objectKey);
  const sse = await planRead(ctx, bucket, stored);
  try {
    const meta = sse.view(stored);
    checkConditions((n) => ctx.header(n), meta);
    const xml = xmlRoot('GetObjectAttributesResponse', [
      attributes.has('ETag') ? xmlElement('ETag', meta.etag) : '',
      attributes.has('Checksum') ? checksumElements(sse, stored) : '',
      attributes.has('ObjectParts') ? partsElement(stored, marker, maxParts) : '',
      attributes.has('StorageClass') ? xmlElement('StorageClass', meta.storageClass) : '',
      attributes.has('ObjectSize') ? xmlElement('ObjectSize', meta.size) : '',
    ]);
    ctx.sendXml(xml, 200, { 'last-modified': httpDate(meta.lastModified) });
  } finally {
    sse.dispose();
  }
}
