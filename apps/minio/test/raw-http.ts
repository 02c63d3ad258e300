// Raw requests for what the SDKs refuse to send (traversal paths, bad digests, truncated bodies, odd
// Expect headers), signed with the test credentials by the SigV4 test signer of @kms-chain/tools.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  type RawResponse,
  rawRequest,
  type SignRequest,
  s3ErrorCode,
  sha256Hex,
  signChunkedUpload,
  signHeaders as signWith,
} from '@kms-chain/tools';
import { ACCESS_KEY, SECRET_KEY } from './helpers.js';

export type { RawResponse };

export interface SignOptions extends SignRequest {
  /** Sign with this secret instead of the test one (a wrong signature). */
  secret?: string;
}

/** Headers of a SigV4-signed request; the canonical URI is the wire path. */
export function signHeaders(host: string, o: SignOptions): Record<string, string> {
  return signWith(host, { accessKey: ACCESS_KEY, secretKey: o.secret ?? SECRET_KEY }, o);
}

/** Sends a request (signed unless `unsigned`) and collects the response. */
export function send(
  port: number,
  o: SignOptions & {
    body?: Buffer | string;
    unsigned?: boolean;
    hostHeader?: string;
    extraHeaders?: Record<string, string>;
  },
): Promise<RawResponse> {
  const host = o.hostHeader ?? `127.0.0.1:${port}`;
  const headers = o.unsigned ? { host, ...(o.headers ?? {}) } : signHeaders(host, o);
  Object.assign(headers, o.extraHeaders ?? {});
  const path = o.query ? `${o.path}?${o.query}` : o.path;
  return rawRequest({
    port,
    method: o.method,
    path,
    headers,
    ...(o.body === undefined ? {} : { body: o.body }),
  });
}

/** The <Code> of an S3 error body. */
export const errorCode = s3ErrorCode;

export const sha256 = sha256Hex;

/**
 * A STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) upload: each chunk signs the previous signature and
 * its data hash; the trailer signs the canonical trailing headers. `tamper` corrupts one signature
 * to test rejection.
 */
export function signedChunkedPut(
  port: number,
  path: string,
  data: Buffer,
  chunkSize: number,
  opts: { trailer?: { name: string; value: string }; tamper?: 'chunk' | 'trailer' } = {},
): Promise<RawResponse> {
  const { headers, body } = signChunkedUpload(
    `127.0.0.1:${port}`,
    { accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
    {
      path,
      data,
      chunkSize,
      ...(opts.trailer ? { trailer: opts.trailer } : {}),
      ...(opts.tamper === 'chunk' ? { tamperChunk: 0 } : {}),
      ...(opts.tamper === 'trailer' ? { tamperTrailer: true } : {}),
    },
  );
  return rawRequest({ port, method: 'PUT', path, headers, body });
}

/** A raw connection to a test server on 127.0.0.1, TLS (trusting `ca`, as localhost) or plain TCP. */
export async function openRaw(scheme: 'http' | 'https', port: number, ca: string): Promise<Socket> {
  const socket =
    scheme === 'https'
      ? tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once(scheme === 'https' ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}
