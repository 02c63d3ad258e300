// Bucket policy documents: the subset of the AWS policy language MinIO evaluates for anonymous
// requests, parsed and checked once when a policy is put (docs/s3.md#bucket-policies). Anything this
// server could not evaluate — an unknown field, principal kind, action, condition operator or key — is
// refused as MalformedPolicy rather than ignored, so a policy never grants more than it reads as.
import { BlockList, isIP } from 'node:net';
import { S3Error } from '../../errors.js';
import { LISTING_ACTIONS, OBJECT_ACTIONS, POLICY_ACTIONS } from './actions.js';
import { couldMatchPrefix, wildcardMatch } from './wildcard.js';

/** The only policy language version; an empty Version is refused when a policy is put. */
export const POLICY_VERSION = '2012-10-17';
/** MinIO's limit on a bucket policy document. */
export const MAX_POLICY_SIZE = 20 * 1024;
const ARN_PREFIX = 'arn:aws:s3:::';

/** A condition key this server evaluates, and the operators that may test it. */
const CONDITION_KEYS = {
  'aws:sourceip': { name: 'aws:SourceIp', operators: ['IpAddress', 'NotIpAddress'] },
  'aws:securetransport': { name: 'aws:SecureTransport', operators: ['Bool'] },
  's3:prefix': { name: 's3:prefix', operators: ['String'] },
  's3:delimiter': { name: 's3:delimiter', operators: ['String'] },
} as const;
export type ConditionKey = keyof typeof CONDITION_KEYS;
/** Keys every action carries; the others only the listing actions. */
const COMMON_KEYS: readonly ConditionKey[] = ['aws:sourceip', 'aws:securetransport'];

const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
] as const;
type Operator = (typeof STRING_OPERATORS)[number] | 'IpAddress' | 'NotIpAddress' | 'Bool';

/** One test of a request's condition values; true when the request passes it. */
export interface Condition {
  operator: Operator;
  key: ConditionKey;
  values: string[];
  /** For IpAddress / NotIpAddress: the listed networks. */
  networks?: BlockList;
}

export interface Statement {
  effect: 'Allow' | 'Deny';
  /** Patterns an account must match; anonymous requests match those made of `*` only. */
  principals: string[];
  actions: string[];
  notActions: string[];
  /** Resource patterns without the ARN prefix: `bucket`, `bucket/key*`, `*`. */
  resources: string[];
  notResources: string[];
  conditions: Condition[];
}

export interface BucketPolicy {
  version: string;
  statements: Statement[];
}

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyFields(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const field of Object.keys(obj)) {
    if (!allowed.includes(field)) throw malformed(`unknown field "${field}" in ${where}`);
  }
}

/** A string or a list of strings (JSON booleans too where `booleans`), as a list. */
function stringList(v: unknown, what: string, booleans = false): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (booleans && typeof item === 'boolean') return String(item);
    throw malformed(`${what} must be a string or a list of strings`);
  });
}

function parsePrincipal(v: unknown): string[] {
  if (v === '*') return ['*'];
  if (!isObject(v)) throw malformed(`invalid Principal ${JSON.stringify(v)}`);
  onlyFields(v, ['AWS'], 'Principal');
  const principals = v.AWS === undefined ? [] : stringList(v.AWS, 'Principal.AWS');
  if (principals.length === 0) throw malformed('invalid Principal: no AWS principal');
  return principals;
}

function parseActions(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  const actions = stringList(v, what);
  for (const action of actions) {
    if (!POLICY_ACTIONS.some((known) => wildcardMatch(action, known)))
      throw malformed(`invalid action '${action}'`);
  }
  return actions;
}

function parseResources(v: unknown, what: string, bucket: string): string[] {
  if (v === undefined) return [];
  return stringList(v, what).map((arn) => {
    const pattern = arn === '*' ? '*' : arn.startsWith(ARN_PREFIX) ? arn.slice(ARN_PREFIX.length) : undefined;
    if (pattern === undefined || pattern === '') throw malformed(`invalid resource '${arn}'`);
    if (pattern.startsWith('/'))
      throw malformed(`invalid resource '${arn}' - starts with '/' will not match a bucket`);
    // A policy speaks of its own bucket only.
    if (!wildcardMatch(pattern, bucket) && !couldMatchPrefix(pattern, `${bucket}/`))
      throw malformed(`invalid resource '${arn}': bucket name does not match`);
    return pattern;
  });
}

