import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { cpCommand } from './commands/cp.js';
import { findCommand } from './commands/find.js';
import { latestCommand } from './commands/latest.js';
import { parseFast, parseFastLatest } from './fast-path.js';
import { withGlobalOptions } from './global-args.js';

/** What the handler of the command receives from yargs, configured as main() configures it. */
async function viaYargs(args: string[]): Promise<Record<string, unknown>> {
  let got: Record<string, unknown> | undefined;
  let y = withGlobalOptions(yargs(args))
    .scriptName('ckpt')
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  for (const command of [latestCommand, findCommand, cpCommand]) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    y = y.command({ ...(command as any), handler: (argv: unknown) => void (got = argv as Record<string, unknown>) });
  }
  await y.parseAsync();
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

describe('parseFast', () => {
  const accepted = [
    ['latest', 's3://bucket/run'],
    ['latest', 'gs://bucket/run', '--json', '--gcs-endpoint', 'http://127.0.0.1:9023'],
    ['latest', '--tf-compat', 's3://b/run', '--s3-endpoint', 'http://h:7480', '--s3-path-style', '--s3-region', 'eu-west-1'],
    ['latest', 's3://b/run', '--state-file=checkpoint_tmp', '--anonymous', '-q'],
    ['latest', './run', '--json'],
    ['latest', '--s3-endpoint', 'http://x', './run'],
    ['find', 's3://bucket/zoo'],
    ['find', '--json', 's3://bucket/zoo', '--s3-endpoint', 'http://127.0.0.1:7480', '--s3-path-style'],
    ['find', 's3://bucket/zoo', '--json', '--s3-endpoint=http://h:1/x?a=b', '--concurrency', '64', '--stats'],
    ['find', 'gs://bucket/zoo', '--jsonl', '--max-depth', '0', '--format', 'tf2-checkpoint,orbax'],
    ['find', 'gs://bucket/zoo', '--max-depth=3', '--format=hf-trainer', '--no-content-checks', '-v'],
    ['find', 's3://bucket/zoo', '--content-checks', '--verbose', '--quiet'],
    ['find', 's3://bucket/123', '--anonymous', '--s3-region', 'us-east-1'],
    ['find', './local/dir'],
    ['find', '0x10'],
    ['find', './local/dir', '--no-archives'],
    ['find', 's3://bucket/zoo', '--archives', '--json'],
    ['cp', 's3://b/run/ckpt-5', './out'],
    ['cp', 's3://b/run/ckpt-5', 'gs://c/run', '--json', '--update-state', '--allow-incomplete', '--parallel', '8', '--streams', '2'],
    ['cp', '--parallel=2', '--state-file', 'ckpt_state', 'gs://b/run/ckpt-5.index', 's3://c/x', '--gcs-endpoint=http://e:1'],
    ['cp', './run/ckpt-5', 's3://b/run', '--s3-endpoint', 'http://h:7480', '--concurrency=1', '-q', '-v'],
    ['cp', 's3://b/run/ckpt-5', '5'],
  ];
  for (const args of accepted) {
    it(`reads ${JSON.stringify(args)} exactly as yargs does (every key)`, async () => {
      const fast = parseFast(args);
      expect(fast).toBeDefined();
      expect(fast!.command).toBe(args[0]);
      expect(fast!.argv).toEqual(await viaYargs(args));
    });
  }

  const refused = [
    [],
    ['find'],
    ['cp', 's3://b/x'],
    ['cp', 's3://b/x', './a', './b'],
    ['find', 's3://a', 's3://b'],
    ['ls', 's3://b'],
    ['stat', 's3://b/x'],
    ['find', '--help'],
    ['find', 's3://b', '-h'],
    ['find', 's3://b', '--version'],
    ['latest', 's3://b', '--verify'],
    ['find', 's3://b', '--format', 'a', '--format', 'b'],
    ['find', 's3://b', '--no-content-checks', '--content-checks'],
    ['find', 's3://b', '--no-json'],
    ['find', 's3://b', '--no-s3-path-style'],
    ['find', 's3://b', '--s3-path-style=false'],
    ['find', 's3://b', '--s3PathStyle'],
    ['find', 's3://b', '--max-depth', '-1'],
    ['find', 's3://b', '--max-depth', '1.5'],
    ['find', 's3://b', '--max-depth', '01'],
    ['find', 's3://b', '--max-depth'],
    ['find', 's3://b', '--s3-endpoint'],
    ['find', 's3://b', '--s3-endpoint', ''],
    ['find', 's3://b', '--s3-endpoint', '--json'],
    ['find', 's3://b', '--tf-compat'],
    ['find', 's3://b', '--parallel', '2'],
    ['find', '--anonymous', 'gs://zoo-mirror'],
    ['cp', 'gs://b/x', './y', '--anonymous'],
    // Azure URIs: the Azure SDK is only in the fast-azure bundle (scope.azure).
    ['cp', 's3://b/x', 'az://c/y'],
    ['cp', 'az://c/x', 'gs://b/y'],
    ['find', 'az://c/run'],
    ['latest', 'abfss://c@acct.dfs.core.windows.net/run'],
    ['latest', 's3://b', '--jsonl'],
    ['cp', 's3://b/x', './y', '--parallel', '0'],
    ['cp', 's3://b/x', './y', '--streams', '0'],
    ['cp', 's3://b/x', './y', '--no-content-checks'],
    ['cp', 's3://b/x', './y', '--max-depth', '1'],
    ['find', 's3://b', '--concurrency', '1e3'],
    ['find', 's3://b', '-qv'],
    ['find', 's3://b', '-q=true'],
    ['find', '--', 's3://b'],
    ['find', 's3://b', '--unknown'],
    ['find', ''],
  ];
  for (const args of refused) {
    it(`leaves ${JSON.stringify(args)} to yargs`, () => {
      expect(parseFast(args)).toBeUndefined();
    });
  }

  // The fast-azure bundle holds every adapter: there Azure URIs take the fast path, alone or with others.
  const azureLines: Array<[string[], string[]]> = [
    [['cp', 's3://b/x', 'az://c/y'], ['s3://b/x', 'az://c/y']],
    [['cp', 'az://c/x', 'gs://b/y'], ['az://c/x', 'gs://b/y']],
    [['find', 'az://c/run', '--azure-endpoint', 'http://127.0.0.1:10000/devstoreaccount1'], ['az://c/run']],
    [['latest', 'abfss://c@acct.dfs.core.windows.net/run', '--json'], ['abfss://c@acct.dfs.core.windows.net/run']],
  ];
  for (const [args, uris] of azureLines) {
    it(`takes ${JSON.stringify(args)} in a bundle with the Azure adapter`, () => {
      const fast = parseFast(args, { azure: true });
      expect(fast?.command).toBe(args[0]);
      expect(fast?.uris).toEqual(uris);
    });
  }
  it('reads --azure-endpoint as yargs does (azureEndpoint)', () => {
    expect(parseFast(['find', 'az://c/run', '--azure-endpoint=http://h/acct'], { azure: true })?.argv).toMatchObject({ 'azure-endpoint': 'http://h/acct', azureEndpoint: 'http://h/acct' });
  });

  // What the fast path leaves to yargs because of a value is read, or refused with the option's
  // name and what was typed, there: never NaN, never a different number than the fast path reads.
  const numbers: Array<[string[], number | RegExp]> = [
    [['latest', '--concurrency', 'abc', './run'], /^--concurrency must be a positive integer, got 'abc'$/],
    [['latest', '--concurrency', '0', './run'], /^--concurrency must be a positive integer, got '0'$/],
    [['latest', '--concurrency', '1e3', './run'], 1000],
    [['latest', '--concurrency', '0x10', './run'], 16],
    [['find', 's3://b', '--max-depth', '-1'], /^--max-depth must be a non-negative integer, got '-1'$/],
    [['find', 's3://b', '--max-depth', '1.5'], /^--max-depth must be a non-negative integer, got '1.5'$/],
    [['cp', 's3://b/x', './y', '--parallel', 'many'], /^--parallel must be a positive integer, got 'many'$/],
    [['cp', 's3://b/x', './y', '--streams', '0'], /^--streams must be a positive integer, got '0'$/],
  ];
  for (const [args, expected] of numbers) {
    it(`yargs reads ${JSON.stringify(args)} as ${String(expected)}`, async () => {
      expect(parseFast(args)).toBeUndefined();
      const key = args.find((a) => a.startsWith('--'))!.slice(2);
      if (typeof expected === 'number') expect((await viaYargs(args))[key]).toBe(expected);
      else await expect(viaYargs(args)).rejects.toThrow(expected);
    });
  }

  it('leaves cloud URIs out of the local latest fast path', () => {
    expect(parseFastLatest(['latest', 's3://b/run'])).toBeUndefined();
    expect(parseFastLatest(['find', './run'])).toBeUndefined();
    expect(parseFastLatest(['latest', 'file:///abs/run'])).toBeDefined();
  });
});
