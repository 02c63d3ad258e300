// Public surface of @kms-chain/cli. Each module documents its contract.
export * from './bin.js';
export * from './dialects.js';
export * from './errors.js';
export * from './flags.js';
export * from './runner.js';
