// Public surface of @kms-chain/concurrency. Each module documents its contract.
export * from './keyed-lock.js';
