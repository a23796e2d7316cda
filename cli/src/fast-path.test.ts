import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { latestCommand } from './commands/latest.js';
import { parseFastLatest } from './fast-path.js';
import { withGlobalOptions } from './global-args.js';

/** What the `latest` handler receives from yargs, configured as main() configures it. */
async function viaYargs(args: string[]): Promise<Record<string, unknown>> {
  let got: Record<string, unknown> | undefined;
  await withGlobalOptions(yargs(args))
    .scriptName('ckpt')
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .command({ ...latestCommand, handler: (argv) => void (got = argv as unknown as Record<string, unknown>) })
    .parseAsync();
  return got!;
}

const FIELDS = ['uri', 'json', 'stats', 'concurrency', 'quiet', 'verbose', 'anonymous', 'tf-compat', 'tfCompat', 'verify', 'state-file', 'stateFile'];
const pick = (o: Record<string, unknown>) => Object.fromEntries(FIELDS.map((f) => [f, o[f]]));

describe('parseFastLatest', () => {
  const accepted = [
    ['latest', './run'],
    ['latest', '--json', './run'],
    ['latest', './run', '--json', '--stats'],
    ['latest', '--tf-compat', '--json', '/abs/run'],
    ['latest', '-q', 'run', '--state-file', 'foo'],
    ['latest', '--state-file=my state', '-v', 'file:///abs/run'],
    ['latest', '--concurrency', '4', 'run'],
    ['latest', '--concurrency=32', '--quiet', '--verbose', 'run[1]'],
  ];
  for (const args of accepted) {
    it(`reads ${JSON.stringify(args)} exactly as yargs does`, async () => {
      const fast = parseFastLatest(args);
      expect(fast).toBeDefined();
      expect(pick(fast as unknown as Record<string, unknown>)).toEqual(pick(await viaYargs(args)));
    });
  }

  const refused = [
    ['latest'],
    ['ls', './run'],
    ['latest', './a', './b'],
    ['latest', '--help'],
    ['latest', '-h'],
    ['latest', './run', '--verify'],
    ['latest', 's3://bucket/run'],
    ['latest', 'gs://bucket/run'],
    ['latest', 'memory://x/run'],
    ['latest', '--s3-endpoint', 'http://x', './run'],
    ['latest', '--no-json', './run'],
    ['latest', '--json=false', './run'],
    ['latest', '--json', '--json', './run'],
    ['latest', '-qv', './run'],
    ['latest', '--concurrency', '0x10', './run'],
    ['latest', '--concurrency', '0', './run'],
    ['latest', '--concurrency', '1e3', './run'],
    ['latest', '--state-file', '--json', './run'],
    ['latest', '--state-file', './run'],
    ['latest', '--', './run'],
    ['latest', '--unknown', './run'],
  ];
  for (const args of refused) {
    it(`leaves ${JSON.stringify(args)} to yargs`, () => {
      expect(parseFastLatest(args)).toBeUndefined();
    });
  }
});
