// The soak's workers: each owns a set of keys (every SSE type in a plaintext bucket, more in a bucket
// with default encryption) that only it writes — PUT, overwrite, DELETE, CopyObject into it, multipart
// — and reads any key (GET, ranged GET, HEAD, the source of a copy), its own or, unless `noRace`,
// another worker's, so reads race overwrites. Every answer is checked against the model
// (soak-model.mjs): bodies byte for byte, sizes, the encryption a response reports, listings of the
// worker's own keys; every failure gets a class.
import { createHash, randomInt } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ABSENT, KeyHistory, partBytes, versionBytes, versionMd5, versionSize } from './soak-model.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Modes of a worker's keys in the plaintext bucket (two keys each), and in the default bucket. */
const PLAIN_MODES = ['plain', 'sse-s3', 'sse-kms', 'sse-c'];
const KEYS_PER_MODE = 2;
const DEFAULT_KEYS = 2;

/** Operation weights (out of 100). */
const MIX = [
  ['put', 20],
  ['get', 24],
  ['range', 10],
  ['head', 10],
  ['delete', 5],
  ['list', 6],
  ['copy', 9],
  ['multipart', 2],
];

function pick(rows) {
  let r = randomInt(rows.reduce((n, [, w]) => n + w, 0));
  for (const [v, w] of rows) {
    r -= w;
    if (r < 0) return v;
  }
  return rows[0][0];
}

/** Sizes: most small (stored inline below 16 KiB), some medium, a few over 1 MiB. */
function pickSize() {
  const r = randomInt(100);
  if (r < 55) return randomInt(1, 12 * KiB);
  if (r < 85) return randomInt(20 * KiB, 200 * KiB);
  return randomInt(512 * KiB, 2 * MiB);
}

/**
 * The soak's keys and workers over `s3` (an S3Client). `runId` prefixes every key, so runs against a
 * long-lived endpoint never meet. `record(op, ms, failure?, example?)` counts each operation.
 */
