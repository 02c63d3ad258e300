// An AppRole role: its stored form, the name rule, the one-field sub-paths, the shape Vault
// creates and the view it answers.
import { badRequest } from '../errors.js';
import type { Params } from '../framework/router.js';

export interface Role {
  name: string;
  role_id: string;
  bind_secret_id: boolean;
  secret_id_bound_cidrs: string[];
  secret_id_num_uses: number;
  secret_id_ttl: number;
  local_secret_ids: boolean;
  token_ttl: number;
  token_max_ttl: number;
  token_policies: string[];
  policies: string[];
  token_period: number;
  period: number;
  token_explicit_max_ttl: number;
  token_no_default_policy: boolean;
  token_num_uses: number;
  token_bound_cidrs: string[];
  token_type: string;
}

export const ROLE_NAME = /^\w(?:[\w.-]*\w)?$/;

/** Sub-paths role/<n>/<field> that read or set one field. */
export const FIELD_PATHS: Record<string, keyof Role> = {
  policies: 'policies',
  'token-policies': 'token_policies',
  period: 'period',
  'token-period': 'token_period',
  'secret-id-num-uses': 'secret_id_num_uses',
  'secret-id-ttl': 'secret_id_ttl',
  'secret-id-bound-cidrs': 'secret_id_bound_cidrs',
  'bound-cidr-list': 'secret_id_bound_cidrs',
  'token-ttl': 'token_ttl',
  'token-max-ttl': 'token_max_ttl',
  'token-num-uses': 'token_num_uses',
  'token-bound-cidrs': 'token_bound_cidrs',
  'bind-secret-id': 'bind_secret_id',
  'local-secret-ids': 'local_secret_ids',
};

export const FIELD_PATH = new RegExp(
  `^role/(?<role_name>[^/]+)/(?<field>${Object.keys(FIELD_PATHS).join('|')})$`,
);

/** Role names are checked (and lower-cased) before the operation is looked up: 400 whatever the verb. */
export function roleParams(p: Params): Params {
  const raw = p['role_name']!;
  const name = raw.toLowerCase();
  if (!ROLE_NAME.test(name) || name.length >= 4096) throw badRequest(`invalid role_name "${raw}"`);
  return { ...p, role_name: name };
}

/** A role as Vault creates it when the write names no fields; also the value a field DELETE restores. */
export function newRole(name: string, roleId: string): Role {
  return {
    name,
    role_id: roleId,
    bind_secret_id: true,
    secret_id_bound_cidrs: [],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    local_secret_ids: false,
    token_ttl: 0,
    token_max_ttl: 0,
    token_policies: [],
    policies: [],
    token_period: 0,
    period: 0,
    token_explicit_max_ttl: 0,
    token_no_default_policy: false,
    token_num_uses: 0,
    token_bound_cidrs: [],
    token_type: 'default',
  };
}

export function roleView(r: Role): Record<string, unknown> {
  const data: Record<string, unknown> = {
    bind_secret_id: r.bind_secret_id,
    local_secret_ids: r.local_secret_ids,
    secret_id_bound_cidrs: r.secret_id_bound_cidrs,
    secret_id_num_uses: r.secret_id_num_uses,
    secret_id_ttl: r.secret_id_ttl,
    token_bound_cidrs: r.token_bound_cidrs,
    token_explicit_max_ttl: r.token_explicit_max_ttl,
    token_max_ttl: r.token_max_ttl,
    token_no_default_policy: r.token_no_default_policy,
    token_num_uses: r.token_num_uses,
    token_period: r.token_period,
    token_policies: r.token_policies,
    token_ttl: r.token_ttl,
    token_type: r.token_type,
  };
  if (r.period > 0) data['period'] = r.period;
  if (r.policies.length > 0) data['policies'] = r.policies;
  return data;
}
