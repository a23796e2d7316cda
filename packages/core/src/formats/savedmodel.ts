/**
 * SavedModel directories and TF Serving version directories (checkpoint-layouts.md §4,
 * tf-checkpoint-format.md §1.10): `saved_model.pb` (or `.pbtxt`, `.cpb`) with an optional
 * `variables/variables` bundle. Under a Serving base path the version is the directory's integer
 * name (`00000123` is 123): that number is the step. Serving ignores non-integer names; a
 * `temp-<timestamp>` directory is an export in progress.
 *
 * Complete: the graph file is present and, when `variables/variables.index` or any data shard
 * exists, the bundle is complete (an empty or absent `variables/` is legal: frozen graphs).
 */
import type { CheckpointFormat, DirNode, Found } from '../discovery/types.js';
import { parseStep, sameStep } from '../discovery/step.js';
import { dirFound } from './dir-helpers.js';
import { bundleCompleteness, bundleFound, groupTfFiles } from './tf-files.js';

const GRAPH_FILES = ['saved_model.pb', 'saved_model.pbtxt', 'saved_model.cpb'];
const VERSION = /^\d+$/;
const TEMP_EXPORT = /^temp-\d+$/;

/** True when `node` holds a SavedModel graph file. */
export function isSavedModelDir(node: DirNode): boolean {
  return GRAPH_FILES.some((f) => node.files.has(f));
}

/** The completeness problems of a SavedModel directory (its variables bundle). */
export function savedModelProblems(node: DirNode): string[] {
  const problems: string[] = [];
  if (!isSavedModelDir(node)) problems.push('no saved_model.pb');
  const vars = node.dirs.get('variables');
  if (vars) {
    const g = groupTfFiles(vars, vars.files.keys()).get('variables');
    if (g && (g.index || g.data.length > 0)) problems.push(...bundleCompleteness(g).problems.map((p) => `variables/variables: ${p}`));
  }
  return problems;
}

/** A SavedModel Found of `format` for `node`, with the version/temporary rules applied. */
export function savedModelFound(node: DirNode, format: string): Found {
  const temporary = TEMP_EXPORT.test(node.name);
  const problems = savedModelProblems(node);
  if (temporary) problems.unshift(`temporary export directory ${node.name}/ (an export in progress or abandoned; TF Serving ignores it)`);
  const version = VERSION.test(node.name) ? parseStep(node.name) : null;
  if (version !== null && node.parent) {
    const twins = [...node.parent.dirs.keys()].filter((n) => n !== node.name && VERSION.test(n) && sameStep(parseStep(n), version));
    if (twins.length > 0) problems.push(`duplicate version directories ${[node.name, ...twins].sort().join(', ')}: TF Serving serves only one of them`);
  }
  const extra: Record<string, unknown> = {};
  if (version !== null) extra.version = version;
  if (node.files.has('fingerprint.pb')) extra.fingerprint = true;
  const complete = !temporary && savedModelProblems(node).length === 0;
  return dirFound(node, format, version, { complete, problems, temporary, extra });
}

export const savedModelFormat: CheckpointFormat = {
  id: 'savedmodel',
  ids: ['savedmodel', 'savedmodel-variables'],
  description: 'SavedModel directories (saved_model.pb + variables/) and TF Serving integer version directories',

  stepFromDirName(name) {
    if (VERSION.test(name)) return { step: parseStep(name), temporary: false };
    if (TEMP_EXPORT.test(name)) return { step: null, temporary: true };
    return undefined;
  },

  claimDir(node) {
    return isSavedModelDir(node) ? savedModelFound(node, 'savedmodel') : undefined;
  },

  // The variables bundle of a SavedModel seen without its graph (e.g. a copied `variables/` dir).
  claimFiles(node, unclaimed) {
    if (node.name !== 'variables') return [];
    const g = groupTfFiles(node, unclaimed).get('variables');
    if (!g || (!g.index && g.data.length === 0)) return [];
    return [bundleFound(node, g, 'savedmodel-variables', null)];
  },
};
