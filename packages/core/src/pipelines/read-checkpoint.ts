/**
 * `inspect` and `verify` of any URI that names a checkpoint: a prefix, its `.index`, a V1 file or
 * pattern, a data shard, a SavedModel or another checkpoint directory, a checkpoint file. The URI is
 * resolved by {@link resolveCheckpoint} (the resolver `cp` uses), then the tensors are read where
 * the layout keeps them; layouts without TensorFlow tensors are verified from their files.
 */
import { CkptError, isCkptError, type GFile } from '@ckptkit/gfile';
import { inspectBundleJson, inspectV1Json, type InspectJson } from '../bundle/inspect-json.js';
import { bundlePrefixOf, dataFilename, indexFilename } from '../bundle/naming.js';
import { corruptReason, errorDetail } from '../bundle/errors.js';
import { bytesSource } from '../bundle/byte-source.js';
import { inspectCheckpoint, openBundle, storageSource } from '../bundle/storage.js';
import { parseV1Checkpoint, readV1Checkpoint, type V1Checkpoint } from '../bundle/v1-reader.js';
import { verifyBundleFiles, type BundleFiles, type VerifyOptions, type VerifyProblem, type VerifyReport } from '../bundle/verify.js';
import { lastSegment, normaliseDirUri } from '../discovery/tree.js';
import type { FileEntry } from '../discovery/types.js';
import { TF_DATA, TF_TEMPSTATE, TF_V1_SHARD } from '../formats/tf-files.js';
import { hasTfGlobChar } from '../latest/tf-glob.js';
import { resolveCheckpoint, type CheckpointFiles } from './checkpoint-files.js';
import { checkDuringPass, type PassChecks } from './verify-pass.js';

interface Signal {
  signal?: AbortSignal | undefined;
}

/** What {@link inspectAny} read. */
export interface InspectedCheckpoint {
  doc: InspectJson;
  /** How the URI was understood, when it named a part of a checkpoint or a directory. */
  notes: string[];
}

/** True when `uri` plainly names a V2 prefix or its `.index` (nothing to resolve first). */
function plainPrefix(uri: string): boolean {
  const name = lastSegment(bundlePrefixOf(normaliseDirUri(uri)));
  if (name === '' || name === '.' || name === '..' || hasTfGlobChar(name)) return false;
  return !TF_DATA.test(name) && !TF_TEMPSTATE.test(name) && !TF_V1_SHARD.test(name) && !name.endsWith('.meta');
}

/** The metadata of V1 table files, merged (a sharded V1 checkpoint lists each tensor in the shard holding it). */
async function readV1Files(gfile: GFile, files: FileEntry[], signal: AbortSignal | undefined): Promise<V1Checkpoint> {
  const parts = await Promise.all(files.map((f) => readV1Checkpoint(storageSource(gfile, f.uri, f.size), { signal })));
  const byName = new Map<string, V1Checkpoint['tensors'][number]>();
  for (const part of parts) {
    for (const t of part.tensors) {
      const seen = byName.get(t.name);
      if (seen) seen.slices.push(...t.slices);
      else byName.set(t.name, { ...t, slices: [...t.slices] });
    }
  }
  return { uri: files[0]?.uri, versions: parts[0]!.versions, tensors: [...byName.values()], fileSize: parts.reduce((n, p) => n + p.fileSize, 0) };
}

/** Why a resolved checkpoint has no tensors to read, as a sentence about the URI. */
function notTensorflow(uri: string, resolved: CheckpointFiles): string {
  const f = resolved.found;
  const what = `${uri} is ${/^[aeiou]/.test(f.format) ? 'an' : 'a'} ${f.format} checkpoint (${resolved.kind}${f.step === null ? '' : `, step ${f.step}`})`;
  return `${what}; this command reads TensorFlow checkpoints (V2 bundles, V1 files, SavedModel variables)`;
}

/**
 * The variables of the checkpoint `uri` names (`ckpt inspect`). A plain prefix or `.index` costs
 * one GET, as {@link inspectCheckpoint}; anything else is resolved first: a data shard or `.meta`
 * to its checkpoint, a V1 pattern to its shards (their metadata merged), a SavedModel directory to
 * its variables (each with a note).
 *
 * @throws CkptError NOT_FOUND when nothing is there; CORRUPT for an unreadable index or table;
 *   NOT_SUPPORTED for a checkpoint of another framework (the message says what it is);
 *   INVALID_PATH for a directory holding several checkpoints (the message names the latest).
 */
