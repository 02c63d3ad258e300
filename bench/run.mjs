#!/usr/bin/env node
// `npm run bench`: the chain (minio → kes → vault, all TLS, from the built bins) beside its peer
// (s3rver) and physical references, in one run on one machine. Every figure is measured over several
// rounds, interleaved across configurations so a burst of other load does not land on one side of
// a ratio only; dirty pages are written out before each measurement, so none pays for another's.
// Prints a table (min/median/max, targets met or not), writes <out-dir>/<timestamp>.json (raw
// rounds, machine facts, load average) and <timestamp>.svg. `--pool` re-judges saved runs instead.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { etcdBinary, httpsOk, peakRssMiB, resetPeakRss } from '@kms-chain/tools';
import { CHAIN_KEY_NAME, chainPids, startChain } from './lib/chain.mjs';
import { hopLatency, startHaVault } from './lib/ha.mjs';
import { opsPerSecond, since, timeBatch } from './lib/load.mjs';
import { timeNpmStart } from './lib/npm-start.mjs';
import { settleDisk, startNode } from './lib/proc.mjs';
import { hotFunctions } from './lib/profile.mjs';
import { createProgress } from './lib/progress.mjs';
import { aesGcmMiBps, fsyncLoopOps, md5MiBps, tcpMiBps } from './lib/references.mjs';
import {
  evaluateTargets,
  markdownTables,
  pooledTargetTable,
  poolFigures,
  summarize,
  svgChart,
  textTable,
} from './lib/report.mjs';
import { ensureBucket, probeMode, S3RequestError, s3Call, s3Endpoint, sseModes } from './lib/s3.mjs';
import { jsonCall, keepAliveAgent } from './lib/services.mjs';

const root = resolve(import.meta.dirname, '..');
const MiB = 1024 * 1024;
const SMALL = 4 * 1024;
const OBJECT_CLIENTS = 32;
const KES_CLIENTS = 64;
const VAULT_CLIENTS = 32;

const USAGE = `usage: npm run bench [-- options]

  --quick             a ~1-minute smoke run (fewer rounds, 16 MiB objects, no 1 GiB round)
  --rounds N          rounds per figure (5; --quick 2)
  --big-mib N         size of the large objects in MiB (64; --quick 16)
  --big-count N       large objects per stream per round (2; --quick 1)
  --small-ops N       4 KiB operations per round (500; --quick 300)
  --seconds S         length of each timed KES/Vault/reference run (3; --quick 1)
  --huge-mib N        the single-object round for peak RSS, 0 to skip (1024; --quick 0)
  --cold-samples N    cold-cache KES generates (20; --quick 5)
  --cold-starts N     chain cold starts (3; --quick 1)
  --out-dir DIR       where the JSON and SVG go (bench/results)
  --profile DIR       run the measured chain under node --cpu-prof into DIR and list each
                      server's hot functions (profiling slows the servers a little)
  --readme            replace the latest-run section of bench/README.md with this run's tables
  --pool              measure nothing: evaluate the targets over every run saved in the out-dir
                      with the same object sizes, counts and timings (the options above)
`;

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        'big-mib': { type: 'string' },
        'big-count': { type: 'string' },
        'small-ops': { type: 'string' },
        seconds: { type: 'string' },
        'huge-mib': { type: 'string' },
        'cold-samples': { type: 'string' },
        'cold-starts': { type: 'string' },
        'out-dir': { type: 'string' },
        readme: { type: 'boolean', default: false },
        pool: { type: 'boolean', default: false },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const q = values.quick;
  const num = (name, full, quick, { min = 1, integer = true } = {}) => {
    const raw = values[name];
    if (raw === undefined) return q ? quick : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new UsageError(
        `--${name}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"`,
      );
    return n;
  };
  return {
    help: values.help,
    quick: q,
    // A ratio target compares two noisy figures. With three rounds of one large object per figure a
    // ratio moved by ±0.1 between idle runs, so a full run does five rounds, of two large objects per
    // stream. The 4 KiB count stays at 500: minio's metadata cache (16 MiB) holds the 2000 small
    // objects the four modes write at that count, and not the 4000 written at 1000, whose GETs then
    // read from disk (4 KiB GETs: ≈ 4000/s at 500, ≈ 2300/s at 1000).
    rounds: num('rounds', 5, 2),
    bigMiB: num('big-mib', 64, 16),
    bigCount: num('big-count', 2, 1),
    smallOps: num('small-ops', 500, 300),
    seconds: num('seconds', 3, 1, { min: 0.05, integer: false }),
    hugeMiB: num('huge-mib', 1024, 0, { min: 0 }),
    coldSamples: num('cold-samples', 20, 5),
    coldStarts: num('cold-starts', 3, 1),
    outDir: resolve(values['out-dir'] ?? join(root, 'bench', 'results')),
    readme: values.readme,
    pool: values.pool,
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    // The HA rows need Debian's etcd-server (.ci/run installs it); without it they are left out.
    ha: etcdBinary() !== undefined,
  };
}

