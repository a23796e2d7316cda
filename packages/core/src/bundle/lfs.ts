/**
 * Recognises Git LFS pointer files. Cloning a model repository without `git lfs` leaves these
 * ~130-byte text files where the checkpoint should be; users deserve to be told that rather than
 * "bad magic number".
 */

/** What a pointer file says about the real object. */
export interface LfsPointer {
  oid: string;
  /** Size of the real object in bytes, when the pointer states it. */
  size: number | undefined;
}

// Pointer files are at most 1024 bytes (git-lfs spec); the first line names the spec version.
const MAX_POINTER_BYTES = 1024;
const VERSION_PREFIXES = ['version https://git-lfs.github.com/spec/', 'version https://hawser.github.com/spec/'];

/**
 * Parses `bytes` as a Git LFS pointer file, or returns `undefined` when they are not one. Only the
 * whole file can be a pointer, so pass the complete contents (they are small).
 */
export function parseLfsPointer(bytes: Uint8Array): LfsPointer | undefined {
  if (bytes.length > MAX_POINTER_BYTES || bytes.length < 20) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (!VERSION_PREFIXES.some((p) => text.startsWith(p))) return undefined;
  const oid = /^oid ([a-z0-9]+:[0-9a-f]+)$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return { oid: oid ?? 'unknown', size: size === undefined ? undefined : Number(size) };
}

/** The message users see for a pointer file. */
export function lfsMessage(p: LfsPointer): string {
  const size = p.size === undefined ? '' : ` of ${p.size} bytes`;
  return `this is a Git LFS pointer, fetch the object (git lfs pull): the file holds only a reference to ${p.oid}${size}`;
}
