// The field names whose values never reach a log line, whatever object carries them.

/**
 * Names (compared as written; HTTP header names in their lower-case form) of fields that hold a
 * credential or key material in any of the three servers: HTTP credentials, Vault tokens, unseal
 * shares and AppRole secret IDs, KES API keys and key material, S3 secret keys and SSE-C keys.
 * A logged object with one of these at its top level or one or two levels down shows `[REDACTED]`.
 */
export const SECRET_FIELDS: readonly string[] = [
  // HTTP
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  // Vault
  'x-vault-token',
  'token',
  'client_token',
  'root_token',
  'secret_id',
  'secretId',
  'keys',
  'keys_base64',
  'unseal_key',
  'key',
  'password',
  // KES
  'api_key',
  'apiKey',
  'private_key',
  'privateKey',
  'plaintext',
  'bytes',
  // S3 / MinIO
  'secret_key',
  'secretKey',
  'secretAccessKey',
  'x-amz-security-token',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key-md5',
];

function segment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** pino `redact.paths` for SECRET_FIELDS at depth 0, 1 and 2 (e.g. `req.headers.authorization`). */
export function redactPaths(fields: readonly string[] = SECRET_FIELDS): string[] {
  const paths: string[] = [];
  for (const f of fields) {
    const s = segment(f);
    paths.push(s.startsWith('.') ? s.slice(1) : s, `*${s}`, `*.*${s}`);
  }
  return paths;
}

/** What a redacted value reads as. */
export const REDACTED = '[REDACTED]';

/**
 * Credentials recognisable by their form wherever they occur in a line (a message, an error's
 * text): Vault service, batch and recovery tokens (`hvs.`, `hvb.`, `hvr.` and 20+ characters) and
 * KES API keys (`kes:v1:` and base64). A backstop behind the field names: a secret of no known
 * form (an AppRole secret ID, an SSE-C key) is kept out only by not being logged.
 */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g,
  /\bkes:v1:[A-Za-z0-9+/=]{20,}/g,
];

/** `text` with every SECRET_PATTERNS match replaced by REDACTED. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const p of SECRET_PATTERNS) out = out.replace(p, REDACTED);
  return out;
}
