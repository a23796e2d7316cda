/**
 * The start-up fast path. Scripts call `ckpt latest DIR` in loops, and `ckpt find`/`cp`/`latest` on
 * a bucket are single round trips' worth of work, where loading yargs (and everything a general
 * parser pulls in) costs more than the answer. A command line made only of `latest`, `find` or
 * `cp`, its positional URIs and the plain flags below is read here and run by the same handler;
 * everything else (help, version, `--verify`, unknown or repeated flags, `--no-x` except
 * `--no-content-checks`, `-x=y`, `--flag=value` on booleans, grouped short flags, values that look
 * like flags, numbers in any form but plain decimal integers, `--`) returns undefined and goes to
 * yargs, which stays the parser of the general case. This module imports nothing, so deciding costs
 * nothing.
 */
import type { GlobalArgs } from './global-args.js';

/** What `ckpt latest` gets from yargs, built here for the command lines the fast path accepts. */
export interface FastLatestArgs extends GlobalArgs {
  _: string[];
  $0: string;
  uri: string;
  'tf-compat': boolean;
  tfCompat: boolean;
  verify: boolean;
  'state-file'?: string | undefined;
  stateFile?: string | undefined;
}

/** A command line the fast path accepts: the command and the argv yargs would give its handler. */
export interface FastCommand {
  command: 'latest' | 'find' | 'cp';
  /** Exactly what yargs would pass to the handler (defaults, aliases and camel-case keys included). */
  argv: Record<string, unknown> & GlobalArgs & { _: string[]; $0: string };
  /** The positional URIs of the command line (decides which bundle can run it). */
  uris: string[];
}

type Kind = 'boolean' | 'string' | 'positive' | 'natural';

interface CommandSpec {
  positionals: string[];
  /** Flag spelling -> [option key, kind]. */
  flags: Record<string, [string, Kind]>;
  /** yargs' defaults of the command's own options (the global ones are in GLOBAL_DEFAULTS). */
  defaults: Record<string, unknown>;
}

const GLOBAL_FLAGS: Record<string, [string, Kind]> = {
  '--json': ['json', 'boolean'],
  '--stats': ['stats', 'boolean'],
  '--quiet': ['quiet', 'boolean'],
  '-q': ['quiet', 'boolean'],
  '--verbose': ['verbose', 'boolean'],
  '-v': ['verbose', 'boolean'],
  '--anonymous': ['anonymous', 'boolean'],
  '--s3-path-style': ['s3-path-style', 'boolean'],
  '--concurrency': ['concurrency', 'positive'],
  '--s3-endpoint': ['s3-endpoint', 'string'],
  '--s3-region': ['s3-region', 'string'],
  '--gcs-endpoint': ['gcs-endpoint', 'string'],
  '--azure-endpoint': ['azure-endpoint', 'string'],
};
const GLOBAL_DEFAULTS: Record<string, unknown> = { json: false, stats: false, concurrency: 16, anonymous: false, quiet: false, verbose: false };

const COMMANDS: Record<FastCommand['command'], CommandSpec> = {
  latest: {
    positionals: ['uri'],
    flags: { '--tf-compat': ['tf-compat', 'boolean'], '--state-file': ['state-file', 'string'] },
    // --verify loads the bundle reader and its native modules: left to yargs.
    defaults: { 'tf-compat': false, verify: false },
  },
  find: {
    positionals: ['uri'],
    flags: {
      '--jsonl': ['jsonl', 'boolean'],
      '--content-checks': ['content-checks', 'boolean'],
      '--format': ['format', 'string'],
      '--max-depth': ['max-depth', 'natural'],
      '--archives': ['archives', 'boolean'],
    },
    defaults: { jsonl: false, 'content-checks': true, archives: true },
  },
  cp: {
    positionals: ['src', 'dst'],
    flags: {
      '--update-state': ['update-state', 'boolean'],
      '--allow-incomplete': ['allow-incomplete', 'boolean'],
      '--state-file': ['state-file', 'string'],
      '--parallel': ['parallel', 'positive'],
      '--streams': ['streams', 'positive'],
    },
    defaults: { 'update-state': false, 'allow-incomplete': false, parallel: 4, streams: 4 },
  },
};

// yargs reads numbers its own way (hex, exponents, NaN, leading zeros); only plain decimal integers
// are taken here, which it reads as the same number.
const NUMBER: Record<'positive' | 'natural', RegExp> = { positive: /^[1-9][0-9]{0,5}$/, natural: /^(0|[1-9][0-9]{0,5})$/ };

