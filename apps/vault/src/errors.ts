// Domain errors and their one mapping to Vault's wire form `{"errors":[...]}`. Engines throw
// VaultError (or a subclass); the HTTP layer renders them in one place.

/** A failure with the HTTP status Vault answers and the messages it puts in `errors`. */
export class VaultError extends Error {
  readonly status: number;
  readonly errors: string[];
  /** Extra top-level fields some Vault errors carry (e.g. KV v2 `data` on a deleted version). */
  readonly body: Record<string, unknown> | undefined;

  constructor(status: number, errors: string[], body?: Record<string, unknown>) {
    super(errors[0] ?? `status ${status}`);
    this.name = 'VaultError';
    this.status = status;
    this.errors = errors;
    this.body = body;
  }
}

export const badRequest = (msg: string): VaultError => new VaultError(400, [msg]);

/** Vault ≤ 1.16 renders a denial as a Go multierror with one entry. */
export const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';
export const permissionDenied = (): VaultError => new VaultError(403, [PERMISSION_DENIED]);

/** Missing secret, role or policy: 404 with an empty list, as Vault answers. */
export const notFound = (body?: Record<string, unknown>): VaultError => new VaultError(404, [], body);

/** Refused wherever an auth method would hand out the root policy (role writes, logins). */
export const ROOT_FROM_AUTH = 'auth methods cannot create root tokens';

export const sealedError = (): VaultError => new VaultError(503, ['Vault is sealed']);

/**
 * A request that reached an HA standby: the HTTP layer redirects it to the active node's
 * `api_addr` (307), or answers 500 as Vault does while no node is active.
 */
export class StandbyError extends VaultError {
  readonly leaderAddress: string;

  constructor(leaderAddress: string) {
    super(500, ['local node not active but active cluster node not found']);
    this.name = 'StandbyError';
    this.leaderAddress = leaderAddress;
  }
}

export const noHandler = (path: string): VaultError =>
  new VaultError(404, [`no handler for route "${path}". route entry not found.`]);

export const unsupportedOperation = (): VaultError => new VaultError(405, ['unsupported operation']);

export const internalError = (msg = 'internal error'): VaultError => new VaultError(500, [msg]);

/** Renders any thrown value as Vault's error envelope without leaking internals. */
export function toErrorResponse(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof VaultError) {
    return { status: err.status, body: { ...(err.body ?? {}), errors: err.errors } };
  }
  return { status: 500, body: { errors: ['internal error'] } };
}
