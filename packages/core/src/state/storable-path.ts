/**
 * Whether a path read from a state file could name anything at all. A state file is data: it can
 * record a path with a NUL byte, a 1,000,000-character name, or a key longer than its store
 * allows. Such a path is a property of the file (it names nothing, anywhere), not a wrong
 * invocation: readers note it and carry on, and no request is ever sent for it.
 *
 * What each store can hold (decision 0004 lists the sources):
 * - every store: no NUL byte (the storage facade refuses one in any URI);
 * - local disks: each name at most 255 bytes (NAME_MAX of ext4, XFS, btrfs, tmpfs) and the whole
 *   absolute path at most 4,095 bytes (PATH_MAX, 4,096 with the terminating NUL);
 * - S3: keys of at most 1,024 bytes of UTF-8;
 * - GCS: names of at most 1,024 bytes, without carriage return or line feed, not `.` or `..`;
 * - memory: the object stores' 1,024 bytes, since it stands in for them in tests.
 * Other control characters are valid names on local disks, S3 and GCS: such a path is looked up.
 */
import { parseUri } from '@ckptkit/gfile';
import { cleanPosixPath, stripTrailingSlashes } from './posix-path.js';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
const NAME_MAX = 255;
const PATH_MAX = 4095;
const OBJECT_KEY_MAX = 1024;

const n = (x: number) => x.toLocaleString('en-US');

function localProblem(p: string): string | undefined {
  // What the local adapter hands the kernel: the absolute, cleaned path. A UTF-16 code unit is at
  // least one byte of UTF-8, so a path or name over the limit in code units is over it in bytes.
  const absolute = p.startsWith('/') ? p : `${process.cwd()}/${p}`;
  const cleaned = cleanPosixPath(absolute, PATH_MAX);
  const tooLongName = (bytes: number) => `it has a name of ${n(bytes)} bytes, over the ${NAME_MAX}-byte limit of local file systems (NAME_MAX)`;
  const longest = cleaned.longestName;
  if (longest.chars > NAME_MAX) return tooLongName(Buffer.byteLength(absolute.slice(longest.start, longest.end), 'utf8'));
  const tooLongPath = (bytes: number) => `it is ${n(bytes)} bytes long, over the ${n(PATH_MAX)}-byte path limit of local file systems (PATH_MAX)`;
  if (cleaned.path === undefined) return tooLongPath(cleaned.chars);
  // Now short: measured in bytes exactly.
  for (const name of cleaned.path.split('/')) {
    const bytes = name.length * 3 > NAME_MAX ? Buffer.byteLength(name, 'utf8') : 0;
    if (bytes > NAME_MAX) return tooLongName(bytes);
  }
  const bytes = Buffer.byteLength(cleaned.path, 'utf8');
  return bytes > PATH_MAX ? tooLongPath(bytes) : undefined;
}

function objectProblem(scheme: string, store: string, key: string): string | undefined {
  if (store === '') return `it has no ${scheme === 'memory' ? 'store name' : 'bucket'}`;
  // Azure counts a blob name's limit in characters, S3 and GCS in UTF-8 bytes.
  if (scheme === 'az' && [...key].length > OBJECT_KEY_MAX) return `its name is ${n([...key].length)} characters, over the ${n(OBJECT_KEY_MAX)}-character limit of Azure blob names`;
  const bytes = scheme === 'az' ? 0 : Buffer.byteLength(key, 'utf8');
  const name = scheme === 's3' ? 'S3 keys' : scheme === 'gs' ? 'GCS object names' : 'object keys';
  if (bytes > OBJECT_KEY_MAX) return `its key is ${n(bytes)} bytes, over the ${n(OBJECT_KEY_MAX)}-byte limit of ${name}`;
  if (scheme === 'gs' && /[\r\n]/.test(key)) return 'it contains a carriage return or line feed, which GCS object names cannot';
  if (scheme === 'gs' && (key === '.' || key === '..')) return `GCS has no object named ${key}`;
  return undefined;
}

/**
 * Why no store could hold the file or directory `uri` names (a bare path is local), or undefined
 * when one could. Linear in the length of `uri`; sends no request. The reason reads after "the
 * path ...": `it contains a NUL byte`, `its key is 2,000 bytes, over ...`.
 */
export function unstorablePathReason(uri: string): string | undefined {
  if (uri.includes('\0')) return 'it contains a NUL byte';
  const m = SCHEME.exec(uri);
  const scheme = m ? m[1]!.toLowerCase() : 'file';
  let problem: string | undefined;
  if (scheme === 'file') {
    const rest = m ? uri.slice(m[0].length) : uri;
    const local = !m ? rest : rest.startsWith('/') ? rest : rest.startsWith('localhost/') ? rest.slice('localhost'.length) : undefined;
    problem = local === undefined ? 'a file:// URI must be absolute (file:///path)' : local === '' ? 'it is empty' : localProblem(local);
  } else if (['s3', 'gs', 'az', 'memory'].includes(scheme)) {
    const rest = uri.slice(m![0].length);
    const slash = rest.indexOf('/');
    problem = objectProblem(scheme, slash < 0 ? rest : rest.slice(0, slash), slash < 0 ? '' : stripTrailingSlashes(rest.slice(slash + 1)));
  }
  if (problem) return problem;
  // Now of bounded length for the stores above: the facade's own parser has the last word.
  try {
    parseUri(stripTrailingSlashes(uri) || uri);
  } catch (error) {
    const message = (error as Error).message;
    return `it is not a valid ${scheme} path: ${message.slice(message.indexOf(': ') + 2)}`;
  }
  return undefined;
}

/**
 * A path as notes and messages show it: whole up to 200 characters, else its first 120 and its
 * length, so a 10 MB path in a state file makes a short note.
 */
export function shownPath(p: string): string {
  if (p.length <= 200) return p;
  return `${p.slice(0, 120)}… (${n(p.length)} characters)`;
}

/**
 * Why the path a state file records cannot name a checkpoint, or undefined when it can: the
 * recorded path itself when it is absolute or a URI (it must be a path of its own store), then
 * `located()`, the URI it would be looked up at in the directory (called only when the first
 * check passed, so it never sees a path of unbounded length with an absolute spelling).
 */
export function recordedPathProblem(recorded: string, located: () => string): string | undefined {
  if (recorded.startsWith('/') || SCHEME.test(recorded)) {
    const own = unstorablePathReason(recorded);
    if (own) return own;
  }
  return unstorablePathReason(located());
}
