// Memory locking. Node has no mlockall binding of its own and this build ships no native addon,
// so locking is reported as unsupported (Vault's behaviour on platforms without mlock: it warns
// and continues). See README.md for what that means for secrets in a Node process.

export interface MlockResult {
  /** A working mlockall binding is present. */
  supported: boolean;
  /** mlockall succeeded. */
  locked: boolean;
  /** Why locking failed, when supported but refused (e.g. `cannot allocate memory`). */
  error?: string;
}

/** Tries mlockall(MCL_CURRENT|MCL_FUTURE); never throws. */
export function lockMemory(): MlockResult {
  return { supported: false, locked: false };
}
