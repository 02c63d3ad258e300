// DARE micro-benchmark: throughput of the DARE streams next to raw Node AEAD on the same data, so the
// package's overhead is visible. Runs on the built package (npm run bench -w packages/crypto builds it).
//
//   DARE_BENCH_MIB   data per measurement in MiB (default 256)
//   DARE_BENCH_WRITE write size in KiB (default 1024)
//   DARE_BENCH_RUNS  measured runs per row after one warm-up; the medians are printed (default 3)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createDareDecryptStream, createDareEncryptStream } from '../dist/index.js';

const MIB = 1024 * 1024;
const totalMiB = Number(process.env.DARE_BENCH_MIB ?? 256);
const writeSize = Number(process.env.DARE_BENCH_WRITE ?? 1024) * 1024;
const runs = Number(process.env.DARE_BENCH_RUNS ?? 3);
const total = totalMiB * MIB;
const writes = Math.ceil(total / writeSize);

const key = randomBytes(32);
const iv = randomBytes(12);
const block = randomBytes(writeSize); // the same buffer is written `writes` times

function rawEncrypt(cipher, updateSize) {
  const c = createCipheriv(cipher, key, iv, { authTagLength: 16 });
  for (let i = 0; i < writes; i++) {
    for (let off = 0; off < writeSize; off += updateSize) c.update(block.subarray(off, off + updateSize));
  }
  c.final();
  c.getAuthTag();
}

/** The floor for any DARE in Node: one cipher context per 64 KiB package (no framing, no streams). */
function rawPerPackage(cipher) {
  const aad = Buffer.alloc(4);
  for (let i = 0; i < writes; i++) {
    for (let off = 0; off < writeSize; off += 65_536) {
      const c = createCipheriv(cipher, key, iv, { authTagLength: 16 });
      c.setAAD(aad);
      c.update(block.subarray(off, off + 65_536));
      c.final();
      c.getAuthTag();
    }
  }
}

/** The decrypt floor: one verified decipher per 64 KiB package (ciphertexts and tags precomputed). */
function rawPerPackageDecrypt(cipher) {
  const aad = Buffer.alloc(4);
  const packages = [];
  for (let off = 0; off < writeSize; off += 65_536) {
    const c = createCipheriv(cipher, key, iv, { authTagLength: 16 });
    c.setAAD(aad);
    const ciphertext = c.update(block.subarray(off, off + 65_536));
    c.final();
    packages.push({ ciphertext, tag: c.getAuthTag() });
  }
  return () => {
    for (let i = 0; i < writes; i++) {
      for (const { ciphertext, tag } of packages) {
        const d = createDecipheriv(cipher, key, iv, { authTagLength: 16 });
        d.setAAD(aad);
        d.update(ciphertext);
        d.setAuthTag(tag);
        d.final();
      }
    }
  };
}

function rawDecrypt(cipher) {
  const d = createDecipheriv(cipher, key, iv, { authTagLength: 16 });
  for (let i = 0; i < writes; i++) d.update(block);
  // no final(): the tag is not valid for this data; the bulk work is done in update()
}

