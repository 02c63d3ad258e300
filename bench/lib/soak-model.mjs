// The soak's model of acknowledged writes. Every key has one writer (the worker that owns it), so its
// writes are ordered; readers may be any worker. A key's history lists its writes with when each
// started and ended; a read over [s, e] may see any state that could have been visible at some moment
// of that window: a write that started before e, and that no later write had definitely replaced
// (acknowledged) before s. Bodies are never stored: a version is a list of parts (seed, size) whose
// bytes are an AES-CTR keystream, regenerated to check a read byte for byte.
import { createCipheriv, createHash } from 'node:crypto';

/** The absent state: never written, or deleted. */
export const ABSENT = Object.freeze({ absent: true });

const ZEROS = Buffer.alloc(1 << 20);

/** The bytes of one part: `size` bytes of AES-128-CTR keystream under a key derived from `seed`. */
export function partBytes(seed, size) {
  const key = createHash('sha256').update(`soak-part-${seed}`).digest().subarray(0, 16);
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, size - at);
    c.update(ZEROS.subarray(0, n)).copy(out, at);
  }
  return out;
}

/** A version's whole body. */
export function versionBytes(version) {
  return Buffer.concat(version.parts.map((p) => partBytes(p.seed, p.size)));
}

export function versionSize(version) {
  return version.parts.reduce((n, p) => n + p.size, 0);
}

/** MD5 of a version's body, computed once. */
export function versionMd5(version) {
  version.md5 ??= createHash('md5').update(versionBytes(version)).digest('hex');
  return version.md5;
}

/**
 * One key's writes. `begin()` records a write about to be sent and returns its entry; `end(entry, ok,
 * states)` closes it (a copy's states may be a function until then: what its source may hold so far):
 * ok=true (acknowledged; `states` = what it may have stored: one version, ABSENT
 * for a delete, or several candidates for a copy whose source was being rewritten), ok=false with
 * `definite` (a clean 4xx: nothing stored, the entry goes) or not (a 5xx or reset: maybe stored).
 */
export class KeyHistory {
  constructor() {
    /** @type {{start: number, end?: number, ok?: boolean, states: object[]}[]} */
    this.entries = [
      { start: Number.NEGATIVE_INFINITY, end: Number.NEGATIVE_INFINITY, ok: true, states: [ABSENT] },
    ];
  }

  begin(now, states) {
    const entry = { start: now, end: undefined, ok: undefined, states };
    this.entries.push(entry);
    return entry;
  }

  end(entry, now, outcome) {
    const { ok, definite = false, states } = outcome;
    entry.end = now;
    entry.ok = ok;
    if (states) entry.states = states;
    if (!ok && definite) this.entries.splice(this.entries.indexOf(entry), 1);
    this.#prune();
  }

  /**
   * Drops the entries replaced by an acknowledged write that ended more than `keepMs` ago: no read
   * still under way can see them (a read that long is reported as slow anyway).
   */
  #prune(keepMs = 30_000) {
    const lastOk = this.entries.findLastIndex((e) => e.ok === true);
    if (lastOk > 0 && this.entries[lastOk].end < this.entries[this.entries.length - 1].start - keepMs) {
      this.entries.splice(0, lastOk);
    }
  }

  /** Whether no write of this key is under way. */
  get settled() {
    return this.entries.every((e) => e.end !== undefined);
  }

  /** The states a read over [s, e] may see, and whether a write overlapped the window. */
  acceptable(s, e) {
    const states = [];
    let raced = false;
    let replacedAt = Number.POSITIVE_INFINITY;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i];
      if (entry.start < e && replacedAt > s) {
        if (typeof entry.states !== 'function') states.push(...entry.states);
        else if (!entry.evaluating) {
          // Two copies in flight between the same keys (A→B, B→A) ask each other: entering this
          // entry again adds nothing the outer call does not already collect (the least fixpoint,
          // both keys' other states), so the second visit contributes none.
          entry.evaluating = true;
          try {
            states.push(...entry.states());
          } finally {
            entry.evaluating = false;
          }
        }
        if (entry.end === undefined || entry.end > s) raced = true;
      }
      if (entry.ok === true) replacedAt = Math.min(replacedAt, entry.end);
      if (replacedAt <= s) break;
    }
    return { states, raced };
  }

  /** The state of a settled key whose last write was acknowledged (exactly known), else undefined. */
  get exact() {
    const last = this.entries[this.entries.length - 1];
    if (!this.settled || last.ok !== true || typeof last.states === 'function') return undefined;
    if (last.states.length !== 1) return undefined;
    return last.states[0];
  }
}
