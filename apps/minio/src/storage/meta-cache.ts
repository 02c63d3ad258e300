/**
 * Recently read or written meta.json texts, least recently used dropped first, bounded in bytes. This
 * process is the only writer of the directory, so commits write through and deletes evict; texts are
 * parsed on every hit, so callers always get their own object.
 */
export class MetaCache {
  private readonly texts = new Map<string, string>();
  private bytes = 0;
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
    this.bytes += text.length;
    for (const [old, oldText] of this.texts) {
      if (this.bytes <= this.maxBytes) break;
      this.texts.delete(old);
      this.bytes -= oldText.length;
    }
  }

  delete(id: string): void {
    const text = this.texts.get(id);
    if (text === undefined) return;
    this.texts.delete(id);
    this.bytes -= text.length;
  }

  clear(): void {
    this.texts.clear();
    this.bytes = 0;
  }
}
