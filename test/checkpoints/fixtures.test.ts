/**
 * The real TensorFlow files of `../shared/fixtures/tf` (relative to the repository root; never
 * copied into the project): `latestCheckpoint` in `tf` mode must give the answers of
 * tf-checkpoint-format.md §5, and robust mode the answers its rules derive from them. Skipped
 * visibly when the fixtures are absent, except under CI=true, where their absence fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCheckpoints, latestCheckpoint } from '@ckptkit/core';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.resolve(repo, '..', 'shared', 'fixtures', 'tf');
const present = fs.existsSync(FIXTURES);

const gfile = () => createGFile({ registry: createRegistry().register('file', () => localFactory()) });
const d = (rel: string) => path.join(FIXTURES, rel);

/** §5's table: the directory and the string TensorFlow returns (null for None). */
const TF_EXPECTED: Array<[string, string | null]> = [
  ['tictactoe_checkpoint_manager/tf_ckpts', 'ckpt-19'],
  ['tfx_estimator_model_dir/Format-Serving', 'model.ckpt-1000'],
  ['tfx_estimator_2shards_2019/serving_model_dir', 'model.ckpt-10000'],
  ['keras_modelcheckpoint_2019/training_2', 'cp-00050.ckpt'],
  ['keras_cp_template_index_only/training_2', 'cp-0219.ckpt'],
  ['serving_bad_half_plus_two_v1/00000123', null],
  ['tf_testdata_state_files/half_plus_two_pbtxt', null],
  ['tf_testdata_state_files/half_plus_two_sharded/variables', null],
  ['serving_counter/00000123/variables', null],
  ['serving_half_plus_two_cpu/00000123/variables', null],
  ['serving_half_plus_two_tf2_cpu/00000123/variables', null],
  ['rust_regression_model_2017/variables', null],
];

/** Robust answers: prefix (relative to the directory), source, format, step. */
const ROBUST_EXPECTED: Array<[string, { prefix: string; source: string; format: string; step: number | null } | null]> = [
  ['tictactoe_checkpoint_manager/tf_ckpts', { prefix: 'ckpt-19', source: 'state', format: 'tf2-checkpoint', step: 19 }],
  ['tfx_estimator_model_dir/Format-Serving', { prefix: 'model.ckpt-1000', source: 'state', format: 'tf1-saver', step: 1000 }],
  ['tfx_estimator_2shards_2019/serving_model_dir', { prefix: 'model.ckpt-10000', source: 'state', format: 'tf1-saver', step: 10000 }],
  ['keras_modelcheckpoint_2019/training_2', { prefix: 'cp-00050.ckpt', source: 'state', format: 'keras-tf-weights', step: 50 }],
  // The state file names cp-0219.ckpt, whose data shard is missing (as for cp-0037..cp-0182):
  // the only complete checkpoint is cp-0000.ckpt.
  ['keras_cp_template_index_only/training_2', { prefix: 'cp-0000.ckpt', source: 'scan', format: 'keras-tf-weights', step: 0 }],
  // The absolute /tmp/... path is foreign: the same basename here is a whole V1 checkpoint.
  ['serving_bad_half_plus_two_v1/00000123', { prefix: 'export', source: 'basename', format: 'tf1-saver-v1', step: null }],
  ['tf_testdata_state_files/half_plus_two_pbtxt', null],
  ['tf_testdata_state_files/half_plus_two_sharded/variables', null],
  ['serving_counter/00000123/variables', { prefix: 'variables', source: 'scan', format: 'savedmodel-variables', step: null }],
  ['serving_half_plus_two_2016_v2/00000123', { prefix: 'export', source: 'scan', format: 'tf1-saver', step: null }],
  ['serving_session_bundle_half_plus_two_v1sharded/00000123', { prefix: 'export-?????-of-00001', source: 'scan', format: 'tf1-saver-v1', step: null }],
  ['v1_single_file_matrices_2016', { prefix: 'model.ckpt', source: 'scan', format: 'tf1-saver-v1', step: null }],
  // TF Serving base paths: the integer version directory is the step.
  ['serving_half_plus_two_cpu', { prefix: '00000123', source: 'scan', format: 'savedmodel', step: 123 }],
  ['serving_tf_text_regression', null],
  // A SavedModel directory holds no checkpoint of its own but is one: its prefix is the directory.
  ['serving_half_plus_two_tf2_cpu/00000123', { prefix: '', source: 'scan', format: 'savedmodel', step: 123 }],
];

