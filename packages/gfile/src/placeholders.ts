/**
 * Directory placeholder objects. Object stores have no directories, so tools leave objects that
 * stand for one: a zero-byte `dir/` (the S3 and GCS consoles' "create folder", `makeDirs` here;
 * adapters already report any key ending in `/` as a directory), and Hadoop's S3N/EMRFS
 * `dir_$folder$` (gsutil's `IsCloudSubdirPlaceholder` treats both as placeholders). A placeholder
 * is never a file: the facade reports a `_$folder$` object as the directory it stands for, once,
 * in every listing it hands out (list, listDir, listPrefix, glob, walk). Operations that act on
 * the stored keys (removeTree, rename) still see the object itself, so they remove or move it.
 */
import type { ObjectMeta } from './adapter.js';

/** The suffix Hadoop's S3 file systems give the object that stands for an (empty) directory. */
export const HADOOP_FOLDER_SUFFIX = '_$folder$';

/**
 * The directory key a Hadoop placeholder object stands for (`a/b_$folder$` -> `a/b/`), or
 * undefined when `key` is not one. A bare `_$folder$` (a placeholder for the store root, or for a
 * directory named by nothing) stands for no directory: `''`.
 */
export function hadoopPlaceholderDir(key: string): string | undefined {
  if (!key.endsWith(HADOOP_FOLDER_SUFFIX)) return undefined;
  const dir = key.slice(0, -HADOOP_FOLDER_SUFFIX.length);
  return dir === '' || dir.endsWith('/') ? '' : `${dir}/`;
}

/**
 * A listing entry as users see it: a Hadoop placeholder becomes the directory it stands for
 * (keeping its mtime); undefined when it stands for no directory (it is then dropped).
 */
export function presentEntry(meta: ObjectMeta): ObjectMeta | undefined {
  if (meta.kind !== 'file') return meta;
  const dir = hadoopPlaceholderDir(meta.key);
  if (dir === undefined) return meta;
  if (dir === '') return undefined;
  return { key: dir, kind: 'directory', size: 0, ...(meta.mtime ? { mtime: meta.mtime } : {}) };
}

/**
 * A listing entry as the facade hands it out: {@link presentEntry}, and each directory once per
 * listing (a `dir/` common prefix or marker and a `dir_$folder$` object stand for one directory).
 * `shown` holds the directory keys this listing already handed out. Undefined: not shown.
 */
export function presentOnce(raw: ObjectMeta, shown: Set<string>): ObjectMeta | undefined {
  const meta = presentEntry(raw);
  if (!meta || meta.kind !== 'directory') return meta;
  if (shown.has(meta.key)) return undefined;
  shown.add(meta.key);
  return meta;
}
