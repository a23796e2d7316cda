/**
 * NVIDIA NeMo Automodel (docs/layouts.md): `checkpoint_dir/epoch_<E>_step_<S>/` directories
 * (`model/`, `optim/`, `config.yaml`, `losses.json`, per-rank state files), reserved as
 * `epoch_<E>_step_<S>.reserving-<hex>/`, marked by an empty `.incomplete` file the moment they are
 * reserved, and published by pointing `LATEST` at them and then deleting the marker. `LATEST`
 * and `LOWEST_VAL` are relative symlinks in `checkpoint_dir`, or where symlinks fail, text files
 * `LATEST.txt` / `LOWEST_VAL.txt` holding the same path.
 *
 * Step: `S` from the name. Complete: no `.incomplete` marker (the marker, not the pointer, is the
 * commit: Automodel skips a marked directory even when `LATEST` names it) and some file besides
 * it. Pointers are facts (`extra.pointers`), never checkpoints: a `LATEST/` directory (a symlink
 * listed on a local disk, or a copy of one on an object store) is the checkpoint it names; copies
 * of the link as a plain `LATEST` file or rclone's `LATEST.rclonelink` are read like `LATEST.txt`.
 */
import type { CheckpointFormat, DetectContext, DirNode } from '../discovery/types.js';
import { dirFound, subtreeFiles, toStep } from './dir-helpers.js';

const CKPT = /^epoch_(\d+)_step_(\d+)$/;
const STAGING = /^(epoch_(\d+)_step_(\d+))\.reserving-[0-9a-f]+$/;
const MARKER = '.incomplete';
const POINTERS = ['LATEST', 'LOWEST_VAL'] as const;

/** The last segment of a pointer's path (`./epoch_0_step_5/`, `/abs/ckpts/epoch_0_step_5`). */
function pointedName(path: string): string | undefined {
  const segments = path.trim().split('/').filter((s) => s !== '' && s !== '.');
  return segments.at(-1);
}

// Copies of a pointer (object stores) are matched to the checkpoint with the same files and sizes.
const signatures = new WeakMap<DirNode, string>();
function signature(node: DirNode): string {
  let s = signatures.get(node);
  if (s === undefined) {
    const base = node.uri.length + 1;
    s = subtreeFiles(node).map((f) => `${f.uri.slice(base)}\0${f.size}`).join('\n');
    signatures.set(node, s);
  }
  return s;
}

/** The checkpoint directory name each pointer of `root` names, as far as the listing shows it. */
async function pointers(root: DirNode, ctx: DetectContext, read = ctx.contentChecks): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of POINTERS) {
    const link = root.dirs.get(p) ?? root.files.get(p);
    let target = link?.linkTarget !== undefined ? pointedName(link.linkTarget) : undefined;
    // The fallback text file Automodel writes, or what a copy made of the link: a plain file
    // holding the path, or rclone's `<name>.rclonelink` (`rclone copy --links`).
    for (const name of [`${p}.txt`, p, `${p}.rclonelink`]) {
      const text = root.files.get(name);
      if (target !== undefined || !text || text.linkTarget !== undefined || !read) continue;
      const body = await ctx.readText(text);
      if (body !== undefined) target = pointedName(body);
    }
    const copy = root.dirs.get(p);
    if (target === undefined && copy?.loaded && copy.linkTarget === undefined) {
      const sig = signature(copy);
      target = [...root.dirs.values()].find((d) => d !== copy && CKPT.test(d.name) && d.loaded && signature(d) === sig)?.name;
    }
    if (target !== undefined) out.set(p, target);
  }
  return out;
}

export const nemoAutomodelFormat: CheckpointFormat = {
  id: 'nemo-automodel',
  ids: ['nemo-automodel'],
  description: 'NeMo Automodel: epoch_E_step_S/ directories, .incomplete markers, .reserving-<hex> staging, LATEST / LOWEST_VAL pointers (symlinks or .txt)',

  stepFromDirName(name) {
    const m = CKPT.exec(name);
    if (m) return { step: toStep(m[2]), epoch: toStep(m[1]), temporary: false };
    const s = STAGING.exec(name);
    return s ? { step: toStep(s[3]), epoch: toStep(s[2]), temporary: true } : undefined;
  },

  // `LATEST` names the checkpoint Automodel published last (LOWEST_VAL names the best, not the latest).
  async pointers(node, ctx) {
    if (![...node.dirs.keys()].some((n) => CKPT.test(n))) return [];
    const target = (await pointers(node, ctx, ctx.metadata)).get('LATEST');
    return target !== undefined && CKPT.test(target) ? [{ target, by: 'LATEST' }] : [];
  },

  isAlias(node) {
    if (!(POINTERS as readonly string[]).includes(node.name) || !node.parent) return false;
    return [...node.parent.dirs.keys()].some((n) => CKPT.test(n) || STAGING.test(n));
  },

  async claimDir(node, ctx) {
    const staging = STAGING.exec(node.name);
    if (staging) {
      return dirFound(node, 'nemo-automodel', toStep(staging[3]), {
        temporary: true,
        complete: false,
        problems: [`staging directory of a save being reserved (renamed to ${staging[1]!} at once; left behind by a crash)`],
        extra: { epoch: toStep(staging[2]) },
      });
    }
    const m = CKPT.exec(node.name);
    if (!m) return undefined;
    const problems: string[] = [];
    if (node.files.has(MARKER)) problems.push(`${MARKER} marker: the save is in progress or was interrupted (Automodel deletes it when it publishes the checkpoint)`);
    else if (!subtreeFiles(node).some((f) => f.name !== MARKER)) problems.push('no files');
    const extra: Record<string, unknown> = { epoch: toStep(m[1]) };
    if (node.parent) {
      const named = [...(await pointers(node.parent, ctx))].filter(([, t]) => t === node.name).map(([p]) => p);
      if (named.length > 0) extra.pointers = named;
    }
    return dirFound(node, 'nemo-automodel', toStep(m[2]), { problems, extra });
  },
};
