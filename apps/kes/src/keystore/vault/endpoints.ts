// One or more Vault endpoints behind one request call (docs/kes-protocol.md#vault-endpoints).
// Upstream KES talks to one Vault address and gives up on the first error; a Vault in HA fails
// over, restarts or seals one node at a time, so here a request goes to the node that answered
// last, moves on to the next on a connection failure or a 5xx, and once every node failed waits
// (100 ms, doubling up to 1 s) and goes round again, within a time budget and the caller's signal.
import { setTimeout as delay } from 'node:timers/promises';
import { VaultHttp, VaultNetworkError, type VaultResponse, type VaultTls } from './http.js';

/** How long one request may keep retrying across rounds, by default. */
export const RETRY_BUDGET_MS = 10_000;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 1_000;
/** Per-attempt timeout when the caller gives none. */
const ATTEMPT_TIMEOUT_MS = 15_000;

export interface EndpointRequest {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Per attempt; capped by what is left of the budget. */
  timeoutMs?: number;
  /** Whether a response ends the search (default: any status below 500). */
  accept?: (r: VaultResponse) => boolean;
  /** Go round again after a failed round for this long (default RETRY_BUDGET_MS); 0 = each node once. */
  budgetMs?: number;
}

/** A node that answered, but in a state a retry will not change soon: sealed or not initialised. */
function isStateAnswer(r: VaultResponse): boolean {
  if (r.status === 501) return true;
  if (r.status !== 503) return false;
  const errs = (r.body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errs) && errs.some((e) => typeof e === 'string' && /sealed/i.test(e));
}

export class VaultEndpoints {
  readonly #nodes: VaultHttp[];
  #current = 0;

  /** @throws TypeError for an endpoint that is not a URL. */
  constructor(endpoints: readonly string[], tls: VaultTls) {
    if (endpoints.length === 0) throw new TypeError('at least one Vault endpoint is required');
    this.#nodes = endpoints.map((e) => new VaultHttp(e, tls));
  }

  /** The node requests go to first: the one that answered last. */
  get current(): string {
    return this.#nodes[this.#current]!.endpoint;
  }

  get endpoints(): string[] {
    return this.#nodes.map((n) => n.endpoint);
  }

  /**
   * Sends `method path` to the current node, then the others in order, until one answers in a way
   * `accept` takes; that node becomes the current one.
   * @returns the accepted response; when none was, the last answer of the last round (a sealed or
   *   uninitialised node's answer ends the retries at once: waiting would not change it).
   * @throws VaultNetworkError when the last round had no answer at all.
   */
  async request(method: string, path: string, opts: EndpointRequest = {}): Promise<VaultResponse> {
    const accept = opts.accept ?? ((r: VaultResponse) => r.status < 500);
    const deadline = Date.now() + (opts.budgetMs ?? RETRY_BUDGET_MS);
    let backoff = BACKOFF_FIRST_MS;
    for (;;) {
      let answer: VaultResponse | undefined;
      let failure: VaultNetworkError | undefined;
      let transient = false;
      const first = this.#current;
      for (let i = 0; i < this.#nodes.length; i++) {
        const idx = (first + i) % this.#nodes.length;
        const left = Math.max(1_000, deadline - Date.now());
        if (opts.signal?.aborted) break;
        try {
          const r = await this.#nodes[idx]!.request(method, path, {
            ...(opts.body !== undefined ? { body: opts.body } : {}),
            ...(opts.headers ? { headers: opts.headers } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
            timeoutMs: Math.min(opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS, left),
          });
          if (accept(r)) {
            this.#current = idx;
            return r;
          }
          answer ??= r;
          if (r.status >= 500 && !isStateAnswer(r)) transient = true;
        } catch (err) {
          if (!(err instanceof VaultNetworkError) || opts.signal?.aborted) throw err;
          failure = err;
          transient = true;
        }
      }
      const again = transient && Date.now() + backoff < deadline && !opts.signal?.aborted;
      if (!again) {
        if (answer) return answer;
        throw failure ?? new VaultNetworkError('vault: no endpoint answered');
      }
      await delay(backoff, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }
}
