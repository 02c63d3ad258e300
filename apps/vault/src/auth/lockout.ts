// Vault's user lockout for logins (Vault ≥ 1.13, on by default for AppRole): after
// LOCKOUT_THRESHOLD failed logins for one key (the role ID) the key is locked for LOCKOUT_MS
// (403 `permission denied`); the count resets after LOCKOUT_MS without a failure, or on a
// successful login.
//
// Attempts still running count against the threshold as if they were failing: with f failures
// recorded, at most THRESHOLD − f attempts of a key run at once and the others wait their turn.
// So parallel wrong guesses get no more answers than sequential ones would; good logins of a key
// run up to THRESHOLD at a time.
import { permissionDenied } from '../errors.js';

const LOCKOUT_THRESHOLD = 5;
const LOCKOUT_MS = 15 * 60 * 1000;

interface KeyState {
  failures: number;
  /** Unix ms of the last failure. */
  last: number;
  running: number;
  waiting: Array<() => void>;
}

export class LoginLockout {
  readonly #states = new Map<string, KeyState>();
  readonly #threshold: number;
  readonly #windowMs: number;

  constructor(threshold = LOCKOUT_THRESHOLD, windowMs = LOCKOUT_MS) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
  }

  #state(key: string): KeyState {
    let state = this.#states.get(key);
    if (!state) {
      state = { failures: 0, last: 0, running: 0, waiting: [] };
      this.#states.set(key, state);
    }
    return state;
  }

  /** Drops a key that holds nothing, so keys that never failed cost no memory once idle. */
  #tidy(key: string, state: KeyState): void {
    if (state.running === 0 && state.waiting.length === 0 && state.failures === 0)
      if (this.#states.get(key) === state) this.#states.delete(key);
  }

  /**
   * Runs one login attempt for `key`. Throws 403 while the key is locked. `isFailure` decides
   * whether an error counts as a failed login (it runs while the attempt still holds its slot).
   */
  async attempt<T>(
    key: string,
    run: () => Promise<T>,
    isFailure: (err: unknown) => Promise<boolean>,
  ): Promise<T> {
    let state: KeyState;
    for (;;) {
      // Re-read each time: the state a waiter saw may have been dropped while it waited.
      state = this.#state(key);
      if (state.failures > 0 && Date.now() - state.last > this.#windowMs) state.failures = 0;
      if (state.failures >= this.#threshold) {
        this.#tidy(key, state);
        throw permissionDenied();
      }
      if (state.failures + state.running < this.#threshold) break;
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    }
    state.running++;
    try {
      const out = await run();
      state.failures = 0;
      return out;
    } catch (err) {
      if (await isFailure(err)) {
        state.failures++;
        state.last = Date.now();
      }
      throw err;
    } finally {
      state.running--;
      for (const wake of state.waiting.splice(0)) wake();
      this.#tidy(key, state);
    }
  }

  /** Keys with a recorded failure or an attempt in progress (tests use this). */
  get size(): number {
    return this.#states.size;
  }
}
