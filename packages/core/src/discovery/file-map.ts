/**
 * The files of one listed directory, held compactly: a directory of 200,000 files is held as
 * its names, sizes and modification times in arrays (about 100 bytes a file with an S3 ETag),
 * not as 200,000 entry objects with their URIs (about 1 KB a file once a listing's metadata and
 * a Map's bookkeeping are counted). Entries are made when a layout reads them.
 */
import { childUri } from './tree.js';
import type { FileEntry } from './types.js';

// What few files have: kept per file only where present.
interface Rare {
  linkTarget?: string | undefined;
  danglingLink?: boolean | undefined;
}

/** A growable array of doubles (NaN: none), without a boxed number per element. */
class Doubles {
  private data = new Float64Array(16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  set(i: number, value: number): void {
    this.data[i] = value;
  }
}

/**
 * A `Map<string, FileEntry>` of one directory's files (name -> entry) that stores them in
 * columns. It behaves as a Map for every reader (insertion order, `get`, `has`, iteration, `size`),
 * with one difference callers must not rely on the opposite of: the {@link FileEntry} a read
 * returns is made from the columns (equal in every field to the one added, the same object until
 * {@link CompactFileMap.release}), so entries are compared by name or URI, never by identity
 * across a release. Deleting a file keeps its slot (marked deleted).
 */
export class CompactFileMap extends Map<string, FileEntry> {
  private readonly names: Array<string | undefined> = [];
  private readonly sizes = new Doubles();
  private mtimes: Doubles | undefined;
  private etags: Array<string | undefined> | undefined;
  private crcs: Array<string | undefined> | undefined;
  private md5s: Array<string | undefined> | undefined;
  private rare: Map<number, Rare> | undefined;
  // name -> slot (a listing may show a name twice: the later entry replaces the earlier).
  private readonly index = new Map<string, number>();
  private count = 0;
  // Entries made so far, by slot: every layout reads the same objects, none is made twice, until
  // release() (the directory is judged).
  private made: Array<FileEntry | undefined> | undefined;

  /** @param dirUri The URI of the directory: each entry's URI is `childUri(dirUri, name)`. */
  constructor(private readonly dirUri: string) {
    super();
  }

  private slot(name: string): number | undefined {
    return this.index.get(name);
  }

  private entryAt(i: number): FileEntry {
    this.made ??= [];
    let entry = this.made[i];
    if (!entry) {
      entry = this.makeEntry(i);
      while (this.made.length < i) this.made.push(undefined);
      this.made[i] = entry;
    }
    return entry;
  }

  /**
   * Drops the entry objects made for readers (the columns stay): what a caller that has judged the
   * directory calls, so that only the directories being judged hold objects per file.
   */
  release(): void {
    this.made = undefined;
  }

  /**
   * Drops the entry object made for `name` (its columns stay): a reader done with that file. Read
   * again, it is made again.
   */
  releaseEntry(name: string): void {
    const i = this.slot(name);
    if (i !== undefined && this.made && i < this.made.length) this.made[i] = undefined;
  }

  /**
   * The place of `name` in the map (insertion order; a name added again keeps its place), or
   * undefined when absent: a number that stands for the name as long as the map holds it.
   */
  slotOf(name: string): number | undefined {
    return this.slot(name);
  }

  /** The name at `slot` (see {@link CompactFileMap.slotOf}), undefined when it was deleted. */
  nameAt(slot: number): string | undefined {
    return this.names[slot];
  }

  private makeEntry(i: number): FileEntry {
    const name = this.names[i]!;
    const entry: FileEntry = { name, uri: childUri(this.dirUri, name), size: this.sizes.get(i) };
    const mtime = this.mtimes?.get(i);
    if (mtime !== undefined && !Number.isNaN(mtime)) entry.mtime = new Date(mtime);
    const etag = this.etags?.[i];
    if (etag !== undefined) entry.etag = etag;
    const crc32c = this.crcs?.[i];
    if (crc32c !== undefined) entry.crc32c = crc32c;
    const md5 = this.md5s?.[i];
    if (md5 !== undefined) entry.md5 = md5;
    const rare = this.rare?.get(i);
    if (rare?.linkTarget !== undefined) entry.linkTarget = rare.linkTarget;
    if (rare?.danglingLink) entry.danglingLink = true;
    return entry;
  }

  private store(i: number, entry: FileEntry): void {
    if (this.made && i < this.made.length) this.made[i] = undefined;
    this.sizes.set(i, entry.size);
    if (entry.mtime || this.mtimes) {
      if (!this.mtimes) {
        this.mtimes = new Doubles();
        for (let j = 0; j < this.names.length; j++) this.mtimes.push(Number.NaN);
      }
      this.mtimes.set(i, entry.mtime ? entry.mtime.getTime() : Number.NaN);
    }
    // A column is made when a first file has the field (dense: no holes, which V8 would store as a dictionary).
    const column = (values: Array<string | undefined> | undefined, value: string | undefined) => {
      if (value === undefined && !values) return undefined;
      const out = values ?? [];
      while (out.length < i) out.push(undefined);
      if (i === out.length) out.push(value);
      else out[i] = value;
      return out;
    };
    this.etags = column(this.etags, entry.etag);
    this.crcs = column(this.crcs, entry.crc32c);
    this.md5s = column(this.md5s, entry.md5);
    if (entry.linkTarget !== undefined || entry.danglingLink) {
      this.rare ??= new Map();
      this.rare.set(i, { linkTarget: entry.linkTarget, danglingLink: entry.danglingLink });
    } else this.rare?.delete(i);
  }

  /** Adds or replaces `name`'s entry (its `name` and `uri` are the map's: `uri` is not stored). */
  override set(name: string, entry: FileEntry): this {
    let i = this.slot(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.sizes.push(0);
      this.mtimes?.push(Number.NaN);
      this.count++;
      this.index.set(name, i);
    }
    this.store(i, entry);
    return this;
  }

  override get(name: string): FileEntry | undefined {
    const i = this.slot(name);
    return i === undefined ? undefined : this.entryAt(i);
  }

  override has(name: string): boolean {
    return this.slot(name) !== undefined;
  }

  override delete(name: string): boolean {
    const i = this.slot(name);
    if (i === undefined) return false;
    this.names[i] = undefined;
    if (this.made && i < this.made.length) this.made[i] = undefined;
    this.index.delete(name);
    this.count--;
    return true;
  }

  override clear(): void {
    for (let i = 0; i < this.names.length; i++) this.names[i] = undefined;
    this.made = undefined;
    this.index.clear();
    this.count = 0;
  }

  override get size(): number {
    return this.count;
  }

  override *keys(): MapIterator<string> {
    for (const n of this.names) if (n !== undefined) yield n;
  }

  override *values(): MapIterator<FileEntry> {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] !== undefined) yield this.entryAt(i);
  }

  override *entries(): MapIterator<[string, FileEntry]> {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] !== undefined) yield [this.names[i]!, this.entryAt(i)];
  }

  override [Symbol.iterator](): MapIterator<[string, FileEntry]> {
    return this.entries();
  }

  override forEach(fn: (value: FileEntry, key: string, map: Map<string, FileEntry>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
