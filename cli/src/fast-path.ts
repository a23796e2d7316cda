/**
 * The start-up fast path. Scripts call `ckpt latest DIR` in loops, where loading yargs (about a
 * third of the start-up) costs more than the answer. A command line made only of `latest`, one
 * local directory (a path or `file://`) and the plain flags below is read here and run by the same
 * handler; everything else (help, `--verify`, cloud URIs and their flags, unknown or repeated
 * flags, `--no-x`, `-x=y`, values that look like flags, `--`) returns undefined and goes to yargs,
 * which stays the parser of the general case. This module imports nothing, so deciding costs nothing.
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

const BOOLEAN: Record<string, string> = {
  '--json': 'json',
  '--stats': 'stats',
  '--quiet': 'quiet',
  '-q': 'quiet',
  '--verbose': 'verbose',
  '-v': 'verbose',
  '--tf-compat': 'tf-compat',
};
const STRING: Record<string, string> = {
  '--state-file': 'state-file',
  '--concurrency': 'concurrency',
};

/** A URI with a scheme other than `file://` (s3, gs, memory, or one yargs' path will reject). */
const REMOTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/**
 * The arguments of a simple `ckpt latest` command line, exactly as yargs would give them to the
 * handler (defaults included), or undefined when the line needs yargs.
 */
export function parseFastLatest(args: readonly string[]): FastLatestArgs | undefined {
  if (args[0] !== 'latest') return undefined;
  const seen = new Map<string, string | boolean>();
  let uri: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      if (uri !== undefined || a === '') return undefined;
      uri = a;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a : a.slice(0, eq);
    const bool = BOOLEAN[flag];
    const str = STRING[flag];
    if (bool !== undefined && eq < 0) {
      if (seen.has(bool)) return undefined;
      seen.set(bool, true);
      continue;
    }
    if (str === undefined || flag.length === 2) return undefined;
    const value = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (value === undefined || value === '' || value.startsWith('-') || seen.has(str)) return undefined;
    seen.set(str, value);
  }
  if (uri === undefined || (REMOTE.test(uri) && !uri.startsWith('file://'))) return undefined;
  const concurrency = seen.get('concurrency');
  // yargs reads numbers its own way (hex, exponents, NaN); only plain positive integers are taken here.
  if (concurrency !== undefined && !/^[1-9][0-9]{0,5}$/.test(String(concurrency))) return undefined;
  const out: FastLatestArgs = {
    _: ['latest'],
    $0: 'ckpt',
    uri,
    json: seen.get('json') === true,
    stats: seen.get('stats') === true,
    concurrency: concurrency === undefined ? 16 : Number(concurrency),
    anonymous: false,
    quiet: seen.get('quiet') === true,
    verbose: seen.get('verbose') === true,
    'tf-compat': seen.get('tf-compat') === true,
    tfCompat: seen.get('tf-compat') === true,
    verify: false,
  };
  const stateFile = seen.get('state-file');
  if (typeof stateFile === 'string') {
    out['state-file'] = stateFile;
    out.stateFile = stateFile;
  }
  return out;
}