export class SoakWorkload {
  constructor({ s3, runId, workers, buckets, noRace = false, kmsKeyId, defaultSse = 'AES256', record }) {
    this.s3 = s3;
    this.runId = runId;
    this.buckets = buckets;
    this.noRace = noRace;
    this.kmsKeyId = kmsKeyId;
    this.defaultSse = defaultSse;
    this.record = record;
    this.seed = 0;
    this.mismatches = [];
    this.keys = [];
    this.byWorker = [];
    for (let w = 0; w < workers; w++) {
      const own = [];
      for (const mode of PLAIN_MODES) {
        for (let i = 0; i < KEYS_PER_MODE; i++) own.push(this.#key(w, buckets.plain, `${mode}-${i}`, mode));
      }
      for (let i = 0; i < DEFAULT_KEYS; i++)
        own.push(this.#key(w, buckets.default, `default-${i}`, 'default'));
      this.byWorker.push(own);
      this.keys.push(...own);
    }
  }

  #key(worker, bucket, leaf, mode) {
    const name = `${this.runId}/w${worker}/${leaf}`;
    const key = { bucket, name, mode, worker, history: new KeyHistory() };
    if (mode === 'sse-c') {
      const raw = createHash('sha256').update(`soak-ssec-${name}`).digest();
      key.ssec = raw.toString('base64');
    }
    return key;
  }

  #writeParams(key) {
    switch (key.mode) {
      case 'sse-s3':
        return { ServerSideEncryption: 'AES256' };
      case 'sse-kms':
        return { ServerSideEncryption: 'aws:kms', ...(this.kmsKeyId ? { SSEKMSKeyId: this.kmsKeyId } : {}) };
      case 'sse-c':
        return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.ssec };
      default:
        return {};
    }
  }

  #readParams(key) {
    return key.mode === 'sse-c' ? { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.ssec } : {};
  }

  /** What the response headers must say about the encryption of `key`, or a reason they do not. */
  #sseProblem(key, res) {
    const want = { plain: undefined, 'sse-s3': 'AES256', 'sse-kms': 'aws:kms', default: this.defaultSse }[
      key.mode
    ];
    if (key.mode === 'sse-c') {
      return res.SSECustomerAlgorithm === 'AES256'
        ? undefined
        : `SSE-C algorithm ${res.SSECustomerAlgorithm}`;
    }
    return res.ServerSideEncryption === want
      ? undefined
      : `encryption ${res.ServerSideEncryption} (want ${want})`;
  }

  #newVersion(sizes) {
    return { parts: sizes.map((size) => ({ seed: `${this.runId}-${++this.seed}`, size })) };
  }

  #mismatch(op, key, detail) {
    if (this.mismatches.length < 50)
      this.mismatches.push({ op, key: `${key.bucket}/${key.name}`, ...detail });
    this.mismatchCount = (this.mismatchCount ?? 0) + 1;
  }

  /** A key to read: the worker's own, or (unless noRace) any worker's. */
  #readable(worker) {
    const pool = this.noRace || randomInt(2) === 0 ? this.byWorker[worker] : this.keys;
    return pool[randomInt(pool.length)];
  }

  #own(worker) {
    const own = this.byWorker[worker];
    return own[randomInt(own.length)];
  }

  /** Runs worker `w` until `deadline` (performance.now() time). */
  async run(w, deadline) {
    while (performance.now() < deadline) {
      const op = pick(MIX);
      await this[op](w);
    }
  }

  /** Sends a write of `key` whose outcome is `states`; records it. Resolves true when acknowledged. */
  async #write(op, key, states, send) {
    const t0 = performance.now();
    const entry = key.history.begin(t0, states);
    try {
      await send();
      const t1 = performance.now();
      key.history.end(entry, t1, { ok: true, states: typeof states === 'function' ? states() : states });
      this.record(op, t1 - t0, undefined, exampleOf(key, undefined, t1 - t0));
      return true;
    } catch (err) {
      const t1 = performance.now();
      const f = failureOf(err);
      key.history.end(entry, t1, { ok: false, definite: f.status !== undefined && f.status < 500 });
      const first = Array.isArray(states) ? states[0] : undefined;
      this.record(op, t1 - t0, f.cls, {
        ...exampleOf(key, err, t1 - t0),
        bytes: first && first !== ABSENT ? versionSize(first) : undefined,
      });
      return false;
    }
  }

  async put(w) {
    const key = this.#own(w);
    const v = this.#newVersion([pickSize()]);
    const body = versionBytes(v);
    const op = key.history.exact === ABSENT ? 'put' : 'overwrite';
    await this.#write(op, key, [v], () =>
      this.s3.send(
        new PutObjectCommand({ Bucket: key.bucket, Key: key.name, Body: body, ...this.#writeParams(key) }),
      ),
    );
  }

  async delete(w) {
    const key = this.#own(w);
    await this.#write('delete', key, [ABSENT], () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: key.bucket, Key: key.name })),
    );
  }

  /** A read of `key` (send → the response), checked against the model by `check(res, states)`. */
  async #read(op, key, send, check, rangeStart) {
    const t0 = performance.now();
    let res;
    let failure;
    try {
      res = await send();
      if (res.Body) res.bytes = Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      failure = failureOf(err);
    }
    const t1 = performance.now();
    const { states, raced } = key.history.acceptable(t0, t1);
    const versions = states.filter((s) => s !== ABSENT);
    if (failure) {
      if (failure.status === 404 && failure.code !== 'NoSuchBucket') {
        if (states.includes(ABSENT))
          return this.record(op, t1 - t0, undefined, exampleOf(key, undefined, t1 - t0));
        return this.record(op, t1 - t0, raced ? '404 during overwrite' : '404 of an existing key', {
          ...exampleOf(key, failure.err, t1 - t0),
          raced,
        });
      }
      if (failure.status === 416 && versions.some((v) => versionSize(v) <= rangeStart)) {
        return this.record(op, t1 - t0);
      }
      return this.record(op, t1 - t0, failure.cls, exampleOf(key, failure.err, t1 - t0));
    }
    const problem = check(res, versions) ?? this.#sseProblem(key, res);
    if (problem) this.#mismatch(op, key, { problem, raced, candidates: versions.length });
    this.record(op, t1 - t0, undefined, exampleOf(key, undefined, t1 - t0));
  }

  async get(w) {
    const key = this.#readable(w);
    await this.#read(
      'get',
      key,
      () =>
        this.s3.send(new GetObjectCommand({ Bucket: key.bucket, Key: key.name, ...this.#readParams(key) })),
      (res, versions) => {
        const md5 = createHash('md5').update(res.bytes).digest('hex');
        if (versions.some((v) => versionSize(v) === res.bytes.length && versionMd5(v) === md5))
          return undefined;
        return `body of ${res.bytes.length} bytes matches no acknowledged or in-flight version`;
      },
    );
  }

  async range(w) {
    const key = this.#readable(w);
    const known = key.history
      .acceptable(performance.now(), performance.now())
      .states.filter((s) => s !== ABSENT);
    if (known.length === 0) return this.get(w);
    const size = Math.min(...known.map(versionSize));
    const start = randomInt(size);
    const end = Math.min(size - 1, start + randomInt(1, 256 * KiB));
    await this.#read(
      'range',
      key,
      () =>
        this.s3.send(
          new GetObjectCommand({
            Bucket: key.bucket,
            Key: key.name,
            Range: `bytes=${start}-${end}`,
            ...this.#readParams(key),
          }),
        ),
      (res, versions) => {
        for (const v of versions) {
          const n = versionSize(v);
          if (start >= n) continue;
          const want = versionBytes(v).subarray(start, Math.min(end, n - 1) + 1);
          if (want.equals(res.bytes)) return undefined;
        }
        return `range ${start}-${end}: ${res.bytes.length} bytes match no version`;
      },
      start,
    );
  }

  async head(w) {
    const key = this.#readable(w);
    await this.#read(
      'head',
      key,
      () =>
        this.s3.send(new HeadObjectCommand({ Bucket: key.bucket, Key: key.name, ...this.#readParams(key) })),
      (res, versions) => {
        if (versions.some((v) => versionSize(v) === res.ContentLength)) return undefined;
        return `HEAD size ${res.ContentLength} matches no version`;
      },
    );
  }

  /** CopyObject from any readable key into one of the worker's own (never the same key). */
  async copy(w) {
    const dest = this.#own(w);
    const src = this.#readable(w);
    if (src === dest) return this.put(w);
    const t0 = performance.now();
    const sourceStates = () => src.history.acceptable(t0, performance.now()).states;
    const params = {
      Bucket: dest.bucket,
      Key: dest.name,
      CopySource: `${src.bucket}/${src.name.split('/').map(encodeURIComponent).join('/')}`,
      ...this.#writeParams(dest),
      ...(src.mode === 'sse-c'
        ? { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: src.ssec }
        : {}),
    };
    const entry = dest.history.begin(t0, () => sourceStates().filter((s) => s !== ABSENT));
    try {
      await this.s3.send(new CopyObjectCommand(params));
      const t1 = performance.now();
      const states = src.history.acceptable(t0, t1).states.filter((s) => s !== ABSENT);
      dest.history.end(entry, t1, { ok: true, states });
      this.record('copy', t1 - t0, undefined, exampleOf(dest, undefined, t1 - t0));
    } catch (err) {
      const t1 = performance.now();
      const f = failureOf(err);
      dest.history.end(entry, t1, { ok: false, definite: f.status !== undefined && f.status < 500 });
      if (f.status === 404 && f.code === 'NoSuchKey') {
        const { states, raced } = src.history.acceptable(t0, t1);
        if (states.includes(ABSENT)) return this.record('copy', t1 - t0);
        return this.record('copy', t1 - t0, raced ? '404 during overwrite' : '404 of an existing key', {
          ...exampleOf(src, err, t1 - t0),
          raced,
        });
      }
      this.record('copy', t1 - t0, f.cls, exampleOf(dest, err, t1 - t0));
    }
  }

  async multipart(w) {
    const key = this.#own(w);
    const v = this.#newVersion([5 * MiB, randomInt(1, 512 * KiB)]);
    let uploadId;
    const parts = [];
    let step = 'create-multipart';
    let t0 = performance.now();
    try {
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({ Bucket: key.bucket, Key: key.name, ...this.#writeParams(key) }),
      );
      uploadId = created.UploadId;
      this.record(step, performance.now() - t0, undefined, exampleOf(key, undefined, performance.now() - t0));
      step = 'upload-part';
      for (let i = 0; i < v.parts.length; i++) {
        t0 = performance.now();
        const res = await this.s3.send(
          new UploadPartCommand({
            Bucket: key.bucket,
            Key: key.name,
            UploadId: uploadId,
            PartNumber: i + 1,
            Body: partBytes(v.parts[i].seed, v.parts[i].size),
            ...this.#readParams(key),
          }),
        );
        this.record(
          step,
          performance.now() - t0,
          undefined,
          exampleOf(key, undefined, performance.now() - t0),
        );
        parts.push({
          PartNumber: i + 1,
          ETag: res.ETag,
          ...(res.ChecksumCRC32 ? { ChecksumCRC32: res.ChecksumCRC32 } : {}),
        });
      }
    } catch (err) {
      const ms = performance.now() - t0;
      this.record(step, ms, failureOf(err).cls, exampleOf(key, err, ms));
      if (uploadId) {
        await this.s3
          .send(new AbortMultipartUploadCommand({ Bucket: key.bucket, Key: key.name, UploadId: uploadId }))
          .catch(() => {});
      }
      return;
    }
    const done = await this.#write('multipart', key, [v], () =>
      this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: key.bucket,
          Key: key.name,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
    return done;
  }

  /** ListObjectsV2 of the worker's own keys in one bucket: exactly the keys the model holds, sized. */
  async list(w) {
    const bucket = randomInt(2) === 0 ? this.buckets.plain : this.buckets.default;
    const own = this.byWorker[w].filter((k) => k.bucket === bucket);
    const t0 = performance.now();
    let res;
    try {
      res = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${this.runId}/w${w}/` }));
    } catch (err) {
      return this.record('list', performance.now() - t0, failureOf(err).cls, {
        bucket,
        message: messageOf(err),
      });
    }
    this.record('list', performance.now() - t0);
    const listed = new Map((res.Contents ?? []).map((o) => [o.Key, o.Size]));
    for (const key of own) {
      const exact = key.history.exact;
      if (exact === undefined) continue;
      const want = exact === ABSENT ? undefined : versionSize(exact);
      if (listed.get(key.name) !== want) {
        this.#mismatch('list', key, { problem: `listed size ${listed.get(key.name)}, model ${want}` });
      }
    }
  }

  /**
   * After the run, with no write under way: every key reads back whole as its last acknowledged state,
   * or — when a later write failed without an answer (a 5xx, a reset, a killed server) — as that
   * write's version; never partial. Returns the number of keys read.
   */
  async readBack() {
    let n = 0;
    for (const key of this.keys) {
      n++;
      await this.#read(
        'read-back',
        key,
        () =>
          this.s3.send(new GetObjectCommand({ Bucket: key.bucket, Key: key.name, ...this.#readParams(key) })),
        (res, versions) => {
          const md5 = createHash('md5').update(res.bytes).digest('hex');
          return versions.some((v) => versionMd5(v) === md5)
            ? undefined
            : 'read-back matches neither the last acknowledged write nor an unanswered one';
        },
      );
    }
    return n;
  }
}

function messageOf(err) {
  return String(err?.message ?? err).slice(0, 160);
}

/** What a failure report shows of one failed request. */
function exampleOf(key, err, ms) {
  const example = { key: `${key.bucket}/${key.name}`, mode: key.mode, ms: Math.round(ms) };
  return err === undefined ? example : { ...example, message: messageOf(err) };
}

/**
 * The class of a failed request: `5xx <status> <code>`, `4xx <status> <code>` (unexplained unless the
 * caller explains it), `connection reset`, or `network <code>`.
 */
export function failureOf(err) {
  const status = err?.$metadata?.httpStatusCode;
  const code = err?.Code ?? err?.name;
  if (status !== undefined && status >= 500) return { err, status, code, cls: `5xx ${status} ${code}` };
  if (status !== undefined && status >= 400) return { err, status, code, cls: `4xx ${status} ${code}` };
  const net = err?.code ?? err?.cause?.code ?? code;
  if (net === 'ECONNRESET' || /socket hang up/i.test(err?.message ?? ''))
    return { err, cls: 'connection reset' };
  return { err, cls: `network ${net}` };
}
