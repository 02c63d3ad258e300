// Contracts between the core and its engines (openbao's sdk/logical, reduced to what we serve).
import type { AuthBlock, TokenEntry } from './tokens.js';

export type Operation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch';

/** Whether op writes: Vault routes create and update to the same handlers. */
export function isWrite(op: Operation): boolean {
  return op === 'create' || op === 'update';
}

export interface LogicalRequest {
  operation: Operation;
  /** Full path after `/v1/`; list paths end with `/`. */
  path: string;
  /** Body fields for writes, query parameters for reads. */
  data: Record<string, unknown>;
  token?: string | undefined;
  clientAddr: string;
  contentType?: string | undefined;
  /** The request id (the response's `request_id`); audit entries carry it. */
  id?: string | undefined;
  clientPort?: number | undefined;
  /** A request a standby forwarded over the cluster port: that standby's address. */
  forwardedFrom?: string | undefined;
  /** Request headers, lower-case names: audit entries record the configured ones. */
  headers?: Record<string, string | string[] | undefined> | undefined;
}

/** What an engine sees: its path relative to the mount, plus the caller's token entry. */
export interface BackendRequest {
  operation: Operation;
  path: string;
  data: Record<string, unknown>;
  mountPath: string;
  tokenEntry?: TokenEntry | undefined;
  clientAddr: string;
  contentType?: string | undefined;
}

/**
 * What an auth method answers for a successful login. It never makes a token itself: the core
 * turns this into one (and refuses `root`), then answers with the `auth` block.
 */
export interface LoginAuth {
  /** As configured on the role; the core lower-cases, de-duplicates and adds `default`. */
  policies: string[];
  noDefaultPolicy: boolean;
  displayName: string;
  meta: Record<string, string> | null;
  /** Seconds; 0 = unset. */
  ttl: number;
  maxTtl: number;
  explicitMaxTtl: number;
  period: number;
  numUses: number;
  /** The role whose limits renewals re-read (through the backend's `renewLimits`). */
  role?: string;
}

/** A response `sys/metrics` sends as it is: Vault answers this endpoint outside its JSON envelope. */
export interface RawBody {
  status: number;
  contentType: string;
  body: string;
}

export interface LogicalResponse {
  status?: number;
  data?: Record<string, unknown> | null;
  auth?: AuthBlock | null;
  /** From auth methods only: the login the core turns into a token and an `auth` block. */
  login?: LoginAuth;
  warnings?: string[];
  leaseDuration?: number;
  /** sys/mounts*, sys/auth*, sys/policy*: copy `data` keys to the top level. */
  copyDataToTop?: boolean;
  mountType?: string;
  /** Sent as it is, outside the envelope (sys/metrics). */
  raw?: RawBody;
}

/** A mounted engine. `existence` decides create vs update for writes (absent ⇒ update). */
export interface Backend {
  readonly type: string;
  handle(req: BackendRequest): Promise<LogicalResponse | null>;
  existence?(req: BackendRequest): Promise<boolean | undefined>;
  /** Paths (relative) callable without a token, e.g. AppRole `login`. */
  isUnauthenticated?(path: string): boolean;
  /** Auth methods: a role's current token limits for renewals; undefined when the role is gone. */
  renewLimits?(role: string): Promise<{ ttl: number; maxTtl: number; period: number } | undefined>;
}
