// Active and standby (docs/vault.md#ha-on-etcd): an unsealed node with an HA storage contends for
// the storage's lock; the holder is the active node and serves, the others stand by. Losing the
// lock (lease expired, step-down, seal) drops the node back to standby at once, before anything
// else can be served, so two nodes never act as active on one storage.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { HaBackend, HaLock } from './storage/storage.js';

export type HaMode = 'active' | 'standby';

/** What the core does when this node's role changes. */
export interface HaHooks {
  /** Takes over: reload state from storage, advertise this node. A throw gives the lock up again. */
  becomeActive(nodeId: string): Promise<void>;
  /** Stops acting as active; must not touch storage (the lock may already be someone else's). */
  becomeStandby(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Wait before contending again after a failure or a step-down (others take the lock first). */
const RETRY_MS = 1_000;
const STEP_DOWN_MS = 10_000;

/** Waits `ms`, or less when `signal` aborts; never rejects. */
const sleep = (ms: number, signal: AbortSignal): Promise<unknown> =>
  delay(ms, undefined, { signal }).catch(() => undefined);

export class HaCoordinator {
  /** This node's lock value; the key of its advertisement while active. */
  readonly nodeId = randomUUID();
  readonly #lock: HaLock;
  readonly #hooks: HaHooks;
  #mode: HaMode = 'standby';
  #activeSince: Date | undefined;
  #run: { abort: AbortController; done: Promise<void> } | undefined;
  #stepDown: (() => void) | undefined;

  constructor(backend: HaBackend, hooks: HaHooks) {
    this.#lock = backend.haLock(this.nodeId);
    this.#hooks = hooks;
  }

  get mode(): HaMode {
    return this.#mode;
  }

  get activeSince(): Date | undefined {
    return this.#activeSince;
  }

  /** The lock value (node id) of the active node, undefined when there is none. */
  holder(): Promise<string | undefined> {
    return this.#lock.holder();
  }

  /** Starts contending (after unseal); a no-op while already running. */
  start(): void {
    if (this.#run) return;
    const abort = new AbortController();
    this.#run = { abort, done: this.#loop(abort.signal) };
  }

  /** Stops contending and gives the lock up (before sealing). */
  async stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    if (!run) return;
    run.abort.abort();
    await run.done;
  }

  /** Gives the lock up and stays out of the contest for a while (sys/step-down). */
  stepDown(): void {
    this.#stepDown?.();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let held: Awaited<ReturnType<HaLock['acquire']>>;
      try {
        held = await this.#lock.acquire(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#hooks.log('warn', `core: failed to acquire lock: ${(err as Error).message}`);
        await sleep(RETRY_MS, signal);
        continue;
      }
      try {
        await this.#hooks.becomeActive(this.nodeId);
      } catch (err) {
        this.#hooks.log('error', `core: failed to become active: ${(err as Error).message}`);
        this.#hooks.becomeStandby();
        await this.#lock.release();
        await sleep(RETRY_MS, signal);
        continue;
      }
      this.#mode = 'active';
      this.#activeSince = new Date();
      this.#hooks.log('info', 'core: acquired lock, enabling active operation');
      const why = await new Promise<'lost' | 'stop' | 'step-down'>((resolve) => {
        held.lost.then(() => resolve('lost'));
        signal.addEventListener('abort', () => resolve('stop'), { once: true });
        this.#stepDown = () => resolve('step-down');
      });
      this.#stepDown = undefined;
      this.#mode = 'standby';
      this.#activeSince = undefined;
      this.#hooks.becomeStandby();
      await this.#lock.release();
      this.#hooks.log(
        why === 'lost' ? 'warn' : 'info',
        why === 'lost'
          ? 'core: leadership lost, stopping active operation'
          : 'core: stepping down from active',
      );
      if (why === 'step-down') await sleep(STEP_DOWN_MS, signal);
    }
    this.#mode = 'standby';
  }
}
