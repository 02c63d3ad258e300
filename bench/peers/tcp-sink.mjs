// Loopback TCP reference: accepts connections, discards what arrives, and when the client ends its
// side answers with the byte count, so the client's clock covers delivery, not just its writes.
import { createServer } from 'node:net';

const server = createServer((socket) => {
  let bytes = 0;
  socket.on('data', (chunk) => {
    bytes += chunk.length;
  });
  socket.on('end', () => socket.end(`${bytes}\n`));
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
