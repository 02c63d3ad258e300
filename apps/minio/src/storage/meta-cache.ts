/**
 * What an entry costs beyond its id and text, in bytes: the Map entry and two string headers. Ids
 * count too — a bucket name and a key of up to 1024 characters can outweigh a small meta.json.
 */
const ENTRY_OVERHEAD = 64;

/**
 * Recently read or written meta.json texts, least recently used dropped first, bounded in bytes: the
 * sum of each entry's id and text lengths plus ENTRY_OVERHEAD stays within `maxBytes` (characters
 * count as bytes; V8 keeps ASCII strings, which meta.json and most keys are, at one byte each). This
 * process is the only writer of the directory, so commits write through and deletes evict; texts are
 * parsed on every hit, so callers always get their own object.
 */
export class MetaCache {
  private readonly texts = new Map<string, string>();
  private used = 0;
  /** Bumped by every commit and delete; a read that overlapped one does not fill the cache. */
  epoch = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntry: number,
  ) {}

  get(id: string): string | undefined {
    const text = this.texts.get(id);
    if (text !== undefined) {
      this.texts.delete(id);
      this.texts.set(id, text);
    }
    return text;
  }

  set(id: string, text: string): void {
    this.delete(id);
    if (text.length > this.maxEntry) return;
    this.texts.set(id, text);
    this.used += cost(id, text);
    for (const [old, oldText] of this.texts) {
      if (this.used <= this.maxBytes) break;
      this.texts.delete(old);
      this.used -= cost(old, oldText);
    }
  }

  delete(id: string): void {
    const text = this.texts.get(id);
    if (text === undefined) return;
    this.texts.delete(id);
    this.used -= cost(id, text);
  }

  clear(): void {
    this.texts.clear();
    this.used = 0;
  }

  /** The bytes the entries are charged (at most `maxBytes`). */
  get bytes(): number {
    return this.used;
  }

  /** The number of entries. */
  get size(): number {
    return this.texts.size;
  }
}

function cost(id: string, text: string): number {
  return id.length + text.length + ENTRY_OVERHEAD;
}
