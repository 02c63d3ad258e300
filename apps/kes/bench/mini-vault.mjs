// A minimal Vault-protocol server (AppRole login, KV v1, health) for the cold-cache measurement when
// no real Vault is configured. Used only by bench.mjs.

import { randomUUID } from 'node:crypto';
import http from 'node:http';

export async function startMiniVault({ roleId, secretId }) {
  const data = new Map();
  const tokens = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      const send = (code, body) => {
        res.writeHead(code, body ? { 'content-type': 'application/json' } : {});
        res.end(body ? JSON.stringify(body) : undefined);
      };
      const text = Buffer.concat(chunks).toString();
      const body = text ? JSON.parse(text) : undefined;
      if (url.pathname === '/v1/sys/health') return send(200, { initialized: true, sealed: false });
      if (url.pathname === '/v1/auth/approle/login') {
        if (body?.role_id !== roleId || body?.secret_id !== secretId)
          return send(400, { errors: ['invalid role or secret ID'] });
        const t = `hvs.${randomUUID()}`;
        tokens.add(t);
        return send(200, { auth: { client_token: t, lease_duration: 0, renewable: false } });
      }
      if (!tokens.has(req.headers['x-vault-token'])) return send(403, { errors: ['permission denied'] });
      const key = url.pathname.replace(/^\/v1\//, '');
      if (url.searchParams.get('list') === 'true') {
        const keys = [...data.keys()]
          .filter((k) => k.startsWith(`${key}/`))
          .map((k) => k.slice(key.length + 1));
        return keys.length ? send(200, { data: { keys } }) : send(404, { errors: [] });
      }
      if (req.method === 'GET')
        return data.has(key) ? send(200, { data: data.get(key) }) : send(404, { errors: [] });
      if (req.method === 'PUT' || req.method === 'POST') {
        data.set(key, body);
        return send(204);
      }
      if (req.method === 'DELETE') {
        data.delete(key);
        return send(204);
      }
      send(405, { errors: ['unsupported operation'] });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}