export async function inspectAny(gfile: GFile, uri: string, options: Signal = {}): Promise<InspectedCheckpoint> {
  if (plainPrefix(uri)) {
    try {
      return { doc: await inspectCheckpoint(gfile, uri, options), notes: [] };
    } catch (error) {
      // A directory given as the prefix reads as a 0-byte "V1 file": resolve it instead.
      if (!isCkptError(error, 'NOT_FOUND') && !(isCkptError(error, 'CORRUPT', 'INVALID_PATH') && (await isDirectory(gfile, uri, options.signal)))) throw error;
    }
  }
  const resolved = await resolveCheckpoint(uri, { gfile, signal: options.signal, operation: 'inspect' });
  const notes = [...resolved.notes];
  const t = resolved.tensors;
  if (!t) throw new CkptError('NOT_SUPPORTED', { operation: 'inspect', uri, message: notTensorflow(uri, resolved) });
  if (t.kind === 'bundle') {
    if (resolved.kind === 'directory') notes.push(`${uri} is a ${resolved.found.format} checkpoint; its variables are the bundle ${t.prefix}`);
    return { doc: inspectBundleJson(await openBundle(gfile, t.prefix, options)), notes };
  }
  return { doc: inspectV1Json(await readV1Files(gfile, t.files, options.signal)), notes };
}

async function isDirectory(gfile: GFile, uri: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    return (await gfile.stat(uri, { signal })).kind === 'directory';
  } catch {
    return false;
  }
}

/** What {@link verifyAny} checked. */
export interface VerifiedCheckpoint {
  report: VerifyReport;
  /** `tensors`: the index and data were checked; `files`: a layout without tensor checks, judged by which files are there. */
  scope: 'tensors' | 'files';
  /** The checkpoint the URI resolved to. */
  resolved: CheckpointFiles;
  notes: string[];
}

/**
 * The bundle files of a resolved checkpoint, from the listing that resolved it (no second
 * listing); with `pass`, the index bytes and shard checks of the pass that made that listing.
 */
async function listedBundle(gfile: GFile, prefix: string, files: FileEntry[], pass: PassChecks | undefined): Promise<BundleFiles> {
  const byUri = new Map(files.map((f) => [f.uri, f]));
  const keyOf = new Map<string, string>();
  if (pass) for (const f of files) keyOf.set(f.uri, (await gfile.locate(f.uri, 'verify')).key);
  const source = (uri: string) => {
    const f = byUri.get(uri);
    return Promise.resolve(f ? storageSource(gfile, uri, f.size) : undefined);
  };
  const indexUri = indexFilename(prefix);
  const passIndex = byUri.has(indexUri) ? pass?.index(keyOf.get(indexUri)!) : undefined;
  return {
    prefix,
    // The bytes the shards were checked against (kept by the pass, so never read again).
    index: () => (passIndex ? Promise.resolve(bytesSource(passIndex, indexUri)) : source(indexUri)),
    shard: (id, n) => source(dataFilename(prefix, id, n)),
    scanShards: (visit, signal, only) => scanShards(gfile, prefix, files, visit, signal, only),
    ...(passIndex && { checkedShard: (uri: string) => (byUri.has(uri) ? pass!.shard(keyOf.get(uri)!) : undefined) }),
  };
}

/**
 * The data shards of `prefix` in one pass where the store is read front to back (`GFile.scan`),
 * each handed to `visit` under the URI the listing spelled it with (matched by key); `only`: the
 * URIs wanted (the pass stops after the last of them).
 */
async function scanShards(
  gfile: GFile,
  prefix: string,
  files: FileEntry[],
  visit: (uri: string, body: AsyncIterable<Uint8Array>) => Promise<void>,
  signal: AbortSignal | undefined,
  only: ReadonlySet<string> | undefined,
): Promise<boolean> {
  const located = await gfile.locate(prefix, 'verify');
  if (!located.adapter.scan) return false;
  const byKey = new Map<string, string>();
  for (const f of files) byKey.set((await gfile.locate(f.uri, 'verify')).key, f.uri);
  return gfile.scan(
    `${prefix}.data-`,
    async (file, body) => {
      const uri = byKey.get((await gfile.locate(file.uri, 'verify')).key);
      if (uri !== undefined) await visit(uri, body);
    },
    { signal, only },
  );
}

