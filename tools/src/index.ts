// Tooling shared by e2e, bench and scripts (never by the apps): see each module's header.
export * from './audit-logs.js';
export * from './chain.js';
export * from './etcd.js';
export * from './guide-setup.js';
export * from './https-json.js';
export * from './kes.js';
export * from './pki.js';
export * from './ports.js';
export * from './proc.js';
export * from './prometheus.js';
export * from './raw-http.js';
export * from './rss.js';
export * from './sigv4.js';
export * from './trace.js';
export * from './vault-config.js';
export * from './vault-ha.js';