class UsageError extends Error {}

function machineFacts() {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryMiB: Math.round(totalmem() / MiB),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    loadavgStart: loadavg(),
  };
}

/** The single large object is the large-object buffer sent this many times. */
function hugeRepeat(opts) {
  return Math.max(1, Math.round(opts.hugeMiB / opts.bigMiB));
}

/** The figures of the run, in table order; each collects one value per round. */
function defineFigures(opts, modes) {
  const figures = {};
  const def = (id, group, label, unit) => {
    figures[id] = { id, group, label, unit, status: 'ok', rounds: [] };
  };
  const big = `${opts.bigMiB} MiB`;
  const objectFigures = [
    ['put1', `PUT ${big} ×1`, 'MiB/s'],
    ['put4', `PUT ${big} ×4`, 'MiB/s'],
    ['get1', `GET ${big} ×1`, 'MiB/s'],
    ['get4', `GET ${big} ×4`, 'MiB/s'],
    ['small-put', `PUT 4 KiB ×${OBJECT_CLIENTS}`, 'ops/s'],
    ['small-get', `GET 4 KiB ×${OBJECT_CLIENTS}`, 'ops/s'],
  ];
  def('ref.aes-gcm', 'references', 'AES-256-GCM, 64 KiB packages, 1 core', 'MiB/s');
  def('ref.md5', 'references', 'MD5, 64 KiB buffers, 1 core', 'MiB/s');
  def('ref.tcp', 'references', 'loopback TCP, 1 stream', 'MiB/s');
  for (const [f, label, unit] of objectFigures)
    def(`ref.floor.${f}`, 'references', `node:http MD5→fsynced file: ${label}`, unit);
  def('ref.mtls', 'references', `bare fastify mTLS keep-alive POST ×${KES_CLIENTS}`, 'ops/s');
  def('ref.tls-read', 'references', `bare fastify TLS GET ×${VAULT_CLIENTS}`, 'ops/s');
  def('ref.fsync', 'references', `tmp+fsync+rename ×${VAULT_CLIENTS}`, 'ops/s');
  for (const [f, label, unit] of objectFigures)
    def(`peer.s3rver.${f}`, 'peer: s3rver (HTTP, plaintext)', `s3rver: ${label}`, unit);
  for (const mode of modes)
    for (const [f, label, unit] of objectFigures)
      def(`chain.${mode.id}.${f}`, 'object store: chain (HTTPS)', `chain ${mode.label}: ${label}`, unit);
  def('kes.generate', 'KES (mTLS keep-alive)', `KES generate, warm cache ×${KES_CLIENTS}`, 'ops/s');
  def('kes.decrypt', 'KES (mTLS keep-alive)', `KES decrypt, warm cache ×${KES_CLIENTS}`, 'ops/s');
  def('kes.cold', 'KES (mTLS keep-alive)', 'KES generate, cold cache (key read from Vault)', 'ms');
  def('vault.read', 'Vault (TLS keep-alive)', `Vault KV v1 read ×${VAULT_CLIENTS}`, 'ops/s');
  def('vault.write', 'Vault (TLS keep-alive)', `Vault KV v1 durable write ×${VAULT_CLIENTS}`, 'ops/s');
  def('vault.login', 'Vault (TLS keep-alive)', `Vault AppRole login ×${VAULT_CLIENTS}`, 'ops/s');
  if (opts.ha) {
    const g = 'Vault HA on etcd (TLS keep-alive)';
    def('ha.read.active', g, `KV v1 read via the active node ×${VAULT_CLIENTS}`, 'ops/s');
    def(
      'ha.read.standby',
      g,
      `KV v1 read via the standby (forwarded to the active) ×${VAULT_CLIENTS}`,
      'ops/s',
    );
    def('ha.write.active', g, `KV v1 write via the active node ×${VAULT_CLIENTS}`, 'ops/s');
    def('ha.write.standby', g, `KV v1 write via the standby ×${VAULT_CLIENTS}`, 'ops/s');
    def(
      'ha.read.proxy',
      g,
      `KV v1 read via a bare node:https proxy to the active node (reference) ×${VAULT_CLIENTS}`,
      'ops/s',
    );
    def(
      'ha.hop.standby',
      g,
      'one KV read ×1 via the standby, over via the active node (medians, requests in turn)',
      'ms',
    );
    def('ha.hop.proxy', g, 'the same via the bare node:https proxy (reference)', 'ms');
    def('ha.failover', g, 'kill -9 of the active node → the standby active (lock_timeout 5s)', 's');
  }
  def('start.npm', 'chain start', 'npm start → first SSE-S3 PUT (empty data dir)', 's');
  def('start.cold', 'chain start', 'bench harness start → first SSE-S3 PUT', 's');
  for (const mode of modes)
    for (const server of ['minio', 'kes', 'vault'])
      def(
        `rss.big.${mode.id}.${server}`,
        'peak RSS, large-object rounds',
        `${server}, ${mode.label}, ${big}`,
        'MiB',
      );
  if (opts.hugeMiB > 0)
    for (const mode of modes.slice(0, 2))
      for (const server of ['minio', 'kes', 'vault'])
        def(
          `rss.huge.${mode.id}.${server}`,
          'peak RSS, single large object',
          `${server}, ${mode.label}, ${hugeRepeat(opts) * opts.bigMiB} MiB PUT+GET`,
          'MiB',
        );
  return figures;
}

