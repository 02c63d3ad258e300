// Memory locking. Vault calls mlockall(MCL_CURRENT|MCL_FUTURE) unless `disable_mlock` is set. In a
// Node process that is not safe: measured here (Node 20, Linux, root, mlockall through an FFI
// binding, with and without MCL_ONFAULT) V8 aborts with "Check failed: 0 == ret" in
// OS::SetPermissions — at heap teardown, and also at run time when the JIT changes page
// permissions of locked code pages. A server that can crash mid-request is worse than one that
// may swap, so this build reports mlock as unsupported (Vault's behaviour on platforms without
// mlock: log it and continue). README.md says what that means for secrets in memory.

export interface MlockResult {
  /** Whether this build can lock process memory at all. */
  supported: boolean;
  /** Whether memory was locked. */
  locked: boolean;
  /** Why locking failed when supported (Go-style text, e.g. `cannot allocate memory`). */
  error?: string;
}

/** Reports memory locking as unsupported in a V8 process; never throws. */
export function lockMemory(): MlockResult {
  return { supported: false, locked: false };
}
