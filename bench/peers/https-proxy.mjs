// Reference for Vault HA forwarding: a bare node:https reverse proxy. It terminates the client's TLS
// and relays each request to one upstream over a pool of keep-alive TLS connections, streaming both
// bodies — the least a Node process can do to put one hop between a client and the active node.
// Usage: node https-proxy.mjs <upstream-url> <cert.pem> <key.pem> <ca.pem>
import { readFileSync } from 'node:fs';
import https from 'node:https';

const [upstream, certFile, keyFile, caFile] = process.argv.slice(2);
const target = new URL(upstream);
const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: readFileSync(caFile) });

const server = https.createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60_000 },
  (req, res) => {
    const headers = { ...req.headers, host: target.host };
    const out = https.request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  },
);
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
