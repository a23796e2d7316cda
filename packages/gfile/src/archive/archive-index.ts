import { compareKeys } from '../keys.js';
import type { ArchiveLimits } from './limits.js';
import { memberKey } from './names.js';

/** One regular file of an archive, as its index holds it. */
export interface MemberFile<Loc> {
  key: string;
  size: number;
  mtime?: Date | undefined;
  /** Where the format finds its bytes. */
  loc: Loc;
}

/** Why a name is in the archive but not listed (a link, a device, an unsafe name). */
export interface RejectedMember {
  name: string;
  reason: string;
}

/**
 * The listing of one archive, built once per command from one pass over its headers: regular
 * files by key, the directories they imply, and what was left out with the reason.
 */
export class ArchiveIndex<Loc> {
  readonly files = new Map<string, MemberFile<Loc>>();
  /** Directory entries the archive holds itself (`a/b/`); the others are implied by file keys. */
  readonly directories = new Set<string>();
  readonly rejected = new Map<string, RejectedMember>();
  private sortedKeys: string[] | undefined;
  private seen = 0;

  constructor(
    private readonly limits: ArchiveLimits,
    /** `last-wins` (tar: a later member replaces an earlier one) or `refuse` (zip: CORRUPT). */
    private readonly duplicates: 'last-wins' | 'refuse',
    private readonly fail: (message: string) => Error,
  ) {}

  /**
   * Adds a member of the given type; links and specials are recorded as rejected, with `reason`.
   * Returns the key of a regular file added (listed), else undefined.
   */
  add(name: string, entry: { kind: 'file' | 'directory' | 'other'; reason?: string | undefined; size: number; mtime?: Date | undefined; loc: Loc }): string | undefined {
    if (++this.seen > this.limits.maxMembers) throw this.fail(`more than ${this.limits.maxMembers} members (the limit of an archive view)`);
    const named = memberKey(name);
    if ('rejected' in named) {
      this.rejected.set(name, { name, reason: named.rejected });
      return undefined;
    }
    const { key } = named;
    this.sortedKeys = undefined;
    if (entry.kind === 'other') {
      this.rejected.set(key, { name, reason: entry.reason ?? 'not a regular file' });
      this.files.delete(key);
      return undefined;
    }
    if (entry.kind === 'directory' || named.directory) {
      this.directories.add(`${key}/`);
      return undefined;
    }
    if (this.files.has(key) && this.duplicates === 'refuse') throw this.fail(`two members are named "${key}"`);
    if (entry.size > this.limits.maxMemberSize) throw this.fail(`member "${key}" holds ${entry.size} bytes, more than the limit of ${this.limits.maxMemberSize}`);
    this.rejected.delete(key);
    this.files.set(key, { key, size: entry.size, mtime: entry.mtime, loc: entry.loc });
    return key;
  }

  /** Every file key and directory entry's key (`a/`), in key order. */
  sorted(): string[] {
    return (this.sortedKeys ??= [...this.files.keys(), ...this.directories].sort(compareKeys));
  }
}
