/**
 * Keras (checkpoint-layouts.md §6, tf-checkpoint-format.md §1.9): `.keras` zip archives, HDF5
 * `.h5`/`.hdf5`/`.weights.h5`, sharded weights `<base>.weights.json` + `<base>_NNNNN.weights.h5`,
 * `BackupAndRestore`'s `latest.weights.h5` + `training_metadata.json` (with `.bkp` copies), and
 * tf.keras TF-format weights (`cp-0005.ckpt.index` + `.data-*`, no `.meta`).
 *
 * Step: the epoch Keras put in the file name through the user's template (`{epoch:04d}` is
 * 1-based), found as `epoch=N`/`epoch_N` (`*_epoch_N.weights.h5`), or as the integer that ends the
 * name's words, optionally followed by metrics (`weights.09-0.53.hdf5`, `my_model_05.keras`,
 * `05-0.53.keras`, `cp-0005.ckpt`, `12.weights.h5`); `training_metadata.json` for
 * BackupAndRestore. Digits glued to a word (`resnet50_...`), the integer part of a decimal
 * (`..._1.0_224.h5`) or digits followed by more words (`mobilenet_1_0_224_tf.h5`) are not steps.
 *
 * Complete: a `.keras` file ends with its zip end-of-central-directory record; an HDF5 file is as
 * long as its superblock says; TF-format weights follow the bundle rule.
 */
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';
import { checkHdf5, checkZip, type ContentVerdict } from './content-checks.js';
import { type Step, parseStep, stepFromJson } from '../discovery/step.js';
import { fileFound, parseJson } from './dir-helpers.js';
import { annotateState, bundleFound, groupTfFiles, isBundle, tfStateOf } from './tf-files.js';

const EXT = /(\.weights\.h5|\.keras|\.h5|\.hdf5|\.ckpt)$/;
const SHARD = /^(?<base>.+)_(?<n>\d{5})\.weights\.h5$/;

/** The epoch in a Keras file name, or null (exact at any size). */
export function kerasEpoch(name: string): Step | null {
  const stem = name.replace(EXT, '');
  const m =
    /(?:^|[^a-z])epoch[=_-]?(\d+)/i.exec(stem) ??
    /^(?:[A-Za-z][A-Za-z0-9]*[._-])*(\d+)(?![.]\d)(?:[-_.](?:[-+]?\d+(?:e[-+]?\d+)?|nan|inf))*$/i.exec(stem);
  return m ? parseStep(m[1]) : null;
}

async function verdictFor(file: FileEntry, ctx: DetectContext): Promise<ContentVerdict | undefined> {
  if (file.size === 0) return { complete: false, problem: 'empty file' };
  if (!ctx.contentChecks) return undefined;
  return file.name.endsWith('.keras') ? checkZip(file, ctx) : checkHdf5(file, ctx);
}

function withVerdict(found: Found, v: ContentVerdict | undefined): Found {
  if (v) {
    found.complete = found.complete && v.complete;
    if (v.problem) found.problems.push(v.problem);
  }
  return found;
}

function epochExtra(step: Step | null): Record<string, unknown> | undefined {
  return step === null ? undefined : { epoch: step };
}

function backups(node: DirNode, names: string[]): FileEntry[] {
  return names.map((n) => node.files.get(`${n}.bkp`)).filter((f) => f !== undefined);
}

export const kerasFormat: CheckpointFormat = {
  id: 'keras',
  ids: ['keras', 'keras-backup', 'keras-tf-weights'],
  description: 'Keras: .keras, .h5/.hdf5, .weights.h5 (+ sharded .weights.json), BackupAndRestore, TF-format weights cp-N.ckpt',

  async claimFiles(node, unclaimed, ctx) {
    const out: Found[] = [];
    const taken = new Set<string>();
    // BackupAndRestore(backup_dir): latest.weights.h5 + training_metadata.json {"epoch", "batch"}.
    const latest = node.files.get('latest.weights.h5');
    const meta = node.files.get('training_metadata.json');
    if (latest && meta && unclaimed.has(latest.name)) {
      // BackupAndRestore's own record of the epoch: directory metadata, read with the listing's pass.
      const info = ctx.metadata ? parseJson(await ctx.readText(meta)) : undefined;
      const epoch = stepFromJson((info as { epoch?: unknown } | undefined)?.epoch);
      const files = [latest, meta, ...backups(node, [latest.name, meta.name])];
      const found = fileFound(node, latest, 'keras-backup', epoch, { files, extra: epochExtra(epoch) });
      if (ctx.metadata && info === undefined) found.problems.push('training_metadata.json does not parse');
      out.push(withVerdict(found, await verdictFor(latest, ctx)));
      for (const f of files) taken.add(f.name);
    }
    // Sharded weights: <base>.weights.json names <base>_00000.weights.h5, ...
    for (const name of unclaimed) {
      if (!name.endsWith('.weights.json') || taken.has(name)) continue;
      const base = name.slice(0, -'.weights.json'.length);
      const json = node.files.get(name)!;
      const shards = [...node.files.values()].filter((f) => SHARD.exec(f.name)?.groups?.base === base);
      const problems: string[] = [];
      const have = new Set(shards.map((f) => f.name));
      if (ctx.contentChecks) {
        const index = parseJson(await ctx.readText(json));
        if (index === undefined) problems.push(`${name} does not parse`);
        else {
          const named = new Set<string>();
          const walk = (v: unknown) => {
            if (typeof v === 'string' && v.endsWith('.weights.h5')) named.add(v.slice(v.lastIndexOf('/') + 1));
            else if (Array.isArray(v)) v.forEach(walk);
            else if (v && typeof v === 'object') Object.values(v).forEach(walk);
          };
          walk(index);
          const missing = [...named].filter((n) => !have.has(n)).sort();
          if (missing.length > 0) problems.push(`missing weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
        }
      }
      const numbers = shards.map((f) => Number(SHARD.exec(f.name)!.groups!.n)).sort((a, b) => a - b);
      if (numbers.length === 0) problems.push(`no ${base}_NNNNN.weights.h5 shard`);
      else if (numbers.some((n, i) => n !== i)) problems.push(`weight shards are not numbered 0..${numbers.length - 1} without gaps`);
      const step = kerasEpoch(name.replace(/\.weights\.json$/, '.weights.h5'));
      const found = fileFound(node, json, 'keras', step, { files: [json, ...shards.sort((a, b) => (a.name < b.name ? -1 : 1))], problems, extra: epochExtra(step) });
      found.prefix = json.uri;
      out.push(found);
      for (const f of found.files) taken.add(f.name);
    }
    for (const name of unclaimed) {
      if (taken.has(name) || !/\.(keras|h5|hdf5)$/.test(name)) continue;
      const file = node.files.get(name)!;
      const step = kerasEpoch(name);
      const files = [file, ...backups(node, [name])];
      out.push(withVerdict(fileFound(node, file, 'keras', step, { files, extra: epochExtra(step) }), await verdictFor(file, ctx)));
      for (const f of files) taken.add(f.name);
    }
    // tf.keras save_weights in TF format: a V2 bundle named by a template ending in an extension.
    const rest = [...unclaimed].filter((n) => !taken.has(n));
    const state = await tfStateOf(node, ctx);
    for (const g of groupTfFiles(node, rest).values()) {
      if (!isBundle(g) || g.meta || !EXT.test(g.name)) continue;
      const step = kerasEpoch(g.name);
      const found = bundleFound(node, g, 'keras-tf-weights', step);
      if (step !== null) found.extra = { ...found.extra, epoch: step };
      annotateState(found, g.name, state);
      out.push(found);
    }
    return out;
  },
};
