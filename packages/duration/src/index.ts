// Public surface of @kms-chain/duration. Each module documents its contract.
export * from './go-duration.js';
export * from './vault-duration.js';
