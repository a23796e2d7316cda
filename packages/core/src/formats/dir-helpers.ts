/** Helpers the layout modules share for directory checkpoints. */
import { type Step, parseStep } from '../discovery/step.js';
import type { DirNode, FileEntry, Found } from '../discovery/types.js';

/** Every file below `node`, depth first, in name order. */
export function subtreeFiles(node: DirNode): FileEntry[] {
  const out: FileEntry[] = [];
  const visit = (n: DirNode) => {
    for (const name of [...n.files.keys()].sort()) out.push(n.files.get(name)!);
    for (const name of [...n.dirs.keys()].sort()) visit(n.dirs.get(name)!);
  };
  visit(node);
  return out;
}

/** The URI of the directory holding `node` (its parent; for a root, the URI without its last segment). */
export function parentUriOf(node: DirNode): string {
  if (node.parent) return node.parent.uri;
  const u = node.uri;
  const i = u.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  const head = u.slice(0, i);
  // `s3://bucket` has no parent: keep the store root.
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/?$/.test(head) ? u : head;
}

/** A Found for a directory checkpoint: the directory is the prefix, its parent the dir, all files its files. */
export function dirFound(node: DirNode, format: string, step: Step | null, init: Partial<Found> = {}): Found {
  const problems = init.problems ?? [];
  return {
    format,
    prefix: node.uri,
    dir: parentUriOf(node),
    step,
    complete: init.complete ?? problems.length === 0,
    problems,
    files: init.files ?? subtreeFiles(node),
    temporary: init.temporary ?? false,
    ...(init.tiebreak === undefined ? {} : { tiebreak: init.tiebreak }),
    ...(init.extra === undefined ? {} : { extra: init.extra }),
  };
}

/** A Found for a single-file checkpoint in `node`. */
export function fileFound(node: DirNode, file: FileEntry, format: string, step: Step | null, init: Partial<Found> = {}): Found {
  const problems = init.problems ?? [];
  const files = init.files ?? [file];
  return {
    format,
    prefix: file.uri,
    dir: node.uri,
    step,
    complete: init.complete ?? problems.length === 0,
    problems,
    files,
    temporary: init.temporary ?? false,
    claimed: init.claimed ?? files.map((f) => f.name),
    ...(init.tiebreak === undefined ? {} : { tiebreak: init.tiebreak }),
    ...(init.extra === undefined ? {} : { extra: init.extra }),
  };
}

/** The child directory at a relative path (`a/b`), if listed. */
export function childDir(node: DirNode, rel: string): DirNode | undefined {
  let n: DirNode | undefined = node;
  for (const part of rel.split('/')) n = n?.dirs.get(part);
  return n;
}

/** A JSON file's parsed content, or undefined when it does not parse. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The numbers `0..total-1` missing from `have`, as a short list. */
export function missingOf(have: Iterable<number>, total: number): number[] {
  const s = new Set(have);
  const out: number[] = [];
  for (let i = 0; i < total && out.length < 1000; i++) if (!s.has(i)) out.push(i);
  return out;
}

/** Parses a non-negative decimal integer of any size (a number when exact, else its digits: see `step.ts`). */
export function toStep(digits: string | undefined): Step | null {
  return parseStep(digits);
}
