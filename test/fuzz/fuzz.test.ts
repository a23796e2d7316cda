/**
 * The fuzz properties, bounded for every test run: FUZZ_CASES cases in all (default 6,000, spread
 * by weight), a random seed unless FUZZ_SEED is set (fast-check prints the seed and the shrunk
 * counterexample of a failure). The long run is `node test/dist/fuzz/run.js --cases 1000000`.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { PROPERTIES, createFuzzContext, type FuzzContext } from './properties.js';

const TOTAL = Number(process.env.FUZZ_CASES ?? 6000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const weights = PROPERTIES.reduce((n, p) => n + p.weight, 0);

describe(`fuzz (${TOTAL} cases)`, () => {
  let ctx: FuzzContext;
  beforeAll(async () => {
    ctx = await createFuzzContext();
  });
  for (const p of PROPERTIES) {
    const numRuns = Math.max(20, Math.round((TOTAL * p.weight) / weights));
    it(`${p.name} (${numRuns} cases)`, async () => {
      await fc.assert(p.make(ctx), { numRuns, ...(SEED === undefined ? {} : { seed: SEED }) });
    }, 120_000);
  }
});
