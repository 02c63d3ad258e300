// The pipeline every logical request runs through (Core.handle): sealed check, routing, token
// (one use spent), ACL, audit, engine, audit, and the one place where logins become tokens.
import type { AuditBroker } from './audit/broker.js';
import { AuditTrail } from './audit/trail.js';
import {
  badRequest,
  internalError,
  noHandler,
  permissionDenied,
  ROOT_FROM_AUTH,
  StandbyError,
  sealedError,
  VaultError,
} from './errors.js';
import { normalizePolicies } from './fields.js';
import type { MountTable } from './mount-table.js';
import type { Telemetry } from './telemetry.js';
import { type TokenEntry, TokenStore } from './tokens.js';
import {
  type Backend,
  type BackendRequest,
  isWrite,
  type LogicalRequest,
  type LogicalResponse,
  type LoginAuth,
} from './types.js';
import { checkKey } from './view.js';

/** What the core lends the pipeline (Core satisfies it, with its log). */
export interface RequestPipelineHost {
  readonly audit: AuditBroker;
  readonly telemetry: Telemetry;
  readonly tokens: TokenStore;
  isSealed(): boolean;
  isStandby(): boolean;
  /** sys/leader's view (LeaderInfo); a standby redirects to its leaderAddress. */
  leader(): Promise<{ leaderAddress: string }>;
  isAllowed(
    entry: TokenEntry,
    op: BackendRequest['operation'],
    path: string,
    data: Record<string, unknown>,
  ): Promise<boolean>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class RequestPipeline {
  readonly #host: RequestPipelineHost;
  readonly #table: MountTable;

  constructor(host: RequestPipelineHost, table: MountTable) {
    this.#host = host;
    this.#table = table;
  }

  /**
   * Every logical request: sealed check, routing, token (one use spent), ACL, audit, engine,
   * audit. The request entry is written before the engine runs and the response entry after; if
   * devices are enabled and none can write, the request fails with 500 (docs/vault.md#audit).
   */
  async handle(req: LogicalRequest): Promise<LogicalResponse | null> {
    const spent: { lastUseOf?: TokenEntry; login?: boolean } = {};
    const trail = new AuditTrail(this.#host.audit, req);
    const start = performance.now();
    try {
      let res: LogicalResponse | null;
      try {
        res = await this.#handle(req, spent, trail);
      } catch (err) {
        trail.response({ err });
        throw err;
      }
      trail.response({ res });
      return res;
    } finally {
      const key = spent.login ? 'handle_login_request' : 'handle_request';
      this.#host.telemetry.sample(['core', key], performance.now() - start);
      // The token's last use: the request has run, now the token goes (Vault, too, revokes after
      // the request). It is already dead to every other request; the sweep retries a failure.
      if (spent.lastUseOf) {
        await this.#host.tokens.revoke(spent.lastUseOf).catch((err: unknown) => {
          this.#host.log('warn', `token: revoking a used-up token failed: ${(err as Error).message}`);
        });
      }
    }
  }

  async #handle(
    req: LogicalRequest,
    spent: { lastUseOf?: TokenEntry; login?: boolean },
    trail: AuditTrail,
  ): Promise<LogicalResponse | null> {
    if (this.#host.isSealed()) throw sealedError();
    if (this.#host.isStandby()) throw new StandbyError((await this.#host.leader()).leaderAddress);
    checkKey(req.path);
    const route = this.#table.route(req.path);
    const [backend, mountPath, rel] = route ?? [undefined, '', ''];
    const mount = route ? this.#table.entryAt(mountPath) : undefined;
    if (mount) trail.entry.mount = { point: mountPath, type: mount.type, accessor: mount.accessor };
    const breq: BackendRequest = {
      operation: req.operation,
      path: rel,
      data: req.data,
      mountPath,
      clientAddr: req.clientAddr,
      contentType: req.contentType,
    };
    if (backend?.isUnauthenticated?.(rel)) {
      spent.login = true;
      trail.request();
      return this.#dispatch(backend, breq);
    }
    // The use is spent before anything else runs, atomically, so parallel requests cannot share
    // one; a token with none left is 403. A denied request spends its use too, as in Vault.
    const used = await this.#host.tokens.use(req.token).catch((err: unknown) => {
      trail.request(err);
      throw err;
    });
    const { entry, last } = used;
    if (last) spent.lastUseOf = entry;
    breq.tokenEntry = entry;
    trail.entry.token = entry;
    if (backend && isWrite(req.operation)) {
      const exists = backend.existence ? await backend.existence(breq) : undefined;
      breq.operation = exists === undefined || exists ? 'update' : 'create';
    }
    // sys/internal/ui/mounts is open to every valid token, as in Vault (the CLI's kv needs it).
    const isUiMounts = req.path.startsWith('sys/internal/ui/mounts/') && req.operation === 'read';
    const allowed = isUiMounts || (await this.#host.isAllowed(entry, breq.operation, req.path, breq.data));
    trail.entry.allowed = allowed;
    if (!allowed) {
      const denied = permissionDenied();
      trail.request(denied);
      throw denied;
    }
    trail.request();
    if (!backend) {
      if (req.path.startsWith('identity/')) throw new VaultError(404, ['unsupported path']);
      throw noHandler(req.path);
    }
    return this.#dispatch(backend, breq);
  }

  async #dispatch(backend: Backend, req: BackendRequest): Promise<LogicalResponse | null> {
    let res = await backend.handle(req);
    if (res?.login) res = await this.#issueLoginToken(req, res, res.login);
    if (res && !res.mountType) {
      res.mountType = this.#table.entryAt(req.mountPath)?.type ?? '';
    }
    return res;
  }

  /**
   * Turns an auth method's login description into a token (Vault's handleLoginRequest): the one
   * place where logins become tokens, so no auth method, present or future, can issue root.
   * Auth-method tokens are orphans, renewable, named after the login path.
   */
  async #issueLoginToken(
    req: BackendRequest,
    res: LogicalResponse,
    login: LoginAuth,
  ): Promise<LogicalResponse> {
    const mount = this.#table.entryAt(req.mountPath);
    if (mount?.table !== 'auth' || mount.type === 'token') throw internalError();
    const policies = normalizePolicies([...login.policies, ...(login.noDefaultPolicy ? [] : ['default'])]);
    if (policies.includes('root')) throw badRequest(ROOT_FROM_AUTH);
    const { entry, warnings } = await this.#host.tokens.create({
      policies,
      path: `${req.mountPath}${req.path}`,
      displayName: login.displayName,
      meta: login.meta,
      ttl: login.ttl,
      maxTtl: login.maxTtl,
      explicitMaxTtl: login.explicitMaxTtl,
      period: login.period,
      numUses: login.numUses,
      renewable: true,
      orphan: true,
      ...(login.role !== undefined ? { role: { mount: mount.uuid, name: login.role } } : {}),
    });
    const { login: _login, ...rest } = res;
    return { ...rest, auth: TokenStore.authBlock(entry), warnings: [...(res.warnings ?? []), ...warnings] };
  }
}
