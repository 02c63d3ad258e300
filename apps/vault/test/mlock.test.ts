// The locked key arena: real mmap/mlock through koffi on Linux (root here has CAP_IPC_LOCK), the
// refusal path through a libc stand-in that fails like the kernel does, and slot hygiene.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isMemoryLocked,
  lockedRegions,
  lockMemory,
  type MlockLibc,
  mlockFailureMessage,
  releaseSecret,
  resetMemoryLockForTests,
  secretBuffer,
  secretCopy,
} from '../src/mlock.js';

afterEach(() => resetMemoryLockForTests());

function lockedKiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmLck:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0);
}

/** A libc whose mlock fails with `errno` (as without CAP_IPC_LOCK and a small RLIMIT_MEMLOCK). */
function refusingLibc(errno: number): MlockLibc {
  return {
    mmap: (len) => ({ ptr: new ArrayBuffer(len), errno: 0 }),
    mlock: () => errno,
    dontDump: () => undefined,
    view: (ptr) => ptr as ArrayBuffer,
  };
}

describe.skipIf(process.platform !== 'linux')('locked key arena (real mlock)', () => {
  it('locks 64 KiB of pages and hands out zeroed slots inside them', () => {
    const before = lockedKiB();
    const r = lockMemory();
    expect(r).toEqual({ supported: true, locked: true });
    expect(isMemoryLocked()).toBe(true);
    expect(lockedKiB() - before).toBeGreaterThanOrEqual(64);
    const a = secretBuffer(32);
    const b = secretCopy(Buffer.alloc(33, 7));
    expect([...a]).toEqual(new Array(32).fill(0));
    expect(b.equals(Buffer.alloc(33, 7))).toBe(true);
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(65536);
    expect(Math.abs(a.byteOffset - b.byteOffset)).toBeGreaterThanOrEqual(64);
    releaseSecret(a);
    releaseSecret(b);
  });

  it('a released slot is zeroed and reused; a second release does not free it twice', () => {
    lockMemory();
    const a = secretBuffer(32);
    a.fill(0xaa);
    const offset = a.byteOffset;
    releaseSecret(a);
    expect([...a]).toEqual(new Array(32).fill(0));
    releaseSecret(a);
    const b = secretBuffer(16);
    const c = secretBuffer(16);
    expect(b.byteOffset).toBe(offset);
    expect(c.byteOffset).not.toBe(offset);
  });

  it('grows by another locked region when the first is full (1024 slots of 64 bytes)', () => {
    lockMemory();
    const held = Array.from({ length: 1025 }, () => secretBuffer(32));
    expect(lockedRegions()).toBe(2);
    expect(new Set(held.map((b) => `${b.buffer === held[0]!.buffer}:${b.byteOffset}`)).size).toBe(1025);
    for (const b of held) releaseSecret(b);
  });

  it.each([-1, 65, 1.5])('refuses a slot of %s bytes', (len) => {
    lockMemory();
    expect(() => secretBuffer(len)).toThrow(RangeError);
  });
});

describe('memory locking refused or unavailable', () => {
  it.each([
    [12, 'cannot allocate memory'],
    [1, 'operation not permitted'],
  ])('mlock errno %i → locked: false with Go text %j', (errno, text) => {
    expect(lockMemory(() => refusingLibc(errno))).toEqual({ supported: true, locked: false, error: text });
    expect(isMemoryLocked()).toBe(false);
    // Without the arena, key buffers are ordinary heap buffers, still zeroed on release.
    const b = secretCopy(Buffer.alloc(32, 1));
    releaseSecret(b);
    expect([...b]).toEqual(new Array(32).fill(0));
  });

  it('no binding (another platform) → supported: false', () => {
    expect(lockMemory(() => undefined)).toEqual({ supported: false, locked: false });
  });

  it("Vault's startup message names the reason and disable_mlock", () => {
    const m = mlockFailureMessage('cannot allocate memory');
    expect(m.startsWith('Error initializing core: Failed to lock memory: cannot allocate memory\n\n')).toBe(
      true,
    );
    expect(m).toContain('This usually means that the mlock syscall is not available.');
    expect(m).toContain('set the `disable_mlock` configuration option in your configuration\nfile.');
  });
});
