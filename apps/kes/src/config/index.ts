export { formatGoDuration, parseGoDuration } from './duration.js';
export { ConfigError, loadConfig, parseConfig, substituteEnv } from './load.js';
export type {
  KeystoreConfig,
  PolicyConfig,
  PolicyMatch,
  ServerConfig,
  VaultKeystoreConfig,
} from './types.js';
