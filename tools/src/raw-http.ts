// A raw HTTP(S) request for tests that must send what clients refuse to: the headers and path go
// out exactly as given, and the whole reply comes back as text.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawRequest {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  method: string;
  /** Path and query exactly as on the wire. */
  path: string;
  headers?: Record<string, string>;
  /** content-length is set from it unless the headers carry one. */
  body?: Buffer | string;
  /** HTTPS, trusting this CA (PEM). */
  ca?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request and collects the response; network errors reject, every HTTP status resolves. */
export function rawRequest(r: RawRequest): Promise<RawResponse> {
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const headers = { ...r.headers };
  if (body !== undefined && headers['content-length'] === undefined)
    headers['content-length'] = String(body.length);
  const options = { host: r.host ?? '127.0.0.1', port: r.port, method: r.method, path: r.path, headers };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    };
    const req = r.ca ? httpsRequest({ ...options, ca: r.ca }, onResponse) : httpRequest(options, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}

/** The <Code> of an S3 error body. */
export function s3ErrorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
