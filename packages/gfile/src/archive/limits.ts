/** Bounds on what an archive may cost to read (decision 0016, "Hostile archives"). */
export interface ArchiveLimits {
  /** Members an index holds at most (default 250,000); more is CORRUPT. */
  maxMembers: number;
  /** Bytes one member may hold once decompressed (default 64 GiB). */
  maxMemberSize: number;
  /** Decompressed bytes a `.tar.gz` may hold in all (default 256 GiB). */
  maxTotalSize: number;
  /**
   * Largest ratio of decompressed to compressed bytes (default 500), applied to members and
   * `.tar.gz` streams once past `ratioFloor` bytes: deflate's own limit is about 1032:1, so only
   * bombs (and nearly all-zero data) come near it.
   */
  maxRatio: number;
  /** Decompressed bytes below which the ratio is not checked (default 64 MiB). */
  ratioFloor: number;
  /** Members of a `.tar.gz` whose bytes the index pass keeps, each at most (default 4 MiB). */
  cacheMemberBytes: number;
  /** Bytes of member contents the index pass keeps in all (default 16 MiB: a constant part of the peak RSS). */
  cacheTotalBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMembers: 250_000,
  maxMemberSize: 64 * 2 ** 30,
  maxTotalSize: 256 * 2 ** 30,
  maxRatio: 500,
  ratioFloor: 64 * 2 ** 20,
  cacheMemberBytes: 4 * 2 ** 20,
  cacheTotalBytes: 16 * 2 ** 20,
};
