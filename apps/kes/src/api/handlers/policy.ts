// /v1/policy/* and /v1/identity/*: read-only views of the configured policies (HEAD has no write APIs).
import { errIdentityNotFound, errPolicyNotFound } from '../../errors.js';
import { checkName, checkPrefix } from '../names.js';
import type { HandlerResult, RequestContext } from '../types.js';

const toObject = (patterns: string[]): Record<string, object> =>
  Object.fromEntries(patterns.map((p) => [p, {}]));

function startTime(ctx: RequestContext): string {
  return new Date(ctx.state.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function policyBody(ctx: RequestContext, name: string): Record<string, unknown> {
  const p = ctx.state.policies.get(name);
  if (!p) throw errPolicyNotFound();
  const json: Record<string, unknown> = { name, allow: toObject(p.allow) };
  if (p.deny.length > 0) json.deny = toObject(p.deny);
  json.created_at = startTime(ctx);
  if (ctx.state.config.admin) json.created_by = ctx.state.config.admin;
  return json;
}

export function describePolicy(ctx: RequestContext): HandlerResult {
  const name = checkName('policy', ctx.resource);
  const { allow: _a, deny: _d, ...rest } = policyBody(ctx, name);
  return { json: rest };
}

export function readPolicy(ctx: RequestContext): HandlerResult {
  return { json: policyBody(ctx, checkName('policy', ctx.resource)) };
}

export function listPolicies(ctx: RequestContext): HandlerResult {
  const prefix = checkPrefix('policy', ctx.resource);
  const names = [...ctx.state.policies.keys()].filter((n) => n.startsWith(prefix)).sort();
  return { json: { names } };
}

export function describeIdentity(ctx: RequestContext): HandlerResult {
  const id = checkName('identity', ctx.resource).toLowerCase();
  if (id === ctx.state.config.admin) return { json: { admin: true, created_at: startTime(ctx) } };
  const p = ctx.state.policyOf.get(id);
  if (!p) throw errIdentityNotFound();
  const json: Record<string, unknown> = { policy: p.name, created_at: startTime(ctx) };
  if (ctx.state.config.admin) json.created_by = ctx.state.config.admin;
  return { json };
}

export function listIdentities(ctx: RequestContext): HandlerResult {
  const prefix = checkPrefix('identity', ctx.resource).toLowerCase();
  const all = [...ctx.state.policyOf.keys()];
  if (ctx.state.config.admin) all.push(ctx.state.config.admin);
  return { json: { identities: all.filter((i) => i.startsWith(prefix)).sort() } };
}

/** HEAD 404s here for non-admin identities (a map-key bug); we describe them correctly. */
export function selfDescribeIdentity(ctx: RequestContext): HandlerResult {
  const id = ctx.identity ?? '';
  const json: Record<string, unknown> = { identity: id };
  if (id !== '' && id === ctx.state.config.admin) {
    json.admin = true;
    json.created_at = startTime(ctx);
    return { json };
  }
  json.created_at = startTime(ctx);
  if (ctx.state.config.admin) json.created_by = ctx.state.config.admin;
  const p = ctx.state.policyOf.get(id);
  if (p) json.policy = policyBody(ctx, p.name);
  return { json };
}
