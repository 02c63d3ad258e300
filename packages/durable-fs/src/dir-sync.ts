// Group commit of directory fsyncs. A rename (or unlink) is durable once an fsync of its directory
// that STARTED after it has finished. When many writers commit into one directory at once, one
// such fsync covers all of them, so they share a few fsyncs instead of making one each: the
// difference between a directory fsync per write and a handful per batch (measured on ext4 with
// Vault's file storage: about a sixth more puts per second with two fsyncs in flight than with
// strictly one, and no gain from four).
import { fsyncDir } from './fsync-dir.js';

/** fsyncs of one directory in flight at once, by default. */
export const DIR_SYNCS_IN_FLIGHT = 2;

/** One directory's fsyncs: some in flight, at most one queued that every late caller joins. */
class DirSync {
  #inFlight = 0;
  #queued: Promise<void> | undefined;
  #startQueued: (() => void) | undefined;

  constructor(
    private readonly dir: string,
    private readonly group: DirSyncGroup,
  ) {}

  get isIdle(): boolean {
    return this.#inFlight === 0 && this.#queued === undefined;
  }

  sync(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (this.#inFlight < this.group.inFlight) return this.#start();
    const queued = new Promise<void>((resolve) => {
      this.#startQueued = resolve;
    }).then(() => {
      this.#queued = undefined;
      return this.#start();
    });
    this.#queued = queued;
    return queued;
  }

  #start(): Promise<void> {
    this.#inFlight++;
    return this.group.syncDir(this.dir).finally(() => {
      this.#inFlight--;
      const startNext = this.#startQueued;
      this.#startQueued = undefined;
      if (startNext) startNext();
      else if (this.isIdle) this.group.idle(this.dir, this);
    });
  }
}

/**
 * Group-committed directory fsyncs for any number of directories. `sync(dir)` resolves after an
 * fsync of `dir` that started after the call: a new one starts at once while fewer than
 * `inFlight` run for that directory; otherwise the caller joins the single queued one, which
 * starts when one ends. Idle directories are forgotten, so the group holds only busy ones.
 */
export class DirSyncGroup {
  readonly #dirs = new Map<string, DirSync>();

  /**
   * @param syncDir the fsync of one directory (default: open, fsync, close); tests and callers
   *   with their own file-system layer pass theirs.
   */
  constructor(
    readonly syncDir: (dir: string) => Promise<void> = fsyncDir,
    readonly inFlight = DIR_SYNCS_IN_FLIGHT,
  ) {}

  /** @throws the Node system error of the fsync this call waited for (ENOENT when `dir` is gone). */
  sync(dir: string): Promise<void> {
    let s = this.#dirs.get(dir);
    if (!s) {
      s = new DirSync(dir, this);
      this.#dirs.set(dir, s);
    }
    return s.sync();
  }

  /** Called by a directory's syncer when nothing is in flight or queued for it. */
  idle(dir: string, s: DirSync): void {
    if (this.#dirs.get(dir) === s) this.#dirs.delete(dir);
  }

  /** Directories with fsyncs in flight or queued (for tests and diagnostics). */
  get busy(): number {
    return this.#dirs.size;
  }
}
