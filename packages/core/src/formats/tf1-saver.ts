/**
 * TensorFlow 1 `tf.compat.v1.train.Saver` (checkpoint-layouts.md §1): V2 bundles
 * `model.ckpt-STEP.{index,data-i-of-N}` with a `.meta` graph, and the legacy V1 format, where the
 * prefix is the data file itself (`model.ckpt-STEP`) or a set of shards `PREFIX-i-of-N` named by
 * the pattern `PREFIX-?????-of-N`. Step: the number after the prefix's last `-`.
 *
 * Claims: V2 bundles that have a `.meta` or Saver's default name `model.ckpt[-N]`; a `.meta` left
 * without its bundle; V1 files, recognised by a `.meta` beside them or by the directory's state
 * file naming them (a bare file name is never guessed to be a checkpoint).
 */
import type { CheckpointFormat, FileEntry, Found } from '../discovery/types.js';
import { checkTableFooter } from './content-checks.js';
import { fileFound, missingOf } from './dir-helpers.js';
import { TF_S3_PART, TF_V1_SHARD, annotateState, bundleFound, groupTfFiles, isBundle, stateBasenames, stepFromTfPrefix, tfStateOf } from './tf-files.js';

const SAVER_NAME = /^model\.ckpt(?:-\d+)?$/;

export const tf1SaverFormat: CheckpointFormat = {
  id: 'tf1-saver',
  ids: ['tf1-saver', 'tf1-saver-v1'],
  description: 'TensorFlow 1 Saver: model.ckpt-N.{index,data-*,meta} (V2) and V1 single-file or sharded checkpoints',

  async claimFiles(node, unclaimed, ctx) {
    const state = await tfStateOf(node, ctx);
    const recorded = state ? stateBasenames(state).all : new Set<string>();
    const out: Found[] = [];
    const groups = groupTfFiles(node, unclaimed);
    for (const g of groups.values()) {
      if (TF_S3_PART.test(g.name)) continue;
      if (isBundle(g) && (g.meta !== undefined || SAVER_NAME.test(g.name))) {
        const found = bundleFound(node, g, 'tf1-saver', stepFromTfPrefix(g.name));
        annotateState(found, g.name, state);
        out.push(found);
      }
    }
    // V1 single files: a file named exactly like a prefix whose `.meta` is beside it, or recorded.
    for (const name of unclaimed) {
      const file = node.files.get(name)!;
      const g = groups.get(name);
      if (g && isBundle(g)) continue;
      if (!node.files.has(`${name}.meta`) && !recorded.has(name)) continue;
      if (/\.(index|meta)$/.test(name) || name === 'checkpoint') continue;
      const verdict = ctx.contentChecks ? await checkTableFooter(file, ctx) : file.size > 0 ? { complete: true } : { complete: false, problem: 'empty file' };
      const meta = node.files.get(`${name}.meta`);
      const found = fileFound(node, file, 'tf1-saver-v1', stepFromTfPrefix(name), {
        files: meta ? [file, meta] : [file],
        complete: verdict?.complete ?? true,
        problems: verdict?.problem ? [verdict.problem] : [],
      });
      annotateState(found, name, state);
      out.push(found);
    }
    // V1 sharded: PREFIX-i-of-N files, with PREFIX.meta beside them or the pattern recorded.
    const sharded = new Map<string, { files: Array<{ file: FileEntry; shard: number }>; total: number; prefix: string }>();
    for (const name of unclaimed) {
      const m = TF_V1_SHARD.exec(name);
      if (!m) continue;
      const prefix = m.groups!.prefix!;
      const total = Number(m.groups!.total);
      const width = m.groups!.shard!.length;
      const pattern = `${prefix}-${'?'.repeat(width)}-of-${m.groups!.total}`;
      if (!node.files.has(`${prefix}.meta`) && !recorded.has(pattern)) continue;
      const key = `${prefix}\0${total}`;
      let s = sharded.get(key);
      if (!s) {
        s = { files: [], total, prefix: pattern };
        sharded.set(key, s);
      }
      s.files.push({ file: node.files.get(name)!, shard: Number(m.groups!.shard) });
    }
    for (const s of sharded.values()) {
      const missing = missingOf(s.files.map((f) => f.shard), s.total);
      const base = s.prefix.replace(/-\?+-of-\d+$/, '');
      const meta = node.files.get(`${base}.meta`);
      const files = s.files.sort((a, b) => a.shard - b.shard).map((f) => f.file);
      const problems = missing.length > 0 ? [`missing V1 shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${s.total}`] : [];
      if (files.some((f) => f.size === 0)) problems.push('empty shard file');
      const found: Found = {
        format: 'tf1-saver-v1',
        prefix: `${node.uri.endsWith('/') ? node.uri : `${node.uri}/`}${s.prefix}`,
        dir: node.uri,
        step: stepFromTfPrefix(base),
        complete: problems.length === 0,
        problems,
        files: meta ? [...files, meta] : files,
        temporary: false,
        claimed: [...files, ...(meta ? [meta] : [])].map((f) => f.name),
      };
      annotateState(found, s.prefix, state);
      out.push(found);
    }
    // A `.meta` whose checkpoint is gone (no bundle, no V1 file): reported so it is not a mystery.
    const claimedNow = new Set(out.flatMap((f) => f.claimed ?? []));
    for (const g of groups.values()) {
      if (isBundle(g) || !g.meta || claimedNow.has(g.meta.name) || TF_S3_PART.test(g.name)) continue;
      const found = fileFound(node, g.meta, 'tf1-saver', stepFromTfPrefix(g.name), {
        complete: false,
        problems: ['only the .meta graph is left: no .index, no data (deleted, or never written)'],
      });
      found.prefix = `${node.uri.endsWith('/') ? node.uri : `${node.uri}/`}${g.name}`;
      annotateState(found, g.name, state);
      out.push(found);
    }
    return out;
  },
};
