// Public surface of @kms-chain/durable-fs. Each module documents its contract.
export * from './atomic-write.js';
export * from './dir-sync.js';
export * from './fsync-dir.js';
