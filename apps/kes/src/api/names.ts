import { errInvalidName } from '../errors.js';

const nameRe = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * KES HEAD's name rule: 1–80 of [A-Za-z0-9_-], no leading/trailing '-', not "_"
 * (docs/kes-protocol.md#transport-and-common-rules).
 */
export function isValidName(name: string): boolean {
  return nameRe.test(name) && !name.startsWith('-') && !name.endsWith('-') && name !== '_';
}

export function checkName(what: 'key' | 'policy' | 'identity', name: string): string {
  if (!isValidName(name)) throw errInvalidName(what, name);
  return name;
}

/** A list prefix: the name alphabet plus an optional trailing `*`; `*` or empty lists everything. */
export function checkPrefix(what: 'key' | 'policy' | 'identity', prefix: string): string {
  const p = prefix.endsWith('*') ? prefix.slice(0, -1) : prefix;
  if (p !== '' && !/^[A-Za-z0-9_-]{1,80}$/.test(p)) throw errInvalidName(what, prefix);
  return p;
}
