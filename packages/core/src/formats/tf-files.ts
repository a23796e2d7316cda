/**
 * What every TensorFlow layout shares: the file names of a V2 bundle (`PREFIX.index`,
 * `PREFIX.data-%05d-of-%05d`, `PREFIX.meta`), TensorFlow's temporary names, the step in a prefix,
 * and the completeness rule (the `.index` and every data shard named by `-of-N`).
 */
import { parseCheckpointState, type CheckpointState } from '../state/checkpoint-state.js';
import { basenamePosix } from '../state/posix-path.js';
import { type Step, parseStep } from '../discovery/step.js';
import type { DetectContext, DirNode, FileEntry, Found, Pointer } from '../discovery/types.js';

/** `PREFIX.data-SHARD-of-TOTAL` (`%05d` is a minimum width). */
export const TF_DATA = /^(?<prefix>.+)\.data-(?<shard>\d{5,})-of-(?<total>\d{5,})$/;
/** A temporary file of a save in progress: `X.tempstate<random decimal>` (bundle writer, V1 writer). */
export const TF_TEMPSTATE = /^(?<name>.+)\.tempstate\d+$/;
/** TensorFlow's S3 shard prefix `PREFIX.part-%05d-of-%05d` (no temp directory on S3). */
export const TF_S3_PART = /^(?<base>.+)\.part-\d{5,}-of-\d{5,}$/;
/** A shard counter at the end of a prefix (`-00000-of-00002`, T5X `train_ds-000-of-001`): never a step. */
export const SHARD_SUFFIX = /-\d{3,}-of-\d{3,}$/;
/** A sharded save's temporary directory `PREFIX_temp` or `PREFIX_temp_<32 hex>`. */
export const TF_TEMP_DIR = /^(?<prefix>.+)_temp(?:_[0-9a-f]{32})?$/;
/** A V1 sharded data file `PREFIX-%05d-of-%05d` (the file itself, no suffix). */
export const TF_V1_SHARD = /^(?<prefix>.+)-(?<shard>\d{5,})-of-(?<total>\d{5,})$/;

/** The files of one prefix in a directory. */
export interface TfGroup {
  /** The prefix's basename, e.g. `model.ckpt-1000`. */
  name: string;
  index?: FileEntry | undefined;
  meta?: FileEntry | undefined;
  data: Array<{ file: FileEntry; shard: number; total: number }>;
  /** `.tempstate` files of an unfinished write of this prefix. */
  tempstate: FileEntry[];
}

// Frozen: a push to them (instead of to a group's own array) throws rather than adds to every group.
const NO_DATA: TfGroup['data'] = Object.freeze([]) as unknown as TfGroup['data'];
const NO_FILES: FileEntry[] = Object.freeze([]) as unknown as FileEntry[];

/**
 * Groups the V2 bundle files among `names` by prefix. A `.meta` alone is grouped too (what is left
 * of a TF1 checkpoint whose bundle is gone); S3 `.part-` shard prefixes are grouped like any other
 * prefix, for the caller to recognise.
 */
export function groupTfFiles(node: DirNode, names: Iterable<string>): Map<string, TfGroup> {
  const groups = new Map<string, TfGroup>();
  const group = (name: string) => {
    let g = groups.get(name);
    if (!g) {
      // Most groups have no temporary file and many no shard: the shared empty arrays until one is added.
      g = { name, data: NO_DATA, tempstate: NO_FILES };
      groups.set(name, g);
    }
    return g;
  };
  for (const name of names) {
    const file = node.files.get(name);
    if (!file) continue;
    const temp = TF_TEMPSTATE.exec(name);
    const base = temp ? temp.groups!.name! : name;
    let prefix: string | undefined;
    if (base.endsWith('.index')) prefix = base.slice(0, -'.index'.length);
    else if (TF_DATA.test(base)) prefix = TF_DATA.exec(base)!.groups!.prefix!;
    else if (base.endsWith('.meta') && !temp) prefix = base.slice(0, -'.meta'.length);
    if (prefix === undefined || prefix === '') continue;
    const g = group(prefix);
    if (temp) {
      if (g.tempstate === NO_FILES) g.tempstate = [];
      g.tempstate.push(file);
    } else if (name.endsWith('.index')) g.index = file;
    else if (name.endsWith('.meta')) g.meta = file;
    else {
      const m = TF_DATA.exec(name)!.groups!;
      if (g.data === NO_DATA) g.data = [];
      g.data.push({ file, shard: Number(m.shard), total: Number(m.total) });
    }
  }
  return groups;
}

