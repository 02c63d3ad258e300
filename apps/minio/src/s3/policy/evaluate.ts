// Evaluating a bucket policy for an anonymous request (docs/s3.md#bucket-policies): a Deny statement
// that matches refuses, whatever else allows; otherwise an Allow statement that matches grants; with
// neither, the request is refused.
import type { BucketPolicy, Condition, ConditionKey, Statement } from './document.js';
import { wildcardMatch } from './wildcard.js';

/** What an anonymous request asks: one action on the bucket or on one of its objects. */
export interface PolicyRequest {
  action: string;
  bucket: string;
  /** The object key, for object actions. */
  key?: string | undefined;
  /** The request's values of the condition keys; a key the request lacks is absent. */
  values: Partial<Record<ConditionKey, string[]>>;
}

function testCondition(c: Condition, values: PolicyRequest['values']): boolean {
  const got = values[c.key] ?? [];
  switch (c.operator) {
    case 'IpAddress':
    case 'NotIpAddress': {
      const inside = got.some((ip) => c.networks?.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4') === true);
      return c.operator === 'IpAddress' ? inside : !inside;
    }
    case 'Bool':
      return got.some((v) => c.values.includes(v));
    case 'StringLike':
    case 'StringNotLike': {
      const like = got.some((v) => c.values.some((pattern) => wildcardMatch(pattern, v)));
      return c.operator === 'StringLike' ? like : !like;
    }
    default: {
      const fold = c.operator.includes('IgnoreCase') ? (s: string) => s.toLowerCase() : (s: string) => s;
      const equal = got.some((v) => c.values.some((want) => fold(want) === fold(v)));
      return c.operator.startsWith('StringNot') ? !equal : equal;
    }
  }
}

/** True when the statement speaks of this request (its effect then applies). */
function matches(s: Statement, req: PolicyRequest): boolean {
  // Anonymous requests have no account name: only patterns of `*` alone match it.
  if (!s.principals.some((p) => /^\*+$/.test(p))) return false;
  if (s.actions.length > 0 && !s.actions.some((a) => wildcardMatch(a, req.action))) return false;
  if (s.notActions.some((a) => wildcardMatch(a, req.action))) return false;
  const resource = req.key === undefined ? req.bucket : `${req.bucket}/${req.key}`;
  if (s.resources.length > 0 && !s.resources.some((r) => wildcardMatch(r, resource))) return false;
  if (s.notResources.some((r) => wildcardMatch(r, resource))) return false;
  return s.conditions.every((c) => testCondition(c, req.values));
}

/** True when the policy allows the anonymous request: some Allow matches and no Deny does. */
export function isAllowed(policy: BucketPolicy | undefined, req: PolicyRequest): boolean {
  if (policy === undefined) return false;
  if (policy.statements.some((s) => s.effect === 'Deny' && matches(s, req))) return false;
  return policy.statements.some((s) => s.effect === 'Allow' && matches(s, req));
}