/**
 * The data checked by the listing pass of a store read front to back ({@link checkDuringPass}).
 * A pass that fails for any reason but an abort is left to the resolution that follows, which
 * reads the listing again and fails (or reports) exactly as without this pass.
 */
async function passChecks(gfile: GFile, uri: string, options: Omit<VerifyOptions, 'index'>): Promise<PassChecks | undefined> {
  try {
    return await checkDuringPass(gfile, uri, options);
  } catch (error) {
    if (isCkptError(error, 'ABORTED') || options.signal?.aborted) throw error;
    return undefined;
  }
}

/** Checks V1 table files: the metadata (deep: every block's checksum and every record), and that every shard of a pattern is there. */
async function verifyV1(gfile: GFile, resolved: CheckpointFiles, files: FileEntry[], options: Omit<VerifyOptions, 'index'>): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  let tensorsChecked = 0;
  let bytesChecked = 0;
  for (const p of resolved.found.problems) problems.push({ code: 'MISSING_SHARD', detail: p, uri: resolved.found.prefix });
  for (const f of files) {
    try {
      if (options.deep) {
        const parsed = parseV1Checkpoint(await gfile.readFile(f.uri, { signal: options.signal }), f.uri);
        tensorsChecked += parsed.records.length;
        bytesChecked += f.size;
      } else {
        tensorsChecked += (await readV1Checkpoint(storageSource(gfile, f.uri, f.size), { signal: options.signal })).tensors.length;
      }
    } catch (error) {
      const reason = corruptReason(error);
      if (reason === undefined) throw error;
      problems.push({ code: 'CORRUPT_INDEX', detail: errorDetail(error), uri: f.uri, reason });
    }
  }
  return { ok: problems.length === 0, problems, tensorsChecked, bytesChecked };
}

/**
 * Verifies the checkpoint `uri` names (`ckpt verify`), resolved as {@link inspectAny} does. A V2
 * prefix costs what {@link verifyBundle} costs (one listing, the index, and the data for `deep`):
 * the listing that resolves it is the one that finds its shards. V1 files are checked as tables
 * (`deep`: every block checksum); other layouts are judged by discovery's completeness rules.
 *
 * @throws CkptError NOT_FOUND when nothing is there; INVALID_PATH for a directory holding several
 *   checkpoints; storage failures.
 */
export async function verifyAny(gfile: GFile, uri: string, options: Omit<VerifyOptions, 'index'> = {}): Promise<VerifiedCheckpoint> {
  const pass = options.deep ? await passChecks(gfile, uri, options) : undefined;
  const resolved = await resolveCheckpoint(uri, { gfile, signal: options.signal, operation: 'verify' });
  const notes = [...resolved.notes];
  const t = resolved.tensors;
  if (t?.kind === 'bundle') {
    if (resolved.kind === 'directory') notes.push(`${uri} is a ${resolved.found.format} checkpoint; verifying its variables ${t.prefix}`);
    const report = await verifyBundleFiles(await listedBundle(gfile, t.prefix, resolved.found.files, pass), options);
    return { report, scope: 'tensors', resolved, notes };
  }
  if (t?.kind === 'v1') return { report: await verifyV1(gfile, resolved, t.files, options), scope: 'tensors', resolved, notes };
  const f = resolved.found;
  const problems: VerifyProblem[] = f.problems.map((p) => ({ code: 'INCOMPLETE', detail: p, uri: f.prefix }));
  if (f.temporary && problems.length === 0) problems.push({ code: 'INCOMPLETE', detail: 'a temporary artefact of a save in progress', uri: f.prefix });
  if (!f.complete && problems.length === 0) problems.push({ code: 'INCOMPLETE', detail: 'incomplete', uri: f.prefix });
  notes.push(`${uri} is ${/^[aeiou]/.test(f.format) ? 'an' : 'a'} ${f.format} checkpoint: checked that its files are all there (tensor checks exist for TensorFlow checkpoints only)`);
  return { report: { ok: problems.length === 0, problems, tensorsChecked: 0, bytesChecked: 0 }, scope: 'files', resolved, notes };
}