function parseConditions(v: unknown): Condition[] {
  if (v === undefined) return [];
  if (!isObject(v)) throw malformed('Condition must be an object');
  const conditions: Condition[] = [];
  for (const [operatorName, tests] of Object.entries(v)) {
    const operator = [...STRING_OPERATORS, 'IpAddress', 'NotIpAddress', 'Bool'].find(
      (o) => o === operatorName,
    );
    if (operator === undefined) throw malformed(`unsupported condition operator '${operatorName}'`);
    if (!isObject(tests)) throw malformed(`condition ${operatorName} must be an object`);
    for (const [keyName, raw] of Object.entries(tests)) {
      const key = keyName.toLowerCase() as ConditionKey;
      const known = CONDITION_KEYS[key];
      if (known === undefined) throw malformed(`unsupported condition key '${keyName}'`);
      const family = (STRING_OPERATORS as readonly string[]).includes(operator) ? 'String' : operator;
      if (!(known.operators as readonly string[]).includes(family))
        throw malformed(`condition key '${keyName}' cannot be used with ${operatorName}`);
      const values = stringList(raw, `condition ${operatorName} ${keyName}`, operator === 'Bool');
      const condition: Condition = { operator: operator as Operator, key, values };
      if (operator === 'Bool' && values.some((b) => b !== 'true' && b !== 'false'))
        throw malformed(`condition Bool ${keyName} takes true or false`);
      if (operator === 'IpAddress' || operator === 'NotIpAddress')
        condition.networks = networksOf(values, operatorName);
      conditions.push(condition);
    }
  }
  return conditions;
}

function networksOf(values: string[], operator: string): BlockList {
  const list = new BlockList();
  for (const value of values) {
    const [address = '', bits, ...rest] = value.split('/');
    const family = isIP(address);
    const prefix =
      bits === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
    if (family === 0 || rest.length > 0 || prefix < 0 || prefix > (family === 6 ? 128 : 32))
      throw malformed(`value ${value} must be CIDR string for ${operator} condition`);
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function parseStatement(v: unknown, bucket: string): Statement {
  if (!isObject(v)) throw malformed('Statement must be an object or a list of objects');
  onlyFields(
    v,
    ['Sid', 'Effect', 'Principal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'],
    'Statement',
  );
  if (v.Effect !== 'Allow' && v.Effect !== 'Deny')
    throw malformed(`invalid Effect ${JSON.stringify(v.Effect)}`);
  if (v.Principal === undefined) throw malformed('invalid Principal: missing');
  const statement: Statement = {
    effect: v.Effect,
    principals: parsePrincipal(v.Principal),
    actions: parseActions(v.Action, 'Action'),
    notActions: parseActions(v.NotAction, 'NotAction'),
    resources: parseResources(v.Resource, 'Resource', bucket),
    notResources: parseResources(v.NotResource, 'NotResource', bucket),
    conditions: parseConditions(v.Condition),
  };
  const { actions, notActions, resources, notResources } = statement;
  if (actions.length === 0 && notActions.length === 0) throw malformed('Action must not be empty');
  if (actions.length > 0 && notActions.length > 0)
    throw malformed('Action and NotAction cannot be specified in the same statement');
  if (resources.length === 0 && notResources.length === 0) throw malformed('Resource must not be empty');
  if (resources.length > 0 && notResources.length > 0)
    throw malformed('Resource and NotResource cannot be specified in the same statement');
  const patterns = resources.length > 0 ? resources : notResources;
  for (const action of actions) {
    // An object action needs a resource that can name objects, a bucket action one that names the bucket.
    const isObjectAction = OBJECT_ACTIONS.some((known) => wildcardMatch(action, known));
    const fits = isObjectAction
      ? patterns.some((p) => p.includes('/') || p.includes('*'))
      : patterns.some((p) => !p.includes('/') || p === '*');
    if (!fits) throw malformed(`unsupported Resource found for action ${action}`);
    const allowedKeys = LISTING_ACTIONS.some((known) => wildcardMatch(action, known))
      ? Object.keys(CONDITION_KEYS)
      : COMMON_KEYS;
    for (const condition of statement.conditions) {
      if (!allowedKeys.includes(condition.key))
        throw malformed(
          `unsupported condition key '${CONDITION_KEYS[condition.key].name}' used for action '${action}'`,
        );
    }
  }
  return statement;
}

/**
 * Parses and checks a bucket policy for `bucket`. Throws S3Error MalformedPolicy with the reason (bad
 * JSON, an unknown field, a statement this server cannot evaluate, a Resource of another bucket).
 */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw malformed(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw malformed('the policy must be a JSON object');
  onlyFields(doc, ['ID', 'Id', 'Version', 'Statement'], 'the policy');
  const version = doc.Version ?? '';
  if (version !== POLICY_VERSION && version !== '') throw malformed(`invalid version '${String(version)}'`);
  const raw =
    doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return { version: version as string, statements: raw.map((s) => parseStatement(s, bucket)) };
}
