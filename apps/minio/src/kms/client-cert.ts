// The KES client certificate of MINIO_KMS_KES_CERT_FILE / MINIO_KMS_KES_KEY_FILE and its renewal
// without a restart. MinIO (minio/pkg `certs.Certificate.Watch(ctx, 15*time.Minute, syscall.SIGHUP)`,
// wired in internal/kms/config.go) re-reads the pair on three triggers: a write in the directory of
// either file (skipped there for symlinked files and on Kubernetes), every 15 minutes, and SIGHUP; a
// pair that fails to load (e.g. read between the two writes of a rotation) leaves the current one in
// use. Here the same triggers exist; the directory watch also follows symlinked files (Kubernetes
// secret mounts swap a `..data` link) by reacting to any change in their directory. A reload whose
// bytes equal the current ones changes nothing, so the periodic re-read keeps pooled connections.
import { createHash } from 'node:crypto';
import { type FSWatcher, lstatSync, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { clientTlsOptions } from '@kms-chain/tls-identity';
import type { KesAuth } from './config.js';

/** File authentication settings of {@link ClientCertFiles}. */
export type CertFilesAuth = Extract<KesAuth, { kind: 'files' }>;

/** When {@link ClientCertFiles.watch} re-reads the files. */
export interface CertWatchOptions {
  /** Periodic re-read in ms; default 15 minutes as MinIO; 0 = none. */
  intervalMs?: number;
  /** Signals that trigger a re-read; default `['SIGHUP']`. */
  signals?: NodeJS.Signals[];
  /** Watch the files' directories for changes; default true. */
  watchFiles?: boolean;
  /** Quiet time after a file event before reading, in ms, so both writes of a rotation land; default 100. */
  debounceMs?: number;
  /** Told about each re-read: `changed` when a new pair is in use, or the error that kept the old one. */
  onReload?: (result: { changed: boolean; error?: Error }) => void;
}

function readFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${variable}: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The client certificate files and the TLS settings made from them (one secure context per pair).
 * The constructor reads them and throws an Error naming the variable when a file cannot be read, or a
 * TlsIdentityError when the pair does not load (malformed PEM, wrong password, key not matching the
 * certificate).
 */
export class ClientCertFiles {
  #tls: ConnectionOptions;
  #digest: string;

  constructor(
    readonly auth: CertFilesAuth,
    readonly caPem: string | undefined,
  ) {
    const loaded = this.#load();
    this.#tls = loaded.tls;
    this.#digest = loaded.digest;
  }

  /** The TLS settings of the pair currently in use. */
  get tls(): ConnectionOptions {
    return this.#tls;
  }

  #load(): { tls: ConnectionOptions; digest: string } {
    const cert = readFile('MINIO_KMS_KES_CERT_FILE', this.auth.certFile);
    const key = readFile('MINIO_KMS_KES_KEY_FILE', this.auth.keyFile);
    try {
      const digest = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
      if (digest === this.#digest) return { tls: this.#tls, digest };
      const tls = clientTlsOptions({
        cert,
        key,
        ...(this.auth.keyPassword !== undefined ? { password: this.auth.keyPassword } : {}),
        ...(this.caPem !== undefined ? { ca: this.caPem } : {}),
      });
      return { tls, digest };
    } finally {
      key.fill(0);
    }
  }

  /**
   * Re-reads the pair. Resolves true when a different, valid pair is now in use (the caller swaps the
   * TLS settings), false when the files are unchanged; throws (keeping the current pair) when they do
   * not load.
   */
  reload(): boolean {
    const loaded = this.#load();
    if (loaded.digest === this.#digest) return false;
    this.#tls = loaded.tls;
    this.#digest = loaded.digest;
    return true;
  }

  /**
   * Re-reads the pair on file changes, periodically and on signals (see the file comment) and hands
   * every new pair's TLS settings to `onChange`. Returns the function that stops all three triggers.
   */
  watch(onChange: (tls: ConnectionOptions) => void, opts: CertWatchOptions = {}): () => void {
    const debounceMs = opts.debounceMs ?? 100;
    const run = (): void => {
      let changed = false;
      try {
        changed = this.reload();
      } catch (err) {
        opts.onReload?.({ changed: false, error: err as Error });
        return;
      }
      if (changed) onChange(this.#tls);
      opts.onReload?.({ changed });
    };
    let pending: NodeJS.Timeout | undefined;
    const soon = (): void => {
      if (pending) clearTimeout(pending);
      pending = setTimeout(() => {
        pending = undefined;
        run();
      }, debounceMs);
      pending.unref();
    };
    const watchers: FSWatcher[] = [];
    if (opts.watchFiles ?? true) {
      const files = [this.auth.certFile, this.auth.keyFile];
      const anyChange = files.some(isSymlink);
      const names = new Set(files.map((f) => basename(f)));
      for (const dir of new Set(files.map((f) => dirname(f)))) {
        try {
          const w = watch(dir, { persistent: false }, (_event, name) => {
            if (anyChange || name === null || names.has(String(name))) soon();
          });
          w.on('error', () => w.close());
          watchers.push(w);
        } catch {
          // An unwatchable directory leaves the periodic and signal triggers.
        }
      }
    }
    const interval = opts.intervalMs ?? 15 * 60_000;
    const timer = interval > 0 ? setInterval(run, interval) : undefined;
    timer?.unref();
    const signals = opts.signals ?? ['SIGHUP'];
    for (const s of signals) process.on(s, run);
    return () => {
      for (const w of watchers) w.close();
      if (timer) clearInterval(timer);
      if (pending) clearTimeout(pending);
      for (const s of signals) process.off(s, run);
    };
  }
}
