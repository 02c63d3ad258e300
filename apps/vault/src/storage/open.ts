// The storage named by the config's `storage` block, for the server and `operator migrate`.
import { resolve } from 'node:path';
import { EtcdStorage, parseEtcdOptions } from './etcd.js';
import { FileStorage } from './file.js';
import { InmemStorage } from './inmem.js';
import type { HaBackend, Storage } from './storage.js';

/** A storage the caller closes when done (etcd keeps connections open). */
export interface OpenStorage {
  storage: Storage;
  /** Present when the block enables HA (`ha_enabled`). */
  ha?: HaBackend;
  close(): void;
}

/**
 * Opens `file`, `inmem` or `etcd` storage from its block's options.
 * @throws Error naming the option at fault, or the etcd client's reason when no endpoint answers.
 */
export async function openStorage(block: {
  type: string;
  options: Record<string, unknown>;
}): Promise<OpenStorage> {
  switch (block.type) {
    case 'file':
      return { storage: new FileStorage(resolve(String(block.options['path']))), close: () => {} };
    case 'inmem':
      return { storage: new InmemStorage(), close: () => {} };
    case 'etcd': {
      const options = parseEtcdOptions(block.options);
      const etcd = await EtcdStorage.open(options);
      return { storage: etcd, ...(options.haEnabled ? { ha: etcd } : {}), close: () => etcd.close() };
    }
    default:
      throw new Error(`storage.${block.type}: unsupported storage backend (supported: file, inmem, etcd)`);
  }
}
