/** File names of a V2 bundle (tensorflow/core/util/tensor_bundle/naming.cc). */

/** `PREFIX.index`. */
export function indexFilename(prefix: string): string {
  return `${prefix}.index`;
}

/** `PREFIX.data-%05d-of-%05d` (`%05d` is a minimum width, not a limit). */
export function dataFilename(prefix: string, shardId: number, numShards: number): string {
  return `${prefix}.data-${String(shardId).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

/** The prefix a user may have given as the index file itself (`x.index` -> `x`). */
export function bundlePrefixOf(uriOrPrefix: string): string {
  return uriOrPrefix.endsWith('.index') ? uriOrPrefix.slice(0, -'.index'.length) : uriOrPrefix;
}
