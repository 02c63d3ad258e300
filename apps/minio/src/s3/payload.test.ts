// Payload verification: aws-chunked with trailers, length checks, Content-MD5 and checksum headers.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { Payload, parseContentMd5 } from './payload.js';
import { type AuthResult, ChunkSigner } from './sigv4.js';

const unsignedTrailer: AuthResult = {
  accessKey: 'k',
  presigned: false,
  payload: { kind: 'streaming-unsigned-trailer' },
};
const unsigned: AuthResult = { accessKey: 'k', presigned: false, payload: { kind: 'unsigned' } };

async function run(auth: AuthResult, headers: Record<string, string>, body: string | Buffer, pieces = 3) {
  const bytes = Buffer.from(body);
  const step = Math.max(1, Math.ceil(bytes.length / pieces));
  const source = (async function* () {
    for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
  })();
  const payload = new Payload(source, auth, (n) => headers[n], 1 << 30);
  const out: Buffer[] = [];
  for await (const c of payload.chunks()) out.push(c);
  return { data: Buffer.concat(out).toString(), result: payload.finish() };
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err);
  }
  return undefined;
}

// crc32("hello") = 0x3610a686
const trailerHeaders = { 'x-amz-decoded-content-length': '5', 'x-amz-trailer': 'x-amz-checksum-crc32' };

describe('STREAMING-UNSIGNED-PAYLOAD-TRAILER', () => {
  it.each([1, 2, 5, 50])('decodes chunks and verifies the trailer checksum (%i pieces)', async (pieces) => {
    const { data, result } = await run(
      unsignedTrailer,
      trailerHeaders,
      '3\r\nhel\r\n2\r\nlo\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n',
      pieces,
    );
    expect(data).toBe('hello');
    expect(result.checksum).toEqual({ algorithm: 'CRC32', value: 'NhCmhg==' });
    expect(result.md5.toString('hex')).toBe(createHash('md5').update('hello').digest('hex'));
  });

  it('accepts a body that ends without the closing CRLF', async () => {
    const { data } = await run(
      unsignedTrailer,
      trailerHeaders,
      '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n',
    );
    expect(data).toBe('hello');
  });

  it.each([
    ['a wrong trailer value', '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', 'BadDigest'],
    ['a missing trailer', '5\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['a truncated chunk', '5\r\nhel', 'IncompleteBody'],
    ['a bad chunk size', 'zz\r\nhello\r\n0\r\n\r\n', 'IncompleteBody'],
    ['a missing CRLF after data', '5\r\nhelloX\r\n0\r\n\r\n', 'IncompleteBody'],
    ['more data than declared', '6\r\nhello!\r\n0\r\n\r\n', 'IncompleteBody'],
  ])('rejects %s', async (_name, body, expected) => {
    expect(await code(run(unsignedTrailer, trailerHeaders, body))).toBe(expected);
  });

  it('requires the decoded length', async () => {
    expect(await code(run(unsignedTrailer, { 'x-amz-trailer': 'x-amz-checksum-crc32' }, '0\r\n\r\n'))).toBe(
      'MissingContentLength',
    );
  });
});

describe('plain bodies', () => {
  it('verifies Content-MD5 and checksum headers', async () => {
    const md5 = createHash('md5').update('hello').digest('base64');
    const ok = await run(
      unsigned,
      { 'content-length': '5', 'content-md5': md5, 'x-amz-checksum-crc32': 'NhCmhg==' },
      'hello',
    );
    expect(ok.result.checksum?.value).toBe('NhCmhg==');
    expect(await code(run(unsigned, { 'content-length': '5', 'content-md5': md5 }, 'hellO'))).toBe(
      'BadDigest',
    );
    expect(
      await code(run(unsigned, { 'content-length': '5', 'x-amz-checksum-crc32': 'AAAAAA==' }, 'hello')),
    ).toBe('BadDigest');
  });

  it('detects a short body against Content-Length', async () => {
    expect(await code(run(unsigned, { 'content-length': '10' }, 'hello'))).toBe('IncompleteBody');
  });

  it('refuses two checksum headers and unknown algorithms', async () => {
    expect(
      await code(
        run(
          unsigned,
          { 'content-length': '5', 'x-amz-checksum-crc32': 'NhCmhg==', 'x-amz-checksum-sha1': 'x' },
          'hello',
        ),
      ),
    ).toBe('InvalidRequest');
    expect(
      await code(run(unsigned, { 'content-length': '5', 'x-amz-sdk-checksum-algorithm': 'MD4' }, 'hello')),
    ).toBe('InvalidRequest');
  });

  it('computes a requested checksum without a value to compare', async () => {
    const { result } = await run(
      unsigned,
      { 'content-length': '5', 'x-amz-sdk-checksum-algorithm': 'crc32' },
      'hello',
    );
    expect(result.checksum).toEqual({ algorithm: 'CRC32', value: 'NhCmhg==' });
  });
});

describe('parseContentMd5', () => {
  it.each(['', 'abc', 'bm90IGFuIG1kNQ==', '!!!!!!!!!!!!!!!!!!!!!!!='])('refuses %j', (v) => {
    expect(() => parseContentMd5(v)).toThrow(S3Error);
  });
});

describe('x-amz-trailer on a signed body', () => {
  it('needs STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (else its trailer would be unsigned)', async () => {
    const signer = new ChunkSigner(Buffer.alloc(32), '20130524T000000Z', 'scope', '0'.repeat(64));
    const auth: AuthResult = {
      accessKey: 'k',
      presigned: false,
      payload: { kind: 'streaming-signed', trailer: false, chunkSigner: signer },
    };
    expect(await code(run(auth, trailerHeaders, ''))).toBe('InvalidRequest');
  });
});
