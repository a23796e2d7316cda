/**
 * Staging for sources read front to back only (a checkpoint inside a `.tar.gz`, decision 0016):
 * one pass of the archive writes the files of the checkpoint to temporary names at the
 * destination, in archive order; the copy then resolves the checkpoint (its listing came with the
 * same pass) and commits the staged files under their names in its own order, index last. So the
 * archive is read once, and nothing but the destination holds its bytes.
 */
import type { GFile } from '@ckptkit/gfile';
import { LEFTOVER_MAX_AGE_MS, type RemovedLeftover } from './leftovers.js';
import { ownerRuns, ownerTag } from './process-owner.js';

const STAGING = '.ckpt-staging-';
/** `.ckpt-staging-HOST-PID-RANDOM` (the writer: {@link ownerTag}), or `.ckpt-staging-RANDOM` as written before owners were recorded. */
const STAGING_NAME = /^\.ckpt-staging-(?:([0-9a-f]{8})-([1-9][0-9]{0,9})-)?[0-9a-f]{12}$/;

/** Files of a source staged at the destination, by their member key. */
export interface Staged {
  /** The staging directory (removed by {@link Staged.discard}). */
  dir: string;
  /** The staged copy of a source file, by the source's key in its store. */
  byKey: Map<string, { uri: string; size: number }>;
  /** Removes what was not committed (renamed away) and the staging directory. */
  discard(): Promise<void>;
}

/**
 * The part of a source URI that every file of its checkpoint starts with: a `.index` or a data
 * shard names its prefix (`…/ckpt-5.index` → `…/ckpt-5`); anything else is taken as it is.
 */
export function scanScope(srcUri: string): string {
  return srcUri.replace(/\.(index|data-\d{5}-of-\d{5})$/, '');
}

/**
 * When `srcUri` lies in a store read front to back only, streams every file under its scope
 * ({@link scanScope}) into `dstDir/.ckpt-staging-…/` (numbered names, so that no reader of the
 * destination takes them for a checkpoint) in one pass, and returns them. Undefined, having read
 * and written nothing, for every other store. On failure the staged files are removed.
 */
export async function stageSequentialSource(
  gfile: GFile,
  srcUri: string,
  dstDir: string,
  signal: AbortSignal | undefined,
  hooks: {
    /** Bytes staged so far, and those of the files seen so far (the file being staged included). */
    onProgress?: ((staged: number, seen: number) => void) | undefined;
    /** Called when a write to the destination fails, before the error is thrown (to name a destination that is a file). */
    onWriteError?: ((error: unknown) => Promise<void>) | undefined;
  } = {},
): Promise<Staged | undefined> {
  const { onProgress, onWriteError } = hooks;
  if (!(await gfile.locate(srcUri, 'cp')).adapter.scan) return undefined;
  const id = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  const dir = `${dstDir.replace(/\/+$/, '')}/${STAGING}${ownerTag()}-${id}`;
  const byKey = new Map<string, { uri: string; size: number }>();
  let n = 0;
  let wrote = false;
  let staged = 0;
  let seen = 0;
  const discard = async () => {
    if (wrote) await gfile.removeTree(dir).catch(() => undefined);
  };
  try {
    const scanned = await gfile.scan(
      scanScope(srcUri),
      async (file, body) => {
        const { key } = await gfile.locate(file.uri, 'cp');
        // A name the archive holds twice: the later member replaces the earlier, as in listings.
        const uri = byKey.get(key)?.uri ?? `${dir}/${n++}`;
        wrote = true;
        seen += file.size;
        onProgress?.(staged, seen);
        try {
          await gfile.writeFile(uri, counted(body, (bytes) => onProgress?.((staged += bytes), seen)), { size: file.size, signal });
        } catch (error) {
          if (!signal?.aborted) await onWriteError?.(error);
          throw error;
        }
        byKey.set(key, { uri, size: file.size });
      },
      { signal },
    );
    if (!scanned) return undefined;
  } catch (error) {
    await discard();
    throw error;
  }
  return { dir, byKey, discard };
}

async function* counted(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Removes the staging directories of earlier copies into `dstDir` that were killed before they
 * could remove them: at once those whose name records a writer of this machine that no longer
 * runs; else those whose newest file is older than `maxAgeMs` (default a day: the writer is on
 * another machine, or its name records none), unless the writer is known to run. `own` is kept.
 * One listing of `dstDir/.ckpt-staging-`, and one removal per directory removed.
 */
export async function removeStaleStaging(gfile: GFile, dstDir: string, own: string, options: { maxAgeMs?: number | undefined; signal?: AbortSignal | undefined }): Promise<RemovedLeftover[]> {
  const base = `${dstDir.replace(/\/+$/, '')}/`;
  const maxAgeMs = options.maxAgeMs ?? LEFTOVER_MAX_AGE_MS;
  const newest = new Map<string, number>();
  for await (const f of gfile.listPrefix(`${base}${STAGING}`, { signal: options.signal })) {
    const slash = f.uri.indexOf('/', base.length);
    const top = slash < 0 ? f.uri : f.uri.slice(0, slash);
    if (top === own) continue;
    newest.set(top, Math.max(newest.get(top) ?? 0, f.mtime?.getTime() ?? 0));
  }
  const removed: RemovedLeftover[] = [];
  const now = Date.now();
  for (const [uri, mtime] of newest) {
    const why = stagingLeftover(uri.slice(base.length), now - mtime, maxAgeMs);
    if (!why) continue;
    await gfile.removeTree(uri, { signal: options.signal });
    removed.push({ uri, id: uri, why });
  }
  return removed;
}

/** Why a staging directory of this age is a leftover, or undefined while its writer may still be at work. */
function stagingLeftover(name: string, ageMs: number, maxAgeMs: number): RemovedLeftover['why'] | undefined {
  const owner = STAGING_NAME.exec(name);
  const runs = owner?.[1] === undefined ? undefined : ownerRuns(owner[1], Number(owner[2]));
  if (runs === false) return 'owner-dead';
  if (runs === true) return undefined;
  return ageMs > maxAgeMs ? 'older-than-max-age' : undefined;
}
