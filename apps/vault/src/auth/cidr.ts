// CIDR lists as AppRole takes them (secret_id_bound_cidrs, token_bound_cidrs, cidr_list).
import { BlockList, isIP } from 'node:net';
import { badRequest } from '../errors.js';
import { strList } from '../fields.js';

export function cidrs(d: Record<string, unknown>, key: string): string[] {
  const list = strList(d, key);
  for (const c of list) {
    const [addr, bits] = c.split('/');
    const ok = addr !== undefined && isIP(addr) !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
    if (!ok) throw badRequest(`invalid CIDR block "${c}" in field "${key}"`);
  }
  return list;
}

export function inCidrs(addr: string, list: string[]): boolean {
  const ip = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  const bl = new BlockList();
  for (const c of list) {
    const [a, bits] = c.split('/');
    const fam = isIP(a!) === 6 ? 'ipv6' : 'ipv4';
    bl.addSubnet(a!, bits === undefined ? (fam === 'ipv6' ? 128 : 32) : Number(bits), fam);
  }
  return bl.check(ip, family);
}
