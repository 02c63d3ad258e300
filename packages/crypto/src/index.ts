// Public surface of @kms-chain/crypto. Each module documents its own contracts.

export * from './barrier.js';
export * from './dare.js';
export * from './dare-offload.js';
export * from './dare-range.js';
export * from './errors.js';
export * from './go-json.js';
export * from './go-path.js';
export * from './hchacha20.js';
export * from './kes-seal.js';
export * from './object-key.js';
export * from './random.js';
export * from './secrets.js';
export * from './shamir.js';
