// Memory locking. Vault calls mlockall(MCL_CURRENT|MCL_FUTURE) unless `disable_mlock` is set and
// refuses to start when that fails. In a Node process mlockall is not safe: measured here (Node 20,
// Linux, root, through an FFI binding, with and without MCL_ONFAULT) V8 then aborts with
// "Check failed: 0 == ret" in OS::SetPermissions — at heap teardown and at run time when the JIT
// changes permissions of locked code pages.
//
// What is done instead: the long-lived key material (the barrier keyring terms, the root key and
// the unseal shares collected towards the threshold) lives in a small off-heap arena — anonymous
// pages from mmap(2), locked with mlock(2) and excluded from core dumps with
// madvise(MADV_DONTDUMP) — reached through the koffi FFI package (prebuilt binaries, no install
// step). V8 never owns, moves or frees those pages, so its page-permission changes never meet a
// locked page. When locking is wanted and the kernel refuses it (no CAP_IPC_LOCK and
// RLIMIT_MEMLOCK too small), the server stops with Vault's message. README.md says plainly what
// this does and does not cover.
import { libc } from '@kms-chain/libc';

export interface MlockResult {
  /** Whether this build can lock memory on this platform (Linux with the FFI binding loadable). */
  supported: boolean;
  /** Whether the key arena is locked. */
  locked: boolean;
  /** Why locking failed when supported, in Go's errno wording (e.g. `cannot allocate memory`). */
  error?: string;
}

/** Bytes per arena region; a region holds this / SLOT slots. */
const REGION = 64 * 1024;
/** Slot size: every key, root key and Shamir share here is ≤ 33 bytes. */
const SLOT = 64;

/** Go's syscall.Errno texts for the errors mlock(2)/mmap(2) return. */
const ERRNO_TEXT: Record<number, string> = {
  1: 'operation not permitted',
  11: 'resource temporarily unavailable',
  12: 'cannot allocate memory',
  22: 'invalid argument',
  38: 'function not implemented',
};

function errnoText(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

/** The part of libc the arena needs, bound through koffi. */
interface Libc {
  mmap(len: number): { ptr: unknown; errno: number };
  mlock(ptr: unknown, len: number): number;
  dontDump(ptr: unknown, len: number): void;
  view(ptr: unknown, len: number): ArrayBuffer;
}

function loadLibc(): Libc | undefined {
  const c = libc();
  if (!c) return undefined;
  const { koffi, lib } = c;
  const mmap = lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)');
  const mlock = lib.func('int mlock(void *addr, size_t len)');
  const madvise = lib.func('int madvise(void *addr, size_t len, int advice)');
  const PROT_READ_WRITE = 0x1 | 0x2;
  const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  const MADV_DONTDUMP = 16;
  const MAP_FAILED = (1n << 64n) - 1n;
  return {
    mmap(len) {
      const ptr = mmap(null, len, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0);
      const failed = ptr === null || koffi.address(ptr) === MAP_FAILED;
      return { ptr, errno: failed ? koffi.errno() : 0 };
    },
    mlock(ptr, len) {
      return mlock(ptr, len) === 0 ? 0 : koffi.errno();
    },
    dontDump(ptr, len) {
      madvise(ptr, len, MADV_DONTDUMP);
    },
    view: (ptr, len) => koffi.view(ptr, len),
  };
}

/** Thrown when a locked region cannot be had (mmap or mlock refused). */
export class MlockError extends Error {
  constructor(readonly reason: string) {
    super(`Failed to lock memory: ${reason}`);
    this.name = 'MlockError';
  }
}

/** Fixed-size slots carved from locked, never-dumped pages that V8 does not manage. */
class LockedArena {
  readonly #libc: Libc;
  readonly #free: Buffer[] = [];
  /** Offsets handed out, per region: a second release of a slot must not free it twice. */
  readonly #inUse = new WeakMap<ArrayBufferLike, Set<number>>();
  #regions = 0;

  constructor(libc: Libc) {
    this.#libc = libc;
    this.#grow();
  }

  get regions(): number {
    return this.#regions;
  }

