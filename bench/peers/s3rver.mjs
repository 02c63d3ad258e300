// The npm s3rver as a benchmark peer, on its own process (needs --openssl-legacy-provider on Node 20).
import S3rver from 's3rver';

const [dir] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  configureBuckets: [{ name: 'bench' }],
});
const { port } = await server.run();
process.stdout.write(`READY ${port}\n`);