if (!present && process.env.CI === 'true') {
  describe('TensorFlow fixtures', () => {
    it('are present (required under CI=true)', () => {
      throw new Error(`fixtures not found at ${FIXTURES}`);
    });
  });
} else if (!present) {
  describe.skip(`TensorFlow fixtures [skipped: ${FIXTURES} not found]`, () => {
    it('needs the fixtures', () => undefined);
  });
} else {
  describe('TensorFlow fixtures: tf.train.latest_checkpoint (tf-checkpoint-format.md §5)', () => {
    for (const [rel, expected] of TF_EXPECTED) {
      it(`${rel} -> ${expected ?? 'None'}`, async () => {
        const dir = d(rel);
        const r = await latestCheckpoint(dir, { gfile: gfile(), mode: 'tf' });
        // The /tmp paths recorded in two state files would resolve if they existed on this machine.
        const recordedElsewhere = expected === null && ['/tmp/bad_half_plus_two', '/tmp/saved_model'].some((p) => fs.existsSync(p));
        if (!recordedElsewhere) expect(r.prefix).toBe(expected === null ? null : `${dir}/${expected}`);
      });
    }
  });

  describe('TensorFlow fixtures: robust latest', () => {
    for (const [rel, expected] of ROBUST_EXPECTED) {
      it(`${rel} -> ${expected ? `${expected.prefix} (${expected.source})` : 'none'}`, async () => {
        const dir = d(rel);
        const r = await latestCheckpoint(dir, { gfile: gfile() });
        if (expected === null) {
          expect(r.checkpoint).toBeNull();
          expect(r.notes.length).toBeGreaterThan(0);
          return;
        }
        expect(r.checkpoint).not.toBeNull();
        const c = r.checkpoint!;
        const prefix = expected.prefix === '' ? dir : `${dir}/${expected.prefix}`;
        expect({ prefix: c.prefix, source: c.source, format: c.format, step: c.step, complete: c.complete }).toEqual({ ...expected, prefix, complete: true });
      });
    }

    it('explains why each newer checkpoint of keras_cp_template_index_only was passed over', async () => {
      const r = await latestCheckpoint(d('keras_cp_template_index_only/training_2'), { gfile: gfile() });
      expect(r.passedOver.map((p) => p.step)).toEqual([219, 182, 146, 110, 73, 37]);
      for (const p of r.passedOver) expect(p.reasons.join(' ')).toMatch(/no data shard/);
    });

    it('--verify: reads the chosen index and checks its shards (cp-00050 verifies)', async () => {
      const r = await latestCheckpoint(d('keras_modelcheckpoint_2019/training_2'), { gfile: gfile(), verify: true });
      expect(r.checkpoint?.verify?.ok).toBe(true);
      expect(r.checkpoint?.step).toBe(50);
    });
  });

  describe('TensorFlow fixtures: findCheckpoints', () => {
    it('finds every checkpoint of the fixture tree with its format, step and completeness', async () => {
      const all = await findCheckpoints(FIXTURES, { gfile: gfile() });
      const rel = (u: string) => path.relative(FIXTURES, u);
      const summary = all.map((c) => `${rel(c.prefix)} ${c.format} ${c.step} ${c.complete ? 'complete' : 'incomplete'}`);
      expect(summary).toEqual(expect.arrayContaining([
        'tictactoe_checkpoint_manager/tf_ckpts/ckpt-19 tf2-checkpoint 19 complete',
        'tictactoe_checkpoint_manager/tf_ckpts/ckpt-17 tf2-checkpoint 17 complete',
        'keras_cp_template_index_only/training_2/cp-0219.ckpt keras-tf-weights 219 incomplete',
        'keras_cp_template_index_only/training_2/cp-0000.ckpt keras-tf-weights 0 complete',
        'tfx_estimator_model_dir/Format-Serving/model.ckpt-999 tf1-saver 999 complete',
        'tfx_estimator_2shards_2019/serving_model_dir/model.ckpt-10000 tf1-saver 10000 complete',
        'serving_bad_half_plus_two_v1/00000123/export tf1-saver-v1 null complete',
        'serving_session_bundle_half_plus_two_v1sharded/00000123/export-?????-of-00001 tf1-saver-v1 null complete',
        'v1_single_file_matrices_2016/model.ckpt tf1-saver-v1 null complete',
        'rossman_keras_2shards savedmodel null complete',
        'serving_half_plus_two_cpu/00000123 savedmodel 123 complete',
        'serving_counter/00000123/variables/variables savedmodel-variables null complete',
      ]));
      const latestInState = all.find((c) => c.prefix.endsWith('tf_ckpts/ckpt-19'));
      expect(latestInState?.extra.stateFile).toBe('latest');
      // Nothing is reported twice and no step comes from a shard counter.
      expect(new Set(all.map((c) => c.prefix)).size).toBe(all.length);
    });
  });
}