/** Write `chunks` into a Transform (honouring backpressure), consume and count its output. */
function drive(stream, chunkAt, count) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    stream.on('data', (b) => {
      bytes += b.length;
    });
    stream.on('end', () => resolve(bytes));
    stream.on('error', reject);
    let i = 0;
    const pump = () => {
      while (i < count) {
        const ok = stream.write(chunkAt(i++));
        if (!ok) {
          stream.once('drain', pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

async function ciphertextOf(cipher) {
  const parts = [];
  const enc = createDareEncryptStream(key, { cipher });
  enc.on('data', (b) => parts.push(b));
  await drive(enc, () => block, writes);
  return Buffer.concat(parts);
}

/**
 * One call of `fn`: MiB per second of wall-clock time and per second of process CPU time (all threads,
 * user + system). CPU time is the steadier figure on a shared machine; both are printed.
 */
async function rate(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return { wall: totalMiB / wall, cpu: totalMiB / ((cpu.user + cpu.system) / 1e6) };
}

const cases = [
  {
    name: `raw aes-256-gcm encrypt, ${writeSize / 1024} KiB updates`,
    fn: () => rawEncrypt('aes-256-gcm', writeSize),
  },
  { name: 'raw aes-256-gcm encrypt, 64 KiB updates', fn: () => rawEncrypt('aes-256-gcm', 65_536) },
  { name: 'raw aes-256-gcm encrypt, one context per 64 KiB', fn: () => rawPerPackage('aes-256-gcm') },
  { name: `raw aes-256-gcm decrypt, ${writeSize / 1024} KiB updates`, fn: () => rawDecrypt('aes-256-gcm') },
  { name: 'raw aes-256-gcm decrypt, one context per 64 KiB', fn: rawPerPackageDecrypt('aes-256-gcm') },
  {
    name: `raw chacha20-poly1305 encrypt, ${writeSize / 1024} KiB updates`,
    fn: () => rawEncrypt('chacha20-poly1305', writeSize),
  },
  {
    name: `raw chacha20-poly1305 decrypt, ${writeSize / 1024} KiB updates`,
    fn: () => rawDecrypt('chacha20-poly1305'),
  },
];
for (const cipher of ['aes-256-gcm', 'chacha20-poly1305']) {
  const ct = await ciphertextOf(cipher);
  const n = Math.ceil(ct.length / writeSize);
  cases.push(
    {
      name: `DARE encrypt stream, ${cipher}`,
      fn: () => drive(createDareEncryptStream(key, { cipher }), () => block, writes),
      base: `raw ${cipher} encrypt, ${writeSize / 1024} KiB updates`,
      floor: cipher === 'aes-256-gcm' ? 'raw aes-256-gcm encrypt, one context per 64 KiB' : undefined,
    },
    {
      name: `DARE decrypt stream, ${cipher}`,
      fn: () =>
        drive(createDareDecryptStream(key), (i) => ct.subarray(i * writeSize, (i + 1) * writeSize), n),
      base: `raw ${cipher} decrypt, ${writeSize / 1024} KiB updates`,
      floor: cipher === 'aes-256-gcm' ? 'raw aes-256-gcm decrypt, one context per 64 KiB' : undefined,
    },
  );
}

// Round-robin: every case once per round, so a change in machine load hits all rows alike.
for (const c of cases) await c.fn(); // warm-up
const samples = new Map(cases.map((c) => [c.name, []]));
for (let r = 0; r < runs; r++) {
  for (const c of cases) samples.get(c.name).push(await rate(c.fn));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuRate = new Map(cases.map((c) => [c.name, median(samples.get(c.name).map((x) => x.cpu))]));
const wallRate = new Map(cases.map((c) => [c.name, median(samples.get(c.name).map((x) => x.wall))]));

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `DARE micro-benchmark: ${totalMiB} MiB in ${writeSize / 1024} KiB writes, median of ${runs} round-robin runs\n` +
    `Node ${process.version}, OpenSSL ${process.versions.openssl}, ${cpu} (${cpus().length} CPUs), ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  'MiB/s per CPU-second (wall-clock MiB/s in brackets). raw = one Node cipher context over the same data\n' +
    'with the same write size; DARE needs one context per 64 KiB package. Ratios use CPU-time rates.',
);
const width = Math.max(...cases.map((c) => c.name.length));
for (const c of cases) {
  const r = cpuRate.get(c.name);
  let ratio = c.base ? `  ${(r / cpuRate.get(c.base)).toFixed(2)}x raw` : '';
  if (c.floor) ratio += `, ${(r / cpuRate.get(c.floor)).toFixed(2)}x one-context-per-64-KiB`;
  const wall = `(${wallRate.get(c.name).toFixed(0)})`;
  console.log(`${c.name.padEnd(width)}  ${r.toFixed(0).padStart(6)} MiB/s ${wall.padStart(7)}${ratio}`);
}
