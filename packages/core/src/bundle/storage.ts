/**
 * Glue between the bundle code and the storage facade (`@ckptkit/gfile`): byte sources over URIs,
 * and `openBundle` / `verifyBundle` / `writeBundle` / `inspectCheckpoint` for the CLI and library users.
 */
import { isCkptError, type FileInfo, type GFile } from '@ckptkit/gfile';
import { buildBundle, type BundleWriterOptions, type TensorToWrite } from './bundle-writer.js';
import { bytesSource, type ByteSource } from './byte-source.js';
import { readBundleIndex, type BundleIndex } from './index-reader.js';
import { inspectBundleJson, inspectV1Json, type InspectJson } from './inspect-json.js';
import { bundlePrefixOf, dataFilename, indexFilename } from './naming.js';
import { DEFAULT_TAIL_BYTES } from './sstable-reader.js';
import { readV1Checkpoint } from './v1-reader.js';
import { verifyBundleFiles, type BundleFiles, type VerifyOptions, type VerifyReport } from './verify.js';

/** The part of the gfile facade the bundle code uses (`scan`: where a store is read front to back, decision 0016). */
export type BundleStorage = Pick<GFile, 'stat' | 'readFile' | 'readStream' | 'writeFile' | 'listPrefix'> & Partial<Pick<GFile, 'scan'>>;

interface Signal {
  signal?: AbortSignal | undefined;
}

/**
 * A {@link ByteSource} over one file of a store: `read` is one ranged GET, `stream` one ranged GET
 * whose body is consumed as it arrives; `size` is one HEAD unless known.
 */
export function storageSource(storage: BundleStorage, uri: string, knownSize?: number): ByteSource {
  let size = knownSize;
  return {
    uri,
    async size(signal) {
      size ??= (await storage.stat(uri, { signal })).size;
      return size;
    },
    read: (offset, length, signal) => storage.readFile(uri, { offset, length, signal }),
    stream: (offset, length, signal) => storage.readStream(uri, { offset, length, signal }),
  };
}

/**
 * The whole of a file that is read entirely anyway (an index): one GET of the first 64 KiB, which
 * is the whole file for most indexes; for a larger one a HEAD for the size and one GET of the rest.
 */
async function wholeFileSource(storage: BundleStorage, uri: string, signal: AbortSignal | undefined): Promise<ByteSource> {
  const head = await storage.readFile(uri, { offset: 0, length: DEFAULT_TAIL_BYTES, signal });
  if (head.length < DEFAULT_TAIL_BYTES) return bytesSource(head, uri);
  const { size } = await storage.stat(uri, { signal });
  if (size <= head.length) return bytesSource(head, uri);
  const rest = await storage.readFile(uri, { offset: head.length, length: size - head.length, signal });
  const all = new Uint8Array(head.length + rest.length);
  all.set(head);
  all.set(rest, head.length);
  return bytesSource(all, uri);
}

/**
 * Reads the index of the bundle at `prefixOrIndexUri` (`…/ckpt-5` or `…/ckpt-5.index`). An index
 * up to 64 KiB costs one GET; a larger one two GETs and a HEAD.
 * Throws NOT_FOUND when the index does not exist and CORRUPT when it is not a valid index.
 */
export async function openBundle(storage: BundleStorage, prefixOrIndexUri: string, options: Signal = {}): Promise<BundleIndex> {
  const uri = indexFilename(bundlePrefixOf(prefixOrIndexUri));
  return readBundleIndex(await wholeFileSource(storage, uri, options.signal), { signal: options.signal });
}

/** The files of a bundle from one listing of `PREFIX.` (sizes included, so no HEAD per shard). */
async function listedBundleFiles(storage: BundleStorage, prefix: string, signal: AbortSignal | undefined): Promise<BundleFiles> {
  const files = new Map<string, FileInfo>();
  for await (const info of storage.listPrefix(`${prefix}.`, { signal })) {
    if (info.kind === 'file') files.set(info.uri, info);
  }
  const source = (uri: string): ByteSource | undefined => {
    const info = files.get(uri);
    return info ? storageSource(storage, uri, info.size) : undefined;
  };
  return {
    prefix,
    index: () => Promise.resolve(source(indexFilename(prefix))),
    shard: (id, n) => Promise.resolve(source(dataFilename(prefix, id, n))),
    scanShards: async (visit, scanSignal, only) =>
      storage.scan !== undefined &&
      (await storage.scan(`${prefix}.data-`, async (file, body) => (files.has(file.uri) ? visit(file.uri, body) : undefined), {
        signal: scanSignal,
        only,
      })),
  };
}

/**
 * Verifies the bundle at `prefixUri` (see {@link verifyBundleFiles}): one listing of the prefix,
 * one or two GETs for the index, and for `deep` streamed ranged GETs of at most `windowSize` bytes
 * with at most `concurrency` in flight. Problems are reported; storage failures are thrown.
 */
export async function verifyBundle(storage: BundleStorage, prefixUri: string, options: Omit<VerifyOptions, 'index'> = {}): Promise<VerifyReport> {
  const prefix = bundlePrefixOf(prefixUri);
  return verifyBundleFiles(await listedBundleFiles(storage, prefix, options.signal), options);
}

/** Where {@link writeBundle} put the files. */
export interface WrittenBundle {
  indexUri: string;
  shardUris: string[];
  bytes: number;
}

/**
 * Writes a bundle under `prefixUri`: the data shards first, then the index, so that a reader that
 * sees the index also sees the data (as TensorFlow orders it). The bundle is built in memory.
 */
export async function writeBundle(
  storage: BundleStorage,
  prefixUri: string,
  tensors: Iterable<TensorToWrite>,
  options: Omit<BundleWriterOptions, 'openShard'> & Signal = {},
): Promise<WrittenBundle> {
  const { signal, ...writerOptions } = options;
  const built = await buildBundle(tensors, writerOptions);
  const shardUris = built.shards.map((_, i) => dataFilename(prefixUri, i, built.shards.length));
  await Promise.all(built.shards.map((data, i) => storage.writeFile(shardUris[i] as string, data, { signal })));
  const indexUri = indexFilename(prefixUri);
  await storage.writeFile(indexUri, built.index, { signal });
  return { indexUri, shardUris, bytes: built.index.length + built.shards.reduce((n, s) => n + s.length, 0) };
}

/**
 * `ckpt inspect`: the variables of the checkpoint at a V2 prefix (or its `.index`), or, when no
 * `.index` exists but a file named exactly the prefix does, of that V1 checkpoint (a HEAD and one
 * or two ranged GETs, never its tensor data).
 */
export async function inspectCheckpoint(storage: BundleStorage, uri: string, options: Signal = {}): Promise<InspectJson> {
  try {
    return inspectBundleJson(await openBundle(storage, uri, options));
  } catch (e) {
    if (!isCkptError(e, 'NOT_FOUND') || uri.endsWith('.index')) throw e;
    let size: number;
    try {
      size = (await storage.stat(uri, options)).size;
    } catch (e2) {
      // Neither exists: report the V2 index as the missing file.
      if (isCkptError(e2, 'NOT_FOUND')) throw e;
      throw e2;
    }
    // A V1 file holds its data too: read only its metadata (tail, first block).
    const v1 = storageSource(storage, uri, size);
    return inspectV1Json(await readV1Checkpoint(v1, { signal: options.signal }));
  }
}
