// Types of guide-setup.mjs for the TypeScript e2e tests that reuse it.
export declare const SHARES: number;
export declare const THRESHOLD: number;
export declare const KEY_NAME: string;
export declare const POLICY_NAME: string;
export declare const ROLE_NAME: string;
export declare const KV_PREFIX: string;
export declare const KES_POLICY_HCL: string;
export declare function writePrivateJson(path: string, data: unknown): Promise<void>;
export declare function readShareFile(
  path: string,
): Promise<{ unseal_keys_b64: string[]; unseal_threshold: number; root_token: string } | undefined>;
export declare function initAndUnseal(
  vaultAddr: string,
  ca: string,
  shareFile: string,
): Promise<{ rootToken: string; initializedNow: boolean }>;
export declare function configureVaultForKes(
  vaultAddr: string,
  ca: string,
  token: string,
): Promise<{ roleId: string; secretId: string }>;
export interface KesConfigOptions {
  address: string;
  tlsKey: string;
  tlsCert: string;
  tlsCa?: string;
  identity: string;
  vaultAddr: string;
  roleId: string;
  secretId: string;
  vaultCa: string;
  cache?: { all?: string; unused?: string; offline?: string };
  ping?: string;
}
export declare function kesConfigToml(o: KesConfigOptions): string;
/** The parts of a createDevPki result (with a `minio` client) the chain helpers read. */
export interface ChainPki {
  ca: { certPath: string };
  server: { certPath: string; keyPath: string };
  clients: { minio: { certPath: string; keyPath: string; identity: string } };
}
export declare function chainKesConfigToml(
  pki: ChainPki,
  o: { address: string; vaultAddr: string; approle: { roleId: string; secretId: string } },
): string;
export declare function chainMinioEnv(
  pki: ChainPki,
  o: { kesUrl: string; accessKey: string; secretKey: string; autoEncryption: boolean },
): Record<string, string>;
export declare function prepareChainMinio(pki: ChainPki, dir: string, address: string): Promise<string[]>;
export declare function createKesKey(
  kesAddr: string,
  tls: { ca?: string; cert?: string; key?: string },
  name?: string,
): Promise<boolean>;