async function main(argv) {
  const opts = parseOptions(argv);
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.pool) return poolSavedRuns(opts);
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = machineFacts();
  const loadSamples = [];
  const loadTimer = setInterval(() => loadSamples.push(loadavg()[0]), 5000).unref();
  const modes = sseModes(CHAIN_KEY_NAME);
  const figures = defineFigures(opts, modes);
  const extra = { coldStartPhases: [], probes: {}, rssResetSupported: undefined };
  const work = await mkdtemp(join(tmpdir(), 'kms-chain-bench-'));
  const peers = {};
  const agents = [];
  let chain;

  const fail = (id, err) => {
    const fig = figures[id];
    if (fig?.status !== 'ok') return;
    fig.status = 'error';
    fig.note = err instanceof Error ? err.message : String(err);
  };
  const measure = async (id, fn) => {
    const fig = figures[id];
    if (fig?.status !== 'ok') return;
    try {
      await settleDisk();
      fig.rounds.push(Number((await fn()).toPrecision(6)));
    } catch (err) {
      fail(id, err);
    }
  };

  // The plan, so the progress indicator knows its length before anything runs.
  const steps = [];
  const step = (label, run) => steps.push({ label, run });
  const big = randomBytes(opts.bigMiB * MiB);
  const small = randomBytes(SMALL);

  step('peers: s3rver, node:http floor, bare fastify TLS and mTLS, TCP sink', async () => {
    const peerDir = join(work, 'peers');
    await mkdir(peerDir, { recursive: true });
    const peerScripts = join(root, 'bench', 'peers');
    const ready = /READY (\d+)/;
    const s3rver = await startNode('s3rver', [join(peerScripts, 's3rver.mjs'), join(peerDir, 's3rver')], {
      ready,
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
    });
    peers.s3rver = {
      ...s3rver,
      ep: s3Endpoint({
        name: 's3rver',
        url: `http://127.0.0.1:${s3rver.match[1]}`,
        creds: ['S3RVER', 'S3RVER'],
      }),
    };
    const floor = await startNode('floor', [join(peerScripts, 'floor.mjs'), join(peerDir, 'floor')], {
      ready,
    });
    peers.floor = { ...floor, ep: s3Endpoint({ name: 'floor', url: `http://127.0.0.1:${floor.match[1]}` }) };
    peers.tcp = await startNode('tcp-sink', [join(peerScripts, 'tcp-sink.mjs')], { ready });
  });

  for (let r = 1; r <= opts.rounds; r++) {
    step(`references round ${r}: AES-256-GCM, MD5, loopback TCP`, async () => {
      await measure('ref.aes-gcm', () => aesGcmMiBps(Math.min(opts.seconds, 2)));
      await measure('ref.md5', () => md5MiBps(Math.min(opts.seconds, 2)));
      await measure('ref.tcp', () => tcpMiBps(Number(peers.tcp.match[1]), Math.max(64, opts.bigMiB * 4)));
    });
  }

  for (let c = 1; c <= opts.coldStarts; c++) {
    step(`npm start cold start ${c}/${opts.coldStarts}`, async () => {
      const dataDir = join(work, `npm-start-${c}`);
      const fig = figures['start.npm'];
      try {
        const r = await timeNpmStart(dataDir, join(work, `npm-start-${c}.log`), small);
        if (r.unsupported) {
          fig.status = 'unsupported';
          fig.note = r.unsupported;
        } else if (fig.status === 'ok') fig.rounds.push(Number(r.seconds.toPrecision(6)));
      } catch (err) {
        fail('start.npm', err);
      }
      await rm(dataDir, { recursive: true, force: true });
    });
  }
  for (let c = 1; c <= opts.coldStarts; c++) {
    step(`chain cold start ${c}/${opts.coldStarts}`, async () => {
      if (chain) {
        await chain.stop();
        await rm(chain.dir, { recursive: true, force: true });
        chain = undefined;
      }
      const t0 = performance.now();
      const phases = {};
      // Only the chain kept for the measurements is profiled.
      const profileDir = c === opts.coldStarts ? opts.profileDir : undefined;
      chain = await startChain(
        join(work, `chain-${c}`),
        (p) => {
          phases[p] = since(t0);
        },
        { profileDir },
      );
      const ep = s3Endpoint({ name: 'minio', url: chain.urls.minio, creds: chain.creds, ca: chain.ca });
      await ensureBucket(ep, 'bench');
      try {
        const res = await s3Call(ep, 'PUT', '/bench/cold-start', {
          headers: modes[1].putHeaders,
          body: small,
        });
        if (res.headers['x-amz-server-side-encryption'] !== 'AES256') {
          figures['start.cold'].status = 'unsupported';
          figures['start.cold'].note = 'minio stored the SSE-S3 PUT without reporting encryption';
        } else {
          phases['first SSE-S3 PUT'] = since(t0);
          figures['start.cold'].rounds.push(Number(phases['first SSE-S3 PUT'].toPrecision(6)));
        }
      } catch (err) {
        if (!(err instanceof S3RequestError)) throw err;
        figures['start.cold'].status = 'unsupported';
        figures['start.cold'].note = err.message;
      }
      extra.coldStartPhases.push(phases);
      chain.ep = ep;
      agents.push(ep.agent);
    });
  }

  step('chain: which SSE types are supported; reference endpoints', async () => {
    for (const mode of modes) {
      const probe = await probeMode(chain.ep, 'bench', mode);
      extra.probes[mode.id] = probe;
      if (!probe.ok)
        for (const [id, fig] of Object.entries(figures))
          if (
            id.startsWith(`chain.${mode.id}.`) ||
            id.startsWith(`rss.big.${mode.id}.`) ||
            id.startsWith(`rss.huge.${mode.id}.`)
          ) {
            fig.status = 'unsupported';
            fig.note = probe.reason;
          }
    }
    const refDir = join(work, 'tls-ref');
    await mkdir(refDir, { recursive: true });
    // The vault bench's bare server reads c.pem / k.pem from its directory.
    await writeFile(join(refDir, 'c.pem'), chain.pki.server.certPem);
    await writeFile(join(refDir, 'k.pem'), chain.pki.server.keyPem, { mode: 0o600 });
    const tls = await startNode(
      'bare-tls',
      [join(root, 'apps', 'vault', 'bench', 'server.mjs'), 'bare', refDir],
      {
        ready: /"port":(\d+)/,
      },
    );
    peers.tls = { ...tls, url: `https://127.0.0.1:${tls.match[1]}` };
    const mtls = await startNode(
      'bare-mtls',
      [
        join(root, 'apps', 'kes', 'bench', 'reference-server.mjs'),
        chain.pki.server.certPath,
        chain.pki.server.keyPath,
        chain.pki.ca.certPath,
      ],
      { ready: /Endpoint\s+(https:\/\/\S+)/ },
    );
    peers.mtls = { ...mtls, url: mtls.match[1] };
  });

  // Object store rounds: every figure for every configuration back to back, round after round. The
  // chain's modes take turns going first (round r starts at mode r − 1): in a fixed order the mode
  // right after plaintext ran slower every time (SSE-KMS, the same KES work as SSE-S3 one slot
  // later, beat SSE-S3's 4 KiB PUTs in 9 rounds of 9 over three runs).
  const targets = (round) => [
    { key: 'ref.floor', ep: peers.floor.ep, prefix: '/bench/floor', put: {}, get: {} },
    { key: 'peer.s3rver', ep: peers.s3rver.ep, prefix: '/bench/s3rver', put: {}, get: {} },
    ...modes
      .map((_, i) => modes[(i + round - 1) % modes.length])
      .map((m) => ({
        key: `chain.${m.id}`,
        mode: m,
        ep: chain.ep,
        prefix: `/bench/${m.id}`,
        put: m.putHeaders,
        get: m.getHeaders,
      })),
  ];
  const pids = () => Object.entries(chainPids(chain));
  const withPeakRss = async (t, group, fn) => {
    if (!t.mode || figures[`rss.${group}.${t.mode.id}.minio`]?.status !== 'ok') return fn();
    for (const [, pid] of pids())
      extra.rssResetSupported = (await resetPeakRss(pid)) && extra.rssResetSupported !== false;
    const value = await fn();
    for (const [name, pid] of pids()) {
      const peak = await peakRssMiB(pid);
      if (peak !== undefined) figures[`rss.${group}.${t.mode.id}.${name}`].rounds.push(peak);
    }
    return value;
  };
  const perStream = opts.bigCount;
  const objectWork = [
    [
      'put1',
      1,
      (t) =>
        timeBatch(perStream, 1, (i) =>
          s3Call(t.ep, 'PUT', `${t.prefix}-big-${i}`, { headers: t.put, body: big }),
        ),
      perStream * opts.bigMiB,
    ],
    [
      'put4',
      4,
      (t) =>
        timeBatch(perStream * 4, 4, (i) =>
          s3Call(t.ep, 'PUT', `${t.prefix}-big-${i}`, { headers: t.put, body: big }),
        ),
      perStream * 4 * opts.bigMiB,
    ],
    [
      'get1',
      1,
      (t) => timeBatch(perStream, 1, (i) => s3Call(t.ep, 'GET', `${t.prefix}-big-${i}`, { headers: t.get })),
      perStream * opts.bigMiB,
    ],
    [
      'get4',
      4,
      (t) =>
        timeBatch(perStream * 4, 4, (i) => s3Call(t.ep, 'GET', `${t.prefix}-big-${i}`, { headers: t.get })),
      perStream * 4 * opts.bigMiB,
    ],
    [
      'small-put',
      0,
      (t) =>
        timeBatch(opts.smallOps, OBJECT_CLIENTS, (i) =>
          s3Call(t.ep, 'PUT', `${t.prefix}-small-${i}`, { headers: t.put, body: small }),
        ),
      opts.smallOps,
    ],
    [
      'small-get',
      0,
      (t) =>
        timeBatch(opts.smallOps, OBJECT_CLIENTS, (i) =>
          s3Call(t.ep, 'GET', `${t.prefix}-small-${i}`, { headers: t.get }),
        ),
      opts.smallOps,
    ],
  ];
  for (let r = 1; r <= opts.rounds; r++) {
    for (const [f, streams, run, amount] of objectWork) {
      step(
        `object store round ${r}/${opts.rounds}: ${f} (floor, s3rver, chain ×${modes.length})`,
        async () => {
          for (const t of targets(r)) {
            await measure(`${t.key}.${f}`, async () => {
              const seconds = streams ? await withPeakRss(t, 'big', () => run(t)) : await run(t);
              return amount / seconds;
            });
          }
        },
      );
    }
  }

  if (opts.hugeMiB > 0) {
    for (const mode of modes.slice(0, 2)) {
      step(`${opts.hugeMiB} MiB PUT+GET, ${mode.label}: peak RSS`, async () => {
        const t = {
          mode,
          ep: chain.ep,
          prefix: `/bench/${mode.id}`,
          put: mode.putHeaders,
          get: mode.getHeaders,
        };
        const repeat = hugeRepeat(opts);
        try {
          await withPeakRss(t, 'huge', async () => {
            await s3Call(t.ep, 'PUT', `${t.prefix}-huge`, { headers: t.put, body: big, repeat });
            const got = await s3Call(t.ep, 'GET', `${t.prefix}-huge`, { headers: t.get });
            if (got.bytes !== big.length * repeat) throw new Error(`GET returned ${got.bytes} bytes`);
            await s3Call(t.ep, 'DELETE', `${t.prefix}-huge`);
          });
        } catch (err) {
          for (const s of ['minio', 'kes', 'vault']) fail(`rss.huge.${mode.id}.${s}`, err);
        }
      });
    }
  }

  // KES: the bare mTLS reference, generate and decrypt, interleaved per round; then cold misses.
  const kes = {};
  step('KES: warm-up', async () => {
    kes.agent = keepAliveAgent({ ...chain.minioTls, sockets: KES_CLIENTS });
    agents.push(kes.agent);
    kes.context = Buffer.from('{"bench":"bench/object"}').toString('base64');
    const g = await jsonCall(kes.agent, chain.urls.kes, 'POST', `/v1/key/generate/${CHAIN_KEY_NAME}`, {
      body: { context: kes.context },
    });
    kes.ciphertext = g.ciphertext;
    const warm = (base, path, body) =>
      opsPerSecond(Math.min(0.5, opts.seconds), KES_CLIENTS, () =>
        jsonCall(kes.agent, base, 'POST', path, { body }),
      );
    await warm(peers.mtls.url, '/v1/key/generate/x', { context: kes.context });
    await warm(chain.urls.kes, `/v1/key/generate/${CHAIN_KEY_NAME}`, { context: kes.context });
  });
  for (let r = 1; r <= opts.rounds; r++) {
    step(`KES round ${r}/${opts.rounds}: reference, generate, decrypt`, async () => {
      const load = (base, path, body) => () =>
        opsPerSecond(opts.seconds, KES_CLIENTS, () => jsonCall(kes.agent, base, 'POST', path, { body }));
      await measure('ref.mtls', load(peers.mtls.url, '/v1/key/generate/x', { context: kes.context }));
      await measure(
        'kes.generate',
        load(chain.urls.kes, `/v1/key/generate/${CHAIN_KEY_NAME}`, { context: kes.context }),
      );
      await measure(
        'kes.decrypt',
        load(chain.urls.kes, `/v1/key/decrypt/${CHAIN_KEY_NAME}`, {
          ciphertext: kes.ciphertext,
          context: kes.context,
        }),
      );
    });
  }
  step(`KES: ${opts.coldSamples} cold-cache generates through Vault`, async () => {
    // KES caches a key only once a get succeeds, so the first generate of a fresh key reads Vault.
    for (let i = 0; i < opts.coldSamples; i++) {
      const name = `${CHAIN_KEY_NAME.replace(/-\d+$/, '')}-bench-cold-${Date.now()}-${i}`;
      await measure('kes.cold', async () => {
        await jsonCall(kes.agent, chain.urls.kes, 'POST', `/v1/key/create/${name}`);
        const t0 = performance.now();
        await jsonCall(kes.agent, chain.urls.kes, 'POST', `/v1/key/generate/${name}`, {
          body: { context: kes.context },
        });
        return performance.now() - t0;
      });
    }
  });

  // Vault: bare TLS reads, KV reads/writes, the fsync loop and logins, interleaved per round.
  const vault = {};
  step('Vault: set-up (kv/bench/k) and warm-up', async () => {
    vault.agent = keepAliveAgent({ ca: chain.ca, sockets: VAULT_CLIENTS });
    agents.push(vault.agent);
    vault.auth = { 'x-vault-token': chain.rootToken };
    await jsonCall(vault.agent, chain.urls.vault, 'PUT', '/v1/kv/bench/k', {
      headers: vault.auth,
      body: { key: 'value' },
    });
    await opsPerSecond(Math.min(0.5, opts.seconds), VAULT_CLIENTS, () =>
      jsonCall(vault.agent, peers.tls.url, 'GET', '/v1/kv/bench/k'),
    );
    await opsPerSecond(Math.min(0.5, opts.seconds), VAULT_CLIENTS, () =>
      jsonCall(vault.agent, chain.urls.vault, 'GET', '/v1/kv/bench/k', { headers: vault.auth }),
    );
  });
  for (let r = 1; r <= opts.rounds; r++) {
    step(`Vault round ${r}/${opts.rounds}: bare TLS, read, write, fsync loop, login`, async () => {
      const s = opts.seconds;
      const v = (method, path, extraOpts) => () =>
        opsPerSecond(s, VAULT_CLIENTS, (i) =>
          jsonCall(vault.agent, chain.urls.vault, method, path(i), extraOpts(i)),
        );
      await measure('ref.tls-read', () =>
        opsPerSecond(s, VAULT_CLIENTS, () => jsonCall(vault.agent, peers.tls.url, 'GET', '/v1/kv/bench/k')),
      );
      await measure(
        'vault.read',
        v(
          'GET',
          () => '/v1/kv/bench/k',
          () => ({ headers: vault.auth }),
        ),
      );
      await measure(
        'vault.write',
        v(
          'PUT',
          (i) => `/v1/kv/bench/w${i % 1024}`,
          (i) => ({ headers: vault.auth, body: { key: `v${i}` } }),
        ),
      );
      await measure('ref.fsync', () => fsyncLoopOps(join(work, 'fsync'), s, VAULT_CLIENTS));
      await measure(
        'vault.login',
        v(
          'PUT',
          () => '/v1/auth/approle/login',
          () => ({ body: { role_id: chain.approle.roleId, secret_id: chain.approle.secretId } }),
        ),
      );
    });
  }

  // Vault in HA: reads and writes through the active node and through the standby (which forwards
  // them to the active node; a 307 would be followed), interleaved per round; then one failover.
  const ha = {};
  if (opts.ha) {
    step('Vault HA: etcd and two nodes, set-up', async () => {
      ha.vault = await startHaVault({ dir: work, pki: chain.pki });
      ha.agent = keepAliveAgent({ ca: chain.ca, sockets: VAULT_CLIENTS });
      agents.push(ha.agent);
      await haCall(ha.vault.active, 'PUT', '/v1/kv/bench/k', { key: 'value' });
      const { certPath, keyPath } = chain.pki.server;
      ha.proxy = await startNode(
        'https-proxy',
        [
          join(root, 'bench', 'peers', 'https-proxy.mjs'),
          ha.vault.active,
          certPath,
          keyPath,
          chain.pki.ca.certPath,
        ],
        { ready: /READY (\d+)/ },
      );
      ha.vault.proxy = `https://127.0.0.1:${ha.proxy.match[1]}`;
    });
    const haCall = (base, method, path, body) =>
      httpsOk(`${method} ${path}`, new URL(path, base), {
        agent: ha.agent,
        method,
        token: ha.vault.rootToken,
        body,
        timeoutMs: 0,
        followRedirects: 1,
      });
    for (let r = 1; r <= opts.rounds; r++) {
      step(
        `Vault HA round ${r}/${opts.rounds}: read and write via the active node and the standby`,
        async () => {
          const s = opts.seconds;
          for (const via of ['active', 'standby', 'proxy']) {
            const base = ha.vault[via];
            await measure(`ha.read.${via}`, () =>
              opsPerSecond(s, VAULT_CLIENTS, () => haCall(base, 'GET', '/v1/kv/bench/k')),
            );
            if (via === 'proxy') continue;
            await measure(`ha.write.${via}`, () =>
              opsPerSecond(s, VAULT_CLIENTS, (i) =>
                haCall(base, 'PUT', `/v1/kv/bench/w${i % 1024}`, { key: `v${i}` }),
              ),
            );
          }
          // One request at a time, the three ways in turn: what a forwarded request pays over a
          // direct one, beside what one hop through the bare proxy pays.
          let hops;
          await measure('ha.hop.standby', async () => {
            hops = await hopLatency(
              (via) => haCall(ha.vault[via], 'GET', '/v1/kv/bench/k'),
              Math.max(600, Math.round(s * 600)),
            );
            return hops.standby;
          });
          await measure('ha.hop.proxy', async () => {
            if (!hops) throw new Error('not measured: the standby hop failed');
            return hops.proxy;
          });
        },
      );
    }
    step('Vault HA: kill -9 of the active node until the standby is active', async () => {
      await measure('ha.failover', () => ha.vault.killActive());
    });
  }

  const progress = createProgress(steps.length);
  let fatal;
  try {
    for (const s of steps) {
      progress.step(s.label);
      try {
        await s.run();
      } catch (err) {
        // A step that cannot run (a server that did not start) fails the run after the report.
        fatal = err;
        process.stderr.write(`\nbench: ${s.label}: ${err instanceof Error ? err.message : err}\n`);
        break;
      }
    }
    progress.finish();
  } finally {
    for (const a of agents) a.destroy();
    for (const p of Object.values(peers)) p.ep?.agent.destroy();
    await ha.proxy?.proc.stop('SIGTERM', 10_000);
    await ha.vault?.stop();
    await chain?.stop();
    for (const p of Object.values(peers)) await p.proc.stop('SIGTERM', 10_000);
    clearInterval(loadTimer);
    await rm(work, { recursive: true, force: true });
  }
  if (fatal) {
    for (const fig of Object.values(figures))
      if (fig.status === 'ok' && fig.rounds.length === 0) {
        fig.status = 'error';
        fig.note = 'not reached: an earlier step failed';
      }
  }

  for (const fig of Object.values(figures)) {
    if (fig.status === 'ok' && fig.rounds.length === 0) {
      fig.status = 'error';
      fig.note = 'no rounds';
    }
    if (fig.status === 'ok') fig.summary = summarize(fig.rounds);
  }
  machine.loadavgEnd = loadavg();
  machine.loadavg1mSamples = loadSamples;
  const result = {
    date,
    commit: gitCommit(),
    durationSeconds: since(started),
    machine,
    options: { ...opts, outDir: undefined },
    note: 'Medians of rounds interleaved across configurations; a ratio is the median of its per-round ratios (this run only).',
    figures,
    targets: [],
    coldStartPhases: extra.coldStartPhases,
    sseProbes: extra.probes,
    rssPeakReset: extra.rssResetSupported
      ? 'VmHWM reset through /proc/<pid>/clear_refs before each large-object run'
      : 'VmHWM since process start (clear_refs not writable)',
  };
  result.targets = evaluateTargets(figures, opts.bigMiB, hugeRepeat(opts) * opts.bigMiB);
  if (opts.profileDir) {
    result.profiles = {};
    for (const server of ['minio', 'kes', 'vault'])
      result.profiles[server] = await hotFunctions(join(opts.profileDir, server), root);
  }

  await mkdir(opts.outDir, { recursive: true });
  const stamp = date.replace(/[:.]/g, '-');
  const jsonPath = join(opts.outDir, `${stamp}.json`);
  const svgPath = join(opts.outDir, `${stamp}.svg`);
  await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(svgPath, svgChart(result));
  process.stdout.write(`${textTable(result)}\n`);
  for (const [server, hot] of Object.entries(result.profiles ?? {})) {
    process.stdout.write(`\nHot functions in ${server} (self time, % of non-idle samples):\n`);
    for (const h of hot)
      process.stdout.write(`  ${h.selfPercent.toFixed(1).padStart(5)}%  ${h.function}  ${h.where}\n`);
  }
  process.stdout.write(`\nwrote ${jsonPath}\nwrote ${svgPath}\n`);
  if (opts.readme) await updateReadme(result, svgPath);
  if (fatal) throw fatal;
  return Object.values(figures).some((f) => f.status === 'error') ? 1 : 0;
}

