// Floor reference for the benchmark: a bare node:http server that only does the unavoidable work.
// PUT pipes the body through MD5 into a file and fsyncs it; GET streams a file back.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [dir] = process.argv.slice(2);
await mkdir(dir, { recursive: true });
let seq = 0;

const server = createServer(async (req, res) => {
  const name = Buffer.from(req.url ?? '/')
    .toString('hex')
    .slice(0, 200);
  const path = join(dir, name);
  try {
    if (req.method === 'PUT') {
      const tmp = join(dir, `tmp-${process.pid}-${seq++}`);
      const fh = await open(tmp, 'w');
      const md5 = createHash('md5');
      let pos = 0;
      for await (const chunk of req) {
        md5.update(chunk);
        await fh.write(chunk, 0, chunk.length, pos);
        pos += chunk.length;
      }
      await fh.sync();
      await fh.close();
      await rename(tmp, path);
      res.writeHead(200, { etag: `"${md5.digest('hex')}"` }).end();
    } else if (req.method === 'GET') {
      const s = await stat(path);
      res.writeHead(200, { 'content-length': s.size });
      createReadStream(path).pipe(res);
    } else {
      res.writeHead(405).end();
    }
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
