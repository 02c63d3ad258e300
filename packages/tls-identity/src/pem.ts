// PEM block splitting shared by the certificate and key loaders. Messages name block labels and
// positions only, never block contents.
import { TlsIdentityError } from './errors.js';

/** One `-----BEGIN <label>-----` … `-----END <label>-----` block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `EC PRIVATE KEY`. */
  label: string;
  /** RFC 1421 header lines (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`), keyed by name. */
  headers: Record<string, string>;
  /** The decoded body bytes. */
  der: Buffer;
  /** The block's text from BEGIN through END, newline-terminated, for handing to OpenSSL. */
  text: string;
}

const BEGIN = /-----BEGIN ([^-\r\n]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes `input` (string or bytes) as text; PEM is ASCII so UTF-8 decoding is lossless. */
export function asText(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
}

/**
 * Splits PEM text into blocks, in order. Text between blocks is ignored (OpenSSL does the same, and
 * `openssl x509 -text` output or comments often sit there). Throws `pem/malformed` for a BEGIN line
 * without its END line or a body that is not base64.
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const label = m[1]!;
    const endLine = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const endAt = text.indexOf(endLine, bodyStart);
    if (endAt < 0) throw new TlsIdentityError('pem/malformed', `PEM block "${label}" has no END line`);
    const lines = text.slice(bodyStart, endAt).split(/\r?\n/);
    const headers: Record<string, string> = {};
    const body: string[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (body.length === 0 && colon > 0) {
        headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
        continue;
      }
      body.push(line);
    }
    const b64 = body.join('');
    if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) {
      throw new TlsIdentityError('pem/malformed', `PEM block "${label}" does not contain valid base64`);
    }
    blocks.push({
      label,
      headers,
      der: Buffer.from(b64, 'base64'),
      text: `${text.slice(m.index, endAt + endLine.length)}\n`,
    });
    BEGIN.lastIndex = endAt + endLine.length;
  }
  return blocks;
}

/** Encodes DER bytes as one PEM block with 64-column lines and a trailing newline. */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
