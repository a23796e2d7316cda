/**
 * The long fuzz run (not part of every test run; CI runs the bounded `fuzz.test.ts`):
 *
 *   npx tsc -b && node test/dist/fuzz/run.js --cases 1000000 [--seed N] [--only TEXT]
 *
 * Runs every property of `properties.ts` with its share of the cases, prints one line per
 * property (cases, seconds, result) and the totals, and exits 1 when any property failed (with
 * fast-check's report: seed, path and shrunk counterexample, enough to replay it). A watchdog
 * prints the property in progress every 30 s, so a hang is visible while it happens.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { PROPERTIES, createFuzzContext } from './properties.js';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '1000000' }, seed: { type: 'string' }, only: { type: 'string' } },
});
const total = Number(values.cases);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const chosen = PROPERTIES.filter((p) => values.only === undefined || p.name.includes(values.only));
const weights = chosen.reduce((n, p) => n + p.weight, 0);
const shares = apportion(total, chosen.map((p) => p.weight));

const ctx = await createFuzzContext();
const started = performance.now();
let current = '';
let currentStart = started;
const watchdog = setInterval(() => {
  process.stderr.write(`  ... still running "${current}" after ${((performance.now() - currentStart) / 1000).toFixed(0)} s\n`);
}, 30_000);
watchdog.unref();

process.stdout.write(`ckptkit fuzz: ${total.toLocaleString('en-US')} cases over ${chosen.length} properties, seed ${seed}, node ${process.version}, fast-check ${fc.__version}\n`);
let failed = 0;
let ran = 0;
for (const [i, p] of chosen.entries()) {
  const numRuns = Math.max(1, shares[i]!);
  current = p.name;
  currentStart = performance.now();
  const details = await fc.check(p.make(ctx), { numRuns, seed, endOnFailure: true });
  const seconds = (performance.now() - currentStart) / 1000;
  ran += details.numRuns;
  const status = details.failed ? 'FAILED' : 'ok';
  process.stdout.write(`${status.padEnd(6)} ${String(details.numRuns).padStart(9)} cases ${seconds.toFixed(1).padStart(7)} s  ${p.name}\n`);
  if (details.failed) {
    failed++;
    process.stdout.write(`${fc.defaultReportMessage(details) ?? ''}\n`);
  }
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`total: ${ran.toLocaleString('en-US')} cases in ${seconds.toFixed(1)} s, ${failed === 0 ? 'no failure' : `${failed} propert${failed === 1 ? 'y' : 'ies'} failed`}\n`);
clearInterval(watchdog);
process.exit(failed === 0 ? 0 : 1);

/**
 * Splits `total` cases by weight so that the shares add up to exactly `total` (largest remainder:
 * rounding each share alone made 1,000,000 come out as 999,999).
 */
function apportion(total: number, weightsOf: number[]): number[] {
  const exact = weightsOf.map((w) => (total * w) / weights);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0, left = total - shares.reduce((a, b) => a + b, 0); k < left; k++) shares[order[k % order.length]!.i]!++;
  return shares;
}
