// Public surface of @kms-chain/libc. Each module documents its contract.
export * from './libc.js';
