// cubbyhole/: KV v1 semantics in a private area per token. Each token's area is named after the
// salted hash of its accessor; the core clears it when the token is revoked.
import type { TokenEntry } from '../tokens.js';
import type { Backend, BackendRequest, LogicalResponse } from '../types.js';
import type { BarrierView } from '../view.js';
import { KvV1Backend } from './kv.js';

export class CubbyholeBackend implements Backend {
  readonly type = 'cubbyhole';
  readonly #view: BarrierView;
  readonly #ownerOf: (entry: TokenEntry) => string;

  /** `ownerOf` names a token's area (a storage-safe digest of the token's accessor). */
  constructor(view: BarrierView, ownerOf: (entry: TokenEntry) => string) {
    this.#view = view;
    this.#ownerOf = ownerOf;
  }

  #kv(req: BackendRequest): KvV1Backend {
    return new KvV1Backend(this.#view.sub(`${this.#ownerOf(req.tokenEntry!)}/`), () => 0);
  }

  existence(req: BackendRequest): Promise<boolean | undefined> {
    return this.#kv(req).existence(req);
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const res = await this.#kv(req).handle(req);
    if (res) res.leaseDuration = 0;
    return res;
  }
}
