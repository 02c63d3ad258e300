// The audit part of sys/: sys/audit (list, enable, disable), sys/audit-hash and
// sys/config/auditing/request-headers (docs/vault.md#audit). Listing, enabling and the header
// config need sudo, as in Vault; the core's root paths say so.
import type { AuditBroker } from './audit/broker.js';
import { badRequest } from './errors.js';
import { bool, str, strMap } from './fields.js';
import { type PathSpec, write } from './framework/router.js';
import type { LogicalResponse } from './types.js';

/** What these paths need from the core. */
export interface AuditCore {
  readonly audit: Pick<AuditBroker, 'entries' | 'enable' | 'disable' | 'hash' | 'headers'>;
}

type Audit = AuditCore['audit'];

function listDevices(audit: Audit): LogicalResponse {
  const data: Record<string, unknown> = {};
  for (const e of audit.entries)
    data[e.path] = {
      type: e.type,
      description: e.description,
      options: e.options,
      local: e.local,
      path: e.path,
    };
  return { data, copyDataToTop: true };
}

/**
 * The sys paths of audit devices and audited headers, for the system backend's router. `broker`
 * is read at each request (the router is built before the core is known).
 */
export function auditPaths(broker: () => Audit): PathSpec[] {
  return [
    { pattern: /^audit\/?$/, operations: { read: () => listDevices(broker()) } },
    {
      pattern: /^audit\/(?<path>[\s\S]+)$/,
      operations: {
        ...write(async (req, p) => {
          await broker().enable(
            p['path']!,
            str(req.data, 'type'),
            str(req.data, 'description'),
            strMap(req.data, 'options') ?? {},
            bool(req.data, 'local'),
          );
          return null;
        }),
        delete: async (_req, p) => {
          await broker().disable(p['path']!);
          return null;
        },
      },
    },
    {
      pattern: /^audit-hash\/(?<path>[\s\S]+)$/,
      operations: write((req, p) => {
        const input = str(req.data, 'input');
        if (input === '') throw badRequest('the "input" parameter is empty');
        return { data: { hash: broker().hash(p['path']!, input) }, copyDataToTop: true };
      }),
    },
    {
      pattern: /^config\/auditing\/request-headers\/?$/,
      operations: { read: () => ({ data: { headers: broker().headers.all }, copyDataToTop: true }) },
    },
    {
      pattern: /^config\/auditing\/request-headers\/(?<header>[^/]+)$/,
      operations: {
        read: (_req, p) => {
          const settings = broker().headers.get(p['header']!);
          if (!settings) throw badRequest('Could not find header in config');
          return { data: { [p['header']!]: settings }, copyDataToTop: true };
        },
        ...write(async (req, p) => {
          await broker().headers.add(p['header']!, bool(req.data, 'hmac'));
          return null;
        }),
        delete: async (_req, p) => {
          await broker().headers.remove(p['header']!);
          return null;
        },
      },
    },
  ];
}
