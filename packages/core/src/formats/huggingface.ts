/**
 * Hugging Face `Trainer` output directories (checkpoint-layouts.md §8): `checkpoint-N/` where N is
 * the global step, with `trainer_state.json` (written after the weights) and the model weights
 * (`model.safetensors`, `pytorch_model.bin`, a sharded index with its shards, PEFT adapters, FSDP,
 * or DeepSpeed `latest` + `global_stepN/`). Staging directories `tmp-checkpoint-*` are saves in
 * progress. Also Accelerate's `checkpoints/checkpoint_<i>/` (i counts saves, not steps).
 *
 * Complete: weights present (every shard of an index: by the shard names, and with content checks
 * by the index's `weight_map`), and `trainer_state.json` present, parsing, with `global_step`
 * equal to N.
 */
import type { CheckpointFormat, DetectContext, DirNode } from '../discovery/types.js';
import { deepspeedProblems } from './deepspeed.js';
import { jsonRecordsStep } from '../discovery/step.js';
import { dirFound, missingOf, parseJson, subtreeFiles, toStep } from './dir-helpers.js';

const HF_CKPT = /^checkpoint-(\d+)$/;
const HF_TMP = /^tmp-checkpoint-(.+)$/;
const ACCEL = /^checkpoint_(\d+)$/;
const SINGLE_WEIGHTS = ['model.safetensors', 'pytorch_model.bin', 'adapter_model.safetensors', 'adapter_model.bin', 'tf_model.h5', 'flax_model.msgpack'];
const INDEXES = ['model.safetensors.index.json', 'pytorch_model.bin.index.json'];
const SHARD = /^(?<stem>.+)-(?<i>\d{5})-of-(?<n>\d{5})\.(?<ext>safetensors|bin)$/;

/** Problems with the weights of a checkpoint directory (empty list: weights present and whole). */
export async function weightProblems(node: DirNode, ctx: DetectContext): Promise<string[]> {
  if (SINGLE_WEIGHTS.some((w) => node.files.has(w))) return [];
  if (node.dirs.has('pytorch_model_fsdp_0') || [...node.files.keys()].some((n) => n.startsWith('pytorch_model_fsdp'))) return [];
  const indexName = INDEXES.find((n) => node.files.has(n));
  const shards = [...node.files.values()].filter((f) => SHARD.test(f.name));
  if (indexName) {
    const problems: string[] = [];
    const reported = new Set<string>();
    const groups = new Map<string, { stem: string; ext: string; n: number; have: number[] }>();
    for (const f of shards) {
      const g = SHARD.exec(f.name)!.groups!;
      const key = `${g.stem}.${g.ext}`;
      const entry = groups.get(key) ?? { stem: g.stem!, ext: g.ext!, n: Number(g.n), have: [] };
      entry.have.push(Number(g.i) - 1);
      groups.set(key, entry);
    }
    for (const [key, g] of groups) {
      const missing = missingOf(g.have, g.n).map((i) => String(i + 1).padStart(5, '0'));
      const width = String(g.n).padStart(5, '0');
      for (const i of missing) reported.add(`${g.stem}-${i}-of-${width}.${g.ext}`);
      if (missing.length > 0) problems.push(`missing weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${width} (${key})`);
    }
    if (ctx.contentChecks) {
      const index = parseJson(await ctx.readText(node.files.get(indexName)!)) as { weight_map?: Record<string, unknown> } | undefined;
      if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) problems.push(`${indexName} does not parse or has no weight_map`);
      else {
        const named = new Set(Object.values(index.weight_map).filter((v): v is string => typeof v === 'string'));
        const absent = [...named].filter((n) => !node.files.has(n) && !reported.has(n)).sort();
        if (absent.length > 0) problems.push(`files named by ${indexName} missing: ${absent.join(', ')}`);
      }
    }
    if (shards.length === 0 && problems.length === 0) problems.push(`${indexName} present but no weight shard`);
    return problems;
  }
  const latest = node.files.get('latest');
  if (latest) {
    const tagDir = [...node.dirs.values()].find((d) => /^global_step\d+$/.test(d.name));
    if (tagDir) return deepspeedProblems(subtreeFiles(tagDir)).map((p) => `${tagDir.name}/: ${p}`);
  }
  if (shards.length > 0) return ['weight shards without their index (model.safetensors.index.json)'];
  return ['no model weights (model.safetensors, pytorch_model.bin, a sharded index, adapter, FSDP or DeepSpeed states)'];
}

export const huggingFaceFormat: CheckpointFormat = {
  id: 'hf-trainer',
  ids: ['hf-trainer', 'accelerate'],
  description: 'Hugging Face Trainer checkpoint-N/ directories (tmp-checkpoint-* staging) and Accelerate checkpoints/checkpoint_i/',

  stepFromDirName(name) {
    const m = HF_CKPT.exec(name);
    if (m) return { step: toStep(m[1]), temporary: false };
    const t = HF_TMP.exec(name);
    if (t) return { step: /^\d+$/.test(t[1]!) ? toStep(t[1]) : null, temporary: true };
    return undefined;
  },

  async claimDir(node, ctx) {
    const tmp = HF_TMP.exec(node.name);
    if (tmp) {
      return dirFound(node, 'hf-trainer', /^\d+$/.test(tmp[1]!) ? toStep(tmp[1]) : null, {
        temporary: true,
        complete: false,
        problems: [`staging directory ${node.name}/ of a Trainer save in progress or interrupted (renamed to checkpoint-N when done)`],
      });
    }
    const m = HF_CKPT.exec(node.name);
    if (m) {
      const step = toStep(m[1]);
      const problems = await weightProblems(node, ctx);
      const stateFile = node.files.get('trainer_state.json');
      if (!stateFile) problems.push('no trainer_state.json (the Trainer writes it after the weights: save interrupted?)');
      else if (ctx.contentChecks) {
        const state = parseJson(await ctx.readText(stateFile)) as { global_step?: unknown } | undefined;
        if (!state) problems.push('trainer_state.json does not parse');
        else if (!jsonRecordsStep(state.global_step, step)) problems.push(`trainer_state.json says global_step ${String(state.global_step)}, the directory ${step}`);
      }
      return dirFound(node, 'hf-trainer', step, { problems });
    }
    const a = ACCEL.exec(node.name);
    const accelerateFiles = [...node.files.keys()].some((n) => /^(optimizer(_\d+)?\.bin|random_states_\d+\.pkl|scheduler(_\d+)?\.bin|sampler(_\d+)?\.bin)$/.test(n));
    if (a && node.parent?.name === 'checkpoints' && accelerateFiles) {
      const problems = await weightProblems(node, ctx);
      return dirFound(node, 'accelerate', toStep(a[1]), { problems, extra: { iteration: toStep(a[1]) } });
    }
    return undefined;
  },
};
