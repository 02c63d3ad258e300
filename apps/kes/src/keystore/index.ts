import type { KeystoreConfig } from '../config/types.js';
import { FsKeystore } from './fs/index.js';
import type { Keystore } from './keystore.js';
import { MemKeystore } from './mem/index.js';
import { VaultKeystore } from './vault/index.js';

export { FsKeystore } from './fs/index.js';
export * from './keystore.js';
export { MemKeystore } from './mem/index.js';
export { VaultKeystore } from './vault/index.js';

/** Builds the configured keystore and starts its background work (Vault login, health loop). */
export async function openKeystore(cfg: KeystoreConfig, log: (m: string) => void): Promise<Keystore> {
  switch (cfg.kind) {
    case 'mem':
      return new MemKeystore();
    case 'fs':
      return new FsKeystore(cfg.path);
    case 'vault': {
      const v = new VaultKeystore(cfg, { log });
      await v.start();
      return v;
    }
  }
}
