/**
 * Where each layout reads a step from a name (decision 0012's table): numbers the layout puts in a
 * name are steps, exact at any size; numbers that are part of a name are not.
 */
import { describe, expect, it } from 'vitest';
import { compareSteps, parseStep } from '../discovery/step.js';
import { CHECKPOINT_FORMATS } from './index.js';
import { kerasEpoch } from './keras.js';
import { lightningNameFacts } from './lightning.js';
import { stepFromTfPrefix } from './tf-files.js';

/** The step the first layout that knows a directory name promises. */
function dirStep(name: string) {
  for (const f of CHECKPOINT_FORMATS) {
    const s = f.stepFromDirName?.(name);
    if (s) return s;
  }
  return undefined;
}

describe('steps from names', () => {
  it('parseStep: leading zeros dropped, numbers up to 2^53 - 1, exact digit strings beyond', () => {
    expect(parseStep('0002000')).toBe(2000);
    expect(parseStep('9007199254740991')).toBe(9007199254740991);
    expect(parseStep('9007199254740992')).toBe('9007199254740992');
    expect(parseStep('000018446744073709551616')).toBe('18446744073709551616');
    expect(parseStep('12a')).toBeNull();
    expect(compareSteps('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareSteps(100, '100000000000000000000')).toBe(-1);
    expect(compareSteps(1.5, 1)).toBe(1);
  });

  it('TensorFlow prefixes: the number after the last dash, or before .ckpt; shard counters and names are not steps', () => {
    expect(stepFromTfPrefix('model.ckpt-00001000')).toBe(1000);
    expect(stepFromTfPrefix('ckpt-99999999999999999999')).toBe('99999999999999999999');
    expect(stepFromTfPrefix('cp-0050.ckpt')).toBe(50);
    expect(stepFromTfPrefix('model.ckpt-8-00000-of-00002')).toBeNull();
    expect(stepFromTfPrefix('mobilenet_v1_1.0_224.ckpt')).toBeNull();
  });

  it('Keras: the epoch the template put in the name', () => {
    expect(kerasEpoch('weights.09-0.53.hdf5')).toBe(9);
    expect(kerasEpoch('model_epoch_12.weights.h5')).toBe(12);
    expect(kerasEpoch('epoch=3.keras')).toBe(3);
    expect(kerasEpoch('my_model_12.keras')).toBe(12);
    expect(kerasEpoch('ckpt-100.weights.h5')).toBe(100);
    expect(kerasEpoch('resnet50_weights_tf_dim_ordering_tf_kernels.h5')).toBeNull();
    expect(kerasEpoch('mobilenet_1_0_224_tf.h5')).toBeNull();
    // Words may carry digits (run2_model_04): docs/layouts.md's table of Keras names.
    expect(kerasEpoch('vgg16_weights_tf_dim_ordering_tf_kernels.h5')).toBeNull();
    expect(kerasEpoch('run2_model_04.keras')).toBe(4);
  });

  it('Lightning: step=S, hpc_ckpt_N as N, epoch apart, -vN as the version', () => {
    expect(lightningNameFacts('hpc_ckpt_100.ckpt').step).toBe(100);
    expect(lightningNameFacts('epoch=3-step=99999999999999999999.ckpt').step).toBe('99999999999999999999');
    expect(lightningNameFacts('epoch=3.ckpt')).toMatchObject({ step: null, extra: { epoch: 3 } });
    expect(lightningNameFacts('epoch=1-step=20-v2.ckpt').tiebreak).toBe(2);
    expect(lightningNameFacts('last.ckpt')).toMatchObject({ step: null, extra: { last: true } });
  });

  it('directory names: what each layout promises before the directory is listed', () => {
    const cases: Array<[string, unknown]> = [
      ['checkpoint-1000', 1000],
      ['checkpoint_999900', 999900],
      ['step_00001500', 1500],
      ['iter_0002000', 2000],
      ['iter_10000000', 10000000],
      ['global_step30', 30],
      ['global_step_30', 30],
      ['step-5', 5],
      ['run_step-7', 7],
      ['00000123', 123],
      ['1596211300', 1596211300],
      ['llama--reduced_train_loss=1.10-step=1999-consumed_samples=128000.0-last', 1999],
      ['epoch=2-step=18446744073709551616.ckpt', '18446744073709551616'],
    ];
    for (const [name, step] of cases) expect(dirStep(name)?.step, name).toEqual(step);
    expect(dirStep('global_step30_universal')).toMatchObject({ step: 30, conversion: true });
    expect(dirStep('last.ckpt')).toMatchObject({ step: null, last: true });
    expect(dirStep('3000.orbax-checkpoint-tmp-1712345678123456')).toMatchObject({ step: 3000, temporary: true });
    expect(dirStep('tmp-checkpoint-pe8ry7n_')).toMatchObject({ step: null, temporary: true });
    expect(dirStep('eval')).toBeUndefined();
  });
});
