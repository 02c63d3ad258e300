// One request's way through the audit devices, as the core drives it: the record fills in as
// the request is routed and checked; the request entry is written once the request is admitted
// or refused, and the response entry only when a request entry was (docs/vault.md#audit).
import { VaultError } from '../errors.js';
import { newUuid } from '../ids.js';
import type { LogicalRequest, LogicalResponse } from '../types.js';
import type { AuditBroker } from './broker.js';
import type { AuditRequest, AuditResponse } from './entry.js';

export class AuditTrail {
  readonly entry: AuditRequest;
  #requestLogged = false;
  readonly #broker: AuditBroker;

  constructor(broker: AuditBroker, req: LogicalRequest) {
    this.#broker = broker;
    this.entry = {
      id: req.id ?? newUuid(),
      operation: req.operation,
      path: req.path,
      data: req.data,
      clientToken: req.token,
      remoteAddress: req.clientAddr,
      remotePort: req.clientPort,
      headers: req.headers,
      forwardedFrom: req.forwardedFrom,
      memo: new Map(),
    };
  }

  /**
   * The request entry. A request about to run fails (500) when no device could write it; one
   * already refused (bad token, denied) stays refused whatever the devices say, as in Vault.
   */
  request(refusal?: unknown): void {
    if (refusal === undefined) {
      this.#broker.logRequest(this.entry);
    } else {
      try {
        this.#broker.logRequest(this.entry, errorText(refusal));
      } catch {
        // The broker logged the failure; the refusal stands.
      }
    }
    this.#requestLogged = true;
  }

  /** The response entry (or the error the request ended with); 500 when no device wrote it. */
  response(outcome: { res: LogicalResponse | null } | { err: unknown }): void {
    if (!this.#requestLogged) return;
    let record: AuditResponse;
    if ('err' in outcome) record = { error: errorText(outcome.err) };
    else {
      const res = outcome.res;
      record = res?.raw
        ? {}
        : { data: res?.data, auth: res?.auth ? { ...res.auth } : undefined, warnings: res?.warnings };
    }
    this.#broker.logResponse(this.entry, record);
  }
}

/** The error text an entry records: the messages the client gets. */
function errorText(err: unknown): string {
  return err instanceof VaultError ? err.errors.join(', ') : 'internal error';
}
