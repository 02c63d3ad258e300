// CA certificates named by a path, as the servers' config takes them (KES `keystore.vault.tls.ca`,
// MinIO `MINIO_KMS_KES_CAPATH`): a PEM file, or a folder of them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TlsIdentityError } from './errors.js';
import { loadCertificates } from './load.js';

// Certificate files in a folder are told by their extension, so that keys, READMEs and
// subfolders kept beside them do not fail the load.
const CERT_FILE = /\.(pem|crt|cer|cert)$/i;

/**
 * The CA certificates at `path`: a file with one or more `CERTIFICATE` PEM blocks, or a folder
 * whose files named `*.pem`, `*.crt`, `*.cer` or `*.cert` are read in name order (other files and
 * subfolders are skipped). Every file read must hold at least one certificate.
 * @returns one PEM string per certificate, in file then block order: the form Node's `ca` option
 *   takes (an array adds to nothing else: only these CAs are trusted).
 * @throws TlsIdentityError `ca/io` when the path or a file cannot be read, `ca/empty` for a folder
 *   without certificate files, and the codes of {@link loadCertificates} (`pem/no-certificate`,
 *   `x509/malformed`, …) with the file's path in the message. Certificate bytes are never echoed.
 */
export function readCaBundle(path: string): string[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path, { withFileTypes: true })
          .filter((e) => e.isFile() && CERT_FILE.test(e.name))
          .map((e) => join(path, e.name))
          .sort()
      : [path];
  } catch (cause) {
    throw new TlsIdentityError('ca/io', `cannot read CA path '${path}': ${codeOf(cause)}`, { cause });
  }
  if (files.length === 0) {
    throw new TlsIdentityError(
      'ca/empty',
      `no CA certificate file (*.pem, *.crt, *.cer, *.cert) in '${path}'`,
    );
  }
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new TlsIdentityError('ca/io', `cannot read CA file '${file}': ${codeOf(cause)}`, { cause });
    }
    try {
      return loadCertificates(text).map((c) => c.toString());
    } catch (err) {
      if (!(err instanceof TlsIdentityError)) throw err;
      throw new TlsIdentityError(err.code, `CA file '${file}': ${err.message}`, { cause: err });
    }
  });
}

const codeOf = (err: unknown): string =>
  (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