/** Every file of a group (index, data in shard order, meta, temporaries). */
export function groupFiles(g: TfGroup): FileEntry[] {
  const out: FileEntry[] = [];
  if (g.index) out.push(g.index);
  // Loops, not spreads: a group of 200,000 shards spread into one call overflows the stack.
  for (const d of [...g.data].sort((a, b) => a.shard - b.shard)) out.push(d.file);
  if (g.meta) out.push(g.meta);
  for (const f of g.tempstate) out.push(f);
  return out;
}

/** True when a group is a V2 bundle (has an index or data shards), not only a `.meta`. */
export function isBundle(g: TfGroup): boolean {
  return g.index !== undefined || g.data.length > 0 || g.tempstate.length > 0;
}

function shardList(ids: number[], width: number): string {
  return ids.map((i) => String(i).padStart(width, '0')).join(', ');
}

/**
 * The completeness rule of a V2 checkpoint: `PREFIX.index` exists, and so does every
 * `PREFIX.data-i-of-N` for i in [0, N), all shards agreeing on N. `.meta` is optional.
 */
export function bundleCompleteness(g: TfGroup): { complete: boolean; problems: string[]; numShards: number | undefined } {
  const problems: string[] = [];
  const totals = [...new Set(g.data.map((d) => d.total))];
  if (!g.index) {
    problems.push(
      g.data.length > 0
        ? 'no .index: the save was interrupted before its index was written (or the index was deleted)'
        : g.tempstate.length > 0
          ? 'only .tempstate files: a save is in progress or was interrupted'
          : 'no .index and no data shards',
    );
  }
  if (g.index && g.data.length === 0) problems.push('.index present but no data shard (.data-00000-of-N) at all');
  if (totals.length > 1) problems.push(`data shards disagree on their count: -of-${totals.join(', -of-')}`);
  const numShards = totals.length === 1 ? totals[0] : undefined;
  if (numShards !== undefined) {
    const have = new Set(g.data.map((d) => d.shard));
    const missing: number[] = [];
    for (let i = 0; i < numShards && missing.length < 1000; i++) if (!have.has(i)) missing.push(i);
    if (missing.length > 0) problems.push(`missing data shard${missing.length > 1 ? 's' : ''} ${shardList(missing, 5)} of ${String(numShards).padStart(5, '0')}`);
    const beyond = g.data.filter((d) => d.shard >= numShards).map((d) => d.shard);
    if (beyond.length > 0) problems.push(`data shard id beyond the count: ${shardList(beyond, 5)} of ${numShards}`);
  }
  if (g.tempstate.length > 0 && g.index) problems.push(`${g.tempstate.length} .tempstate file(s): a write of this prefix is in progress or was interrupted`);
  const complete = g.index !== undefined && g.data.length > 0 && totals.length === 1 && problems.length === 0;
  return { complete, problems, numShards };
}

/**
 * The step in a TensorFlow prefix: the number after its last `-` (`model.ckpt-1000`, `ckpt-5`),
 * or, for Keras templates, before `.ckpt` (`cp-0005.ckpt`). Null for shard counters
 * (`-00000-of-00002`), for prefixes without a number (`model.ckpt`, `variables`) and for numbers
 * that are part of a name (`mobilenet_v1_1.0_224.ckpt`). Exact at any size.
 */
