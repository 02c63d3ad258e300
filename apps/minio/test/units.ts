// Small helpers for unit tests that need no server: body streams in and out, and the S3 error a
// call throws.
import { S3Error } from '../src/errors.js';

/** Collects a body stream. */
export async function collect(body: AsyncIterable<Uint8Array> | undefined): Promise<Buffer> {
  const parts: Buffer[] = [];
  if (body) for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** `data` as a stream of `size`-byte chunks (the last one shorter). */
export async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** The S3 error code and status `fn` throws, or undefined when it returns; other errors rethrow. */
export function s3ErrorOf(fn: () => unknown): [string, number] | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return [err.code, err.status];
    throw err;
  }
  return undefined;
}