/** The checked-out commit, so that saved runs can be told apart; undefined outside a git checkout. */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

/** What a saved run must share with this invocation to be pooled with the others. */
const POOLED_SETTINGS = ['quick', 'bigMiB', 'bigCount', 'smallOps', 'seconds', 'hugeMiB'];

/**
 * `--pool`: the targets over every run saved in the out-dir whose workload matches these options.
 * Single runs on a small, shared machine straddle a target that sits near the machine's limit; many
 * rounds pooled tell a cost from noise.
 */
async function poolSavedRuns(opts) {
  const runs = [];
  for (const name of (await readdir(opts.outDir)).filter((n) => n.endsWith('.json')).sort()) {
    const run = JSON.parse(await readFile(join(opts.outDir, name), 'utf8'));
    if (run.figures && POOLED_SETTINGS.every((k) => run.options?.[k] === opts[k])) runs.push(run);
  }
  if (runs.length === 0) {
    process.stderr.write(`no saved run in ${opts.outDir} has these settings\n`);
    return 1;
  }
  const figures = poolFigures(runs);
  const targets = evaluateTargets(figures, opts.bigMiB, hugeRepeat(opts) * opts.bigMiB);
  process.stdout.write(`${pooledTargetTable(runs, figures, targets)}\n`);
  return 0;
}

