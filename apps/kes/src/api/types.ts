import type { KesPolicy } from '@kms-chain/policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyCache } from '../cache.js';
import type { ServerConfig } from '../config/types.js';
import type { Logs } from '../log.js';
import type { Metrics } from '../metrics.js';

/** Who may call a route: P = identity + policy (admin bypasses), I = identify only, N = anyone. */
export type RouteAuth = 'policy' | 'identify' | 'none';

/** What a handler answers; `undefined` = 200 with an empty body. `hijacked` = the handler streams itself. */
export type HandlerResult =
  | { status?: number; json?: unknown; text?: string; contentType?: string }
  | 'hijacked'
  | undefined;

/** Per-request input to a handler. */
export interface RequestContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** The path after the route prefix (key name, policy name, identity or list prefix), URL-decoded. */
  resource: string;
  /** The caller's identity (hex) or undefined when the route needs none and none was presented. */
  identity: string | undefined;
  /** Request body bytes ('' when none). */
  body: Buffer;
  /** Aborts when the route's deadline passes. */
  signal: AbortSignal;
  state: ServerState;
}

export type Handler = (ctx: RequestContext) => Promise<HandlerResult> | HandlerResult;

/** One row of the route table (method, path, max body, timeout, auth, handler), as KES declares its API. */
export interface Route {
  /** Declared method; PUT routes also accept POST (docs/kes-protocol.md#transport-and-common-rules). */
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** A prefix when it ends in `/` (the rest is the resource), else an exact path. */
  path: string;
  /** Bytes; 0 = the route reads no body. */
  maxBody: number;
  /** Milliseconds; 0 = no deadline (log streams). */
  timeoutMs: number;
  auth: RouteAuth;
  /** Audited in the audit log (every route except the log streams themselves). */
  audit: boolean;
  handler: Handler;
}

/** Everything the handlers share; built once by buildServer. */
export interface ServerState {
  config: ServerConfig;
  /** Every key operation goes through this cache-wrapped keystore. */
  keys: KeyCache;
  logs: Logs;
  metrics: Metrics;
  /** identity → its policy. */
  policyOf: Map<string, { name: string; policy: KesPolicy }>;
  policies: Map<string, { allow: string[]; deny: string[] }>;
  startedAt: number;
  routes: Route[];
  version: { version: string; commit: string };
  /** Open log streams, ended when the server closes. */
  streams: Set<() => void>;
}
