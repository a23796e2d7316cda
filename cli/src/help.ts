import type { Argv } from 'yargs';
import { exitCodesEpilog } from './contract-render.js';
import { type CommandName, UsageError } from './exit-codes.js';

/**
 * The `--help` of a command: its examples, its own options in the first group ("Options:", before
 * the global and storage options), and the exit codes it can end with (rendered from exit-codes.ts).
 */
export function commandHelp<T>(y: Argv<T>, command: CommandName, examples: ReadonlyArray<readonly [string, string]>, ownOptions: readonly string[] = []): Argv<T> {
  let out = y;
  for (const [line, what] of examples) out = out.example(line, what);
  if (ownOptions.length > 0) out = out.group([...ownOptions], 'Options:');
  return out.epilog(exitCodesEpilog(command));
}

/** What a numeric option accepts. */
export type NumberKind = 'positive-integer' | 'non-negative-integer' | 'seconds';

const WHAT: Record<NumberKind, string> = {
  'positive-integer': 'a positive integer',
  'non-negative-integer': 'a non-negative integer',
  seconds: 'a non-negative number of seconds',
};

function valid(kind: NumberKind, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  if (kind === 'seconds') return n >= 0;
  return Number.isInteger(n) && n >= (kind === 'positive-integer' ? 1 : 0);
}

/**
 * Reads the value of `--name` as `kind`, or throws a usage error quoting what was typed
 * (`--concurrency must be a positive integer, got 'abc'`): yargs' own number type would have
 * turned it into NaN first. Numbers are read as yargs reads them (`0x10`, `1e3`).
 */
export function parseNumberOption(name: string, kind: NumberKind, value: unknown): number {
  if (Array.isArray(value)) throw new UsageError(`--${name} was given ${value.length} times; give it once`);
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!valid(kind, n)) throw new UsageError(`--${name} must be ${WHAT[kind]}, got '${String(value)}'`);
  return n;
}

/** The yargs declaration of a numeric option (yargs infers `number` from `coerce`). */
export interface NumberOption {
  describe: string;
  requiresArg: true;
  coerce: (value: unknown) => number;
  default?: number;
}

/**
 * A numeric option: the value checked by {@link parseNumberOption} while yargs parses (a bad value
 * is a usage error before any command runs). No yargs `type`, so that what was typed reaches the
 * check as typed; the help line says what is expected instead of `[number]`.
 */
export function numberOption(name: string, kind: NumberKind, describe: string, defaultValue: number): NumberOption & { default: number };
export function numberOption(name: string, kind: NumberKind, describe: string): NumberOption;
export function numberOption(name: string, kind: NumberKind, describe: string, defaultValue?: number): NumberOption {
  return {
    describe: `${describe} (${WHAT[kind].replace(/^an? /, '')})`,
    requiresArg: true,
    coerce: (value: unknown) => parseNumberOption(name, kind, value),
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  };
}
