// Public surface of @kms-chain/policy: KES allow/deny policies, Vault ACL policies, and the HCL 1
// parser Vault's policies and server config are written in. Each module documents its contracts.
export * from './errors.js';
export * from './go-path-match.js';
export * from './hcl.js';
export * from './kes.js';
export * from './vault-acl.js';
export * from './vault-policy.js';
