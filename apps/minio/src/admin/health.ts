// Health probes as a fastify plugin (docs/observability.md#health-the-object-stores-probes), unauthenticated as MinIO's:
//   /minio/health/live          200 while the process serves
//   /minio/health/ready         200, or 503 while the KMS cannot describe the default key
//   /minio/health/cluster       as ready, with X-Minio-Write-Quorum; ?maintenance=true → 412
//   /minio/health/cluster/read  as ready, with X-Minio-Read-Quorum
// One step past MinIO, whose readiness ignores the KMS: a server whose KMS is unreachable (or has
// lost the default key) cannot encrypt or decrypt, so it says it is not ready instead of
// answering 500 kms:* to the requests a load balancer keeps sending it.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Kms } from '../kms/kms.js';

export interface HealthOptions {
  kms?: Kms | undefined;
}

/** How long one KMS verdict serves every probe (probes come often; KES should not pay for each). */
const VERDICT_MS = 1_000;
/** A KMS that has not answered by then counts as unreachable. */
const PROBE_TIMEOUT_MS = 5_000;

/** Whether the KMS describes its default key: one probe in flight, its verdict kept VERDICT_MS. */
function kmsProbe(kms: Kms | undefined): () => Promise<boolean> {
  if (!kms) return async () => true;
  let verdict: { ok: boolean; at: number } | undefined;
  let inFlight: Promise<boolean> | undefined;
  return () => {
    if (verdict && Date.now() - verdict.at < VERDICT_MS) return Promise.resolve(verdict.ok);
    inFlight ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
      kms.describeKey(kms.defaultKeyId).then(
        () => resolve(true),
        () => resolve(false),
      );
      // The timer must not keep a closing server alive.
      timer.unref();
    }).then((ok) => {
      verdict = { ok, at: Date.now() };
      inFlight = undefined;
      return ok;
    });
    return inFlight;
  };
}

export const health: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  const ready = kmsProbe(opts.kms);
  const probe = (
    url: string,
    answer: (reply: FastifyReply, query: Record<string, string>) => Promise<unknown>,
  ) =>
    app.route({
      method: ['GET', 'HEAD'],
      url,
      exposeHeadRoute: false,
      handler: async (req, reply) => answer(reply, req.query as Record<string, string>),
    });
  probe('/minio/health/live', async (reply) => reply.code(200).send());
  probe('/minio/health/ready', async (reply) => reply.code((await ready()) ? 200 : 503).send());
  probe('/minio/health/cluster', async (reply, q) => {
    // One drive on one node: taking it down for maintenance loses the write quorum.
    if (q['maintenance'] === 'true') return reply.code(412).header('X-Minio-Write-Quorum', '1').send();
    return reply
      .code((await ready()) ? 200 : 503)
      .header('X-Minio-Write-Quorum', '1')
      .send();
  });
  probe('/minio/health/cluster/read', async (reply) =>
    reply
      .code((await ready()) ? 200 : 503)
      .header('X-Minio-Read-Quorum', '1')
      .send(),
  );
};
