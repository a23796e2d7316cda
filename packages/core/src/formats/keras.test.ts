import { describe, expect, it } from 'vitest';
import { kerasEpoch } from './keras.js';

describe('kerasEpoch: the epoch a ModelCheckpoint template put in a file name', () => {
  const cases: Array<[string, number | null]> = [
    ['ckpt_epoch_12.weights.h5', 12],
    ['model_at_epoch_7.keras', 7],
    ['epoch=3-step=100.keras', 3],
    ['epoch3_batch200.keras', 3],
    ['weights_epoch_0012_loss_0.53.weights.h5', 12],
    ['weights.09-0.53.hdf5', 9],
    ['my_model_05.keras', 5],
    ['run2_model_04.keras', 4],
    ['best_model_003.h5', 3],
    ['05-0.53.keras', 5],
    ['model-007-0.912.keras', 7],
    ['cp-0005.weights.h5', 5],
    ['12.weights.h5', 12],
    ['model-10-nan.keras', 10],
    ['model-10-1.2e-05.keras', 10],
    // not steps: digits glued to a word, decimals, digits followed by words, no digits
    ['resnet50_weights_tf.h5', null],
    ['mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5', null],
    ['mobilenet_1_0_224_tf.h5', null],
    ['checkpoint.model.keras', null],
    ['model.keras', null],
  ];
  for (const [name, epoch] of cases) it(`${name} -> ${epoch}`, () => expect(kerasEpoch(name)).toBe(epoch));

  it('is linear in the length of hostile names', () => {
    const names = [`a_${'1.'.repeat(50_000)}x.keras`, `${'a_'.repeat(50_000)}!.h5`, `m-1${'-1.5'.repeat(25_000)}x.keras`, `${'epoch'.repeat(20_000)}.h5`];
    const start = performance.now();
    for (const n of names) kerasEpoch(n);
    expect(performance.now() - start).toBeLessThan(500);
  });
});
