import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '../../src/config/types.js';
import type { Keystore } from '../../src/keystore/keystore.js';
import { Logs } from '../../src/log.js';
import { buildServer, type KesServer } from '../../src/server.js';
import { KesTestClient } from './http.js';
import type { TestPki } from './pki.js';

export function baseConfig(pki: TestPki, over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    file: 'test.yaml',
    era: 'yaml',
    address: '127.0.0.1:0',
    admin: pki.admin.identity,
    tls: { key: '', cert: '', clientAuth: 'ignore' },
    policies: [
      {
        name: 'minio',
        allow: [
          '/v1/key/create/minio-*',
          '/v1/key/generate/minio-*',
          '/v1/key/decrypt/minio-*',
          '/v1/key/describe/minio-*',
          '/v1/key/list/*',
          '/v1/status',
          '/v1/log/audit',
        ],
        deny: ['/v1/key/decrypt/minio-forbidden'],
        identities: [pki.minio.identity],
      },
    ],
    policyMatch: 'prefix',
    errors: 'head',
    cache: { anyMs: 0, unusedMs: 0, offlineMs: 0 },
    log: { error: false, audit: false, errorFiles: [], auditFiles: [] },
    skipAuth: [],
    timeouts: {},
    keys: [],
    keystore: { kind: 'mem' },
    ...over,
  };
}

export interface Running {
  app: KesServer;
  client: KesTestClient;
  url: string;
  logs: Logs;
  close(): Promise<void>;
}

/** Starts a KES server on 127.0.0.1 over real mTLS. */
export async function startKes(
  pki: TestPki,
  config: ServerConfig,
  keystore?: Keystore,
  cacheProbeMs?: number,
): Promise<Running> {
  const logs = new Logs();
  const app = await buildServer(config, {
    logs,
    tls: { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem },
    ...(keystore ? { keystore } : {}),
    ...(cacheProbeMs ? { cacheProbeMs } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  const client = new KesTestClient(url, pki.ca.certPem);
  return {
    app,
    client,
    url,
    logs,
    async close() {
      client.close();
      await app.close();
    },
  };
}
