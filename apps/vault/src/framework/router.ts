// Paths as data (openbao's framework.Path, reduced to what we serve): each backend lists its
// paths — a pattern, the operations it serves with one handler each, an optional existence check
// and unauthenticated flag — and one Router serves them all, with one rule for what an unknown
// path or an unserved operation answers.
import { noHandler, unsupportedOperation, type VaultError } from '../errors.js';
import type { BackendRequest, LogicalResponse, Operation } from '../types.js';

/** Named captures of the matched pattern (after `resolve`, when the path has one). */
export type Params = Record<string, string>;

export type Handler = (
  req: BackendRequest,
  params: Params,
) => Promise<LogicalResponse | null> | LogicalResponse | null;

export interface PathSpec {
  /**
   * Matched against the whole path relative to the mount. A string is Vault-style: literal
   * segments, `:name` for one segment, `*name` for the rest (possibly empty); a RegExp is
   * anchored as written and its named groups become the params.
   */
  pattern: string | RegExp;
  /** The operations this path serves; any other answers the router's unsupported operation. */
  operations: Partial<Record<Operation, Handler>>;
  /**
   * Checks and normalises the params before the operation is looked up, so its errors (a bad
   * name, an invalid mount path) win over 405, as they do today.
   */
  resolve?(params: Params, req: BackendRequest): Params;
  /** Create vs update for a write (raw params); absent ⇒ undefined, which the core reads as update. */
  existence?(req: BackendRequest, params: Params): Promise<boolean | undefined>;
  /** Callable without a token (e.g. an auth method's login). */
  unauthenticated?: boolean;
}

export interface RouterErrors {
  /** No pattern matched; default: `no handler for route "<mount><path>". route entry not found.` */
  unsupportedPath?(req: BackendRequest): VaultError;
  /**
   * The path matched but does not serve the operation; default: 405 `unsupported operation`.
   * It may check state first and throw its own error (AppRole: a field of a missing role is 400).
   */
  unsupportedOperation?(req: BackendRequest, params: Params): VaultError | Promise<VaultError>;
}

const ALL_OPERATIONS: readonly Operation[] = ['read', 'list', 'create', 'update', 'delete', 'patch'];

/** One handler for every operation (paths that do the same thing whatever the verb). */
export function anyOperation(handler: Handler): Record<Operation, Handler> {
  return Object.fromEntries(ALL_OPERATIONS.map((op) => [op, handler])) as Record<Operation, Handler>;
}

/** create and update to one handler: Vault routes both to the write handler. */
export function write(handler: Handler): Record<'create' | 'update', Handler> {
  return { create: handler, update: handler };
}

function compile(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const body = pattern
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) return `(?<${seg.slice(1)}>[^/]+)`;
      if (seg.startsWith('*')) return `(?<${seg.slice(1)}>.*)`;
      return seg.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}$`);
}

interface CompiledPath {
  spec: PathSpec;
  regex: RegExp;
}

export class Router {
  readonly #paths: CompiledPath[];
  readonly #errors: RouterErrors;

  constructor(paths: PathSpec[], errors: RouterErrors = {}) {
    this.#paths = paths.map((spec) => ({ spec, regex: compile(spec.pattern) }));
    this.#errors = errors;
  }

  /** The first path (in declaration order) whose pattern matches, with its raw params. */
  #match(path: string): { spec: PathSpec; params: Params } | undefined {
    for (const { spec, regex } of this.#paths) {
      const m = regex.exec(path);
      if (m) return { spec, params: { ...(m.groups ?? {}) } };
    }
    return undefined;
  }

  async handle(req: BackendRequest): Promise<LogicalResponse | null> {
    const found = this.#match(req.path);
    if (!found) throw this.#errors.unsupportedPath?.(req) ?? noHandler(`${req.mountPath}${req.path}`);
    const params = found.spec.resolve ? found.spec.resolve(found.params, req) : found.params;
    const handler = found.spec.operations[req.operation];
    if (!handler) throw (await this.#errors.unsupportedOperation?.(req, params)) ?? unsupportedOperation();
    return handler(req, params);
  }

  async existence(req: BackendRequest): Promise<boolean | undefined> {
    const found = this.#match(req.path);
    return found?.spec.existence ? found.spec.existence(req, found.params) : undefined;
  }

  isUnauthenticated(path: string): boolean {
    return this.#match(path)?.spec.unauthenticated === true;
  }
}