/** yargs' camel-case expansion of a dashed option name (`s3-path-style` -> `s3PathStyle`). */
const camel = (key: string) => key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** What the bundle that parses a command line can run. */
export interface FastPathScope {
  /** The bundle holds the Azure adapter and its SDK (the fast-azure bundle); default false. */
  azure?: boolean;
}

/**
 * The command and arguments of a plain `ckpt latest|find|cp` command line, exactly as yargs would
 * give them to the handler (defaults included), or undefined when the line needs yargs (or, for
 * an Azure URI, a bundle with `scope.azure`).
 */
export function parseFast(args: readonly string[], scope: FastPathScope = {}): FastCommand | undefined {
  const command = args[0];
  if (command !== 'latest' && command !== 'find' && command !== 'cp') return undefined;
  const spec = COMMANDS[command];
  const seen = new Map<string, string | number | boolean>();
  const uris: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      if (uris.length === spec.positionals.length || a === '') return undefined;
      uris.push(a);
      continue;
    }
    if (command === 'find' && a === '--no-content-checks') {
      if (seen.has('content-checks')) return undefined;
      seen.set('content-checks', false);
      continue;
    }
    if (command === 'find' && a === '--no-archives') {
      if (seen.has('archives')) return undefined;
      seen.set('archives', false);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a : a.slice(0, eq);
    const known = GLOBAL_FLAGS[flag] ?? spec.flags[flag];
    if (known === undefined) return undefined;
    const [key, kind] = known;
    if (seen.has(key)) return undefined;
    if (kind === 'boolean') {
      if (eq >= 0) return undefined;
      seen.set(key, true);
      continue;
    }
    if (flag.length === 2) return undefined;
    const value = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (kind === 'string') seen.set(key, value);
    else if (NUMBER[kind].test(value)) seen.set(key, Number(value));
    else return undefined;
  }
  if (uris.length !== spec.positionals.length) return undefined;
  // The Azure SDK is not in the s3/gs cloud bundle (it would slow every s3/gs start-up for a scheme
  // they do not use): a command line naming an Azure URI takes the fast-azure bundle, which has it.
  if (scope.azure !== true && uris.some((u) => AZURE.test(u))) return undefined;
  // Anonymous GCS loads google-auth-library's PassThroughClient through the SDK's own copy
  // (createRequire from @google-cloud/storage), which a one-file bundle cannot resolve: yargs' path.
  if (seen.get('anonymous') === true && uris.some((u) => u.startsWith('gs://'))) return undefined;
  const argv: Record<string, unknown> = { _: [command], $0: 'ckpt' };
  for (const [key, value] of [...Object.entries(GLOBAL_DEFAULTS), ...Object.entries(spec.defaults), ...seen]) {
    argv[key] = value;
    argv[camel(key)] = value;
  }
  // yargs sets the aliases of -q and -v too.
  argv.q = argv.quiet;
  argv.v = argv.verbose;
  spec.positionals.forEach((name, i) => (argv[name] = uris[i]));
  return { command, argv: argv as FastCommand['argv'], uris };
}

/** Azure URIs: `az://` and Hadoop's `abfs://`, `abfss://`. */
const AZURE = /^(?:az|abfss?):\/\//i;

/** A URI with a scheme other than `file://` (s3, gs, memory, or one yargs' path will reject). */
const REMOTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/** An archive member URI (`tar:…!/…`, `zip:…!/…`; decision 0016): never the local fast path. */
const ARCHIVE = /^(tar|zip):(?!\/\/)/i;

/** True for a local path or a `file://` URI. */
export function isLocalUri(uri: string): boolean {
  if (ARCHIVE.test(uri)) return false;
  return !REMOTE.test(uri) || uri.startsWith('file://');
}

/**
 * The arguments of a simple `ckpt latest` command line on a local directory, exactly as yargs
 * would give them to the handler (defaults included), or undefined when the line needs yargs or a
 * cloud adapter (the local fast path, which loads no SDK).
 */
export function parseFastLatest(args: readonly string[]): FastLatestArgs | undefined {
  const fast = parseFast(args);
  if (fast?.command !== 'latest' || !fast.uris.every(isLocalUri)) return undefined;
  return fast.argv as unknown as FastLatestArgs;
}
