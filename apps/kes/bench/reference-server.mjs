// The reference peer of the benchmark: a bare fastify endpoint over the same mTLS keep-alive setup,
// answering a small JSON body — the ceiling for any fastify-based KES on this machine.
import { readFileSync } from 'node:fs';
import { mtlsServerOptions } from '@kms-chain/tls-identity';
import fastify from 'fastify';

const [certFile, keyFile, caFile] = process.argv.slice(2);
const app = fastify({
  https: mtlsServerOptions({
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    ca: readFileSync(caFile, 'utf8'),
    clientAuth: 'ignore',
  }),
  keepAliveTimeout: 90_000,
  logger: false,
});
const body = JSON.stringify({
  plaintext: Buffer.alloc(32, 1).toString('base64'),
  ciphertext: Buffer.alloc(76, 2).toString('base64'),
});
app.post('/v1/key/generate/*', async (_req, reply) => reply.type('application/json').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`Endpoint https://127.0.0.1:${app.server.address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
