// Public surface of @kms-chain/log. Each module documents its contract.
export * from './levels.js';
export * from './logger.js';
export * from './redact.js';
export * from './request.js';
export * from './request-logger.js';
export * from './standard.js';