export function stepFromTfPrefix(prefix: string): Step | null {
  const name = basenamePosix(prefix);
  if (SHARD_SUFFIX.test(name)) return null;
  const m = /^.+-(\d+)$/.exec(name) ?? /^.*-(\d+)\.ckpt$/.exec(name);
  return m ? parseStep(m[1]) : null;
}

/** A parsed state file as the layouts use it: undefined when it records no path at all. */
export function layoutState(state: CheckpointState): CheckpointState | undefined {
  return state.modelCheckpointPath === '' && state.allModelCheckpointPaths.length === 0 ? undefined : state;
}

/**
 * The state file of a directory (`ctx.stateFileName`), when one is listed there and reads as a
 * valid state: decoded and parsed exactly as robust `latest` reads it (UTF-8 only, a byte-order
 * mark is not whitespace), read once per context.
 */
export function tfStateOf(node: DirNode, ctx: DetectContext): Promise<CheckpointState | undefined> {
  const file = ctx.stateFileName === undefined ? undefined : node.files.get(ctx.stateFileName);
  // Reading it is a metadata read: off, discovery sticks to listings.
  if (!file || !ctx.metadata) return Promise.resolve(undefined);
  let p = ctx.states.get(file.uri);
  if (!p) {
    p = (async () => {
      const bytes = await ctx.readBytes(file, 0, file.size);
      if (!bytes) return undefined;
      try {
        return layoutState(parseCheckpointState(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)));
      } catch {
        return undefined;
      }
    })();
    ctx.states.set(file.uri, p);
  }
  return p;
}

/** The basenames a state file records (model path first); recorded paths may be absolute or foreign. */
export function stateBasenames(state: CheckpointState): { latest: string | undefined; all: Set<string> } {
  const latest = state.modelCheckpointPath === '' ? undefined : basenamePosix(state.modelCheckpointPath);
  const all = new Set(state.allModelCheckpointPaths.map((p) => basenamePosix(p)));
  if (latest !== undefined) all.add(latest);
  return { latest, all };
}

/** The checkpoint the directory's state file names as the latest: its pointer. */
export async function tfStatePointers(node: DirNode, ctx: DetectContext): Promise<Pointer[]> {
  const state = await tfStateOf(node, ctx);
  const latest = state && stateBasenames(state).latest;
  return latest === undefined || latest === '' || ctx.stateFileName === undefined ? [] : [{ target: latest, by: ctx.stateFileName }];
}

/**
 * Records, for a TensorFlow checkpoint in a directory with a state file, whether the state file
 * names it as the latest, lists it, or does not know it (a "hidden" checkpoint: written by
 * `Checkpoint.write`, or left behind by a crash; TensorFlow's managers never delete it). What a
 * state file naming a whole checkpoint means for newer ones is decided for the whole directory
 * (`discovery/directory.ts`).
 */
export function annotateState(found: Found, prefixName: string, state: CheckpointState | undefined): void {
  if (!state) return;
  const { latest, all } = stateBasenames(state);
  const status = latest === prefixName ? 'latest' : all.has(prefixName) ? 'listed' : 'unlisted';
  found.extra = { ...found.extra, stateFile: status };
}

/** A Found for one V2 group, with the completeness rule applied. */
export function bundleFound(node: DirNode, g: TfGroup, format: string, step: Step | null): Found {
  const { complete, problems, numShards } = bundleCompleteness(g);
  const files = groupFiles(g);
  const found: Found = {
    format,
    prefix: `${node.uri.endsWith('/') ? node.uri : `${node.uri}/`}${g.name}`,
    dir: node.uri,
    step,
    complete,
    problems,
    files,
    temporary: false,
    claimed: files.map((f) => f.name),
  };
  if (numShards !== undefined) found.extra = { numShards };
  return found;
}