  #grow(): void {
    const { ptr, errno } = this.#libc.mmap(REGION);
    if (errno !== 0) throw new MlockError(errnoText(errno));
    const err = this.#libc.mlock(ptr, REGION);
    if (err !== 0) throw new MlockError(errnoText(err));
    this.#libc.dontDump(ptr, REGION);
    const region = this.#libc.view(ptr, REGION);
    this.#inUse.set(region, new Set());
    for (let off = REGION - SLOT; off >= 0; off -= SLOT) this.#free.push(Buffer.from(region, off, SLOT));
    this.#regions++;
  }

  alloc(len: number): Buffer {
    if (!Number.isInteger(len) || len < 0 || len > SLOT)
      throw new RangeError(`locked buffers hold 0..${SLOT} bytes, not ${len}`);
    if (this.#free.length === 0) this.#grow();
    const slot = this.#free.pop()!;
    this.#inUse.get(slot.buffer)!.add(slot.byteOffset);
    return slot.subarray(0, len);
  }

  /** Zeroes the slot behind `buf` and takes it back; buffers not from the arena are only zeroed. */
  release(buf: Buffer): void {
    const inUse = this.#inUse.get(buf.buffer);
    if (!inUse?.delete(buf.byteOffset)) {
      buf.fill(0);
      return;
    }
    const slot = Buffer.from(buf.buffer, buf.byteOffset, SLOT);
    slot.fill(0);
    this.#free.push(slot);
  }
}

let arena: LockedArena | undefined;

/**
 * Locks the key arena (call once at server start unless `disable_mlock`). Returns
 * `supported: false` on platforms without the binding (the server then warns and goes on, as
 * Vault does where mlock does not exist) and `locked: false` with Go's errno text when the kernel
 * refuses; never throws.
 */
export function lockMemory(loader: () => Libc | undefined = loadLibc): MlockResult {
  if (arena) return { supported: true, locked: true };
  const libc = loader();
  if (!libc) return { supported: false, locked: false };
  try {
    arena = new LockedArena(libc);
    return { supported: true, locked: true };
  } catch (err) {
    if (err instanceof MlockError) return { supported: true, locked: false, error: err.reason };
    throw err;
  }
}

/** Whether key material is being placed in locked memory. */
export function isMemoryLocked(): boolean {
  return arena !== undefined;
}

/**
 * A zero-filled buffer of `len` (≤ 64) bytes for key material: in locked memory once
 * `lockMemory()` succeeded, an ordinary heap buffer otherwise. Give it back with
 * `releaseSecret`. Throws RangeError for other sizes, MlockError if a new region is refused.
 */
export function secretBuffer(len: number): Buffer {
  return arena ? arena.alloc(len) : Buffer.alloc(len);
}

/** Copies `src` into a new `secretBuffer`. */
export function secretCopy(src: Uint8Array): Buffer {
  const out = secretBuffer(src.length);
  out.set(src);
  return out;
}

/** Zeroes a buffer from `secretBuffer`/`secretCopy` and returns its slot; undefined is ignored. */
export function releaseSecret(buf: Buffer | undefined): void {
  if (!buf) return;
  if (arena) arena.release(buf);
  else buf.fill(0);
}

/** Test seam: the arena's region count (0 when not locked). */
export function lockedRegions(): number {
  return arena?.regions ?? 0;
}

/** Test seam: forgets the arena (its pages stay mapped and locked; slots in use stay valid). */
export function resetMemoryLockForTests(): void {
  arena = undefined;
}

/** Vault's startup failure text when locking is refused (vault/core.go, `Error initializing core`). */
export function mlockFailureMessage(reason: string): string {
  return `Error initializing core: Failed to lock memory: ${reason}

This usually means that the mlock syscall is not available.
Vault uses mlock to prevent memory from being swapped to
disk. This requires root privileges as well as a machine
that supports mlock. Please enable mlock on your system or
disable Vault from using it. To disable Vault from using it,
set the \`disable_mlock\` configuration option in your configuration
file.
`;
}

export type { Libc as MlockLibc };