const BEGIN = '<!-- bench:begin (written by npm run bench -- --readme) -->';
const END = '<!-- bench:end -->';

/** Replaces the latest-run section of bench/README.md; the chart link is relative to bench/. */
async function updateReadme(result, svgPath) {
  const path = join(root, 'bench', 'README.md');
  const chart = relative(join(root, 'bench'), svgPath);
  const text = await readFile(path, 'utf8');
  const m = result.machine;
  const section = [
    BEGIN,
    `Latest run: ${result.date} on ${m.cpuModel}, ${m.cores} cores, ${Math.round(m.memoryMiB / 1024)} GiB, Node ${m.node}, ${m.platform}` +
      `${result.options.quick ? ' (`--quick`)' : ''}. Load average (1/5/15 min) ${m.loadavgStart.map((x) => x.toFixed(2)).join(' / ')} at start, ` +
      `${m.loadavgEnd.map((x) => x.toFixed(2)).join(' / ')} at end. Chart: [${chart}](${chart}).`,
    '',
    markdownTables(result),
    END,
  ].join('\n');
  const at = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    at >= 0 && end > at
      ? `${text.slice(0, at)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n## Latest run\n\n${section}\n`;
  await writeFile(path, next);
  process.stdout.write(`updated ${path}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
    if (err instanceof UsageError) process.stderr.write(USAGE);
  },
);
