/**
 * The Hugging Face hub cache (`~/.cache/huggingface/hub`, docs/layouts.md): one directory per
 * repository, `models--<org>--<name>/` (also `datasets--`, `spaces--`), holding
 *
 * - `blobs/<etag>`: file contents, downloaded to `blobs/<etag>[.<8 hex>].incomplete` and renamed
 *   into place when whole;
 * - `snapshots/<commit>/<path>`: one directory per revision, each file a relative symlink to its
 *   blob, created only after the blob is whole (on file systems without symlinks: the file itself);
 * - `refs/<name>` (`main`, `refs/pr/1`, tags): text files holding the commit a name resolved to,
 *   written before the download starts.
 *
 * Each snapshot is one checkpoint (no step: revisions are commits). The repository directory is
 * what users point at, so snapshots are reported with it as their `dir` (`claimContainer`).
 *
 * Incomplete: a snapshot file that is a dangling link (its blob is gone: huggingface_hub's own
 * cache scan calls that a corrupted cache), a snapshot directory without files while a download
 * runs, and the snapshots a running or killed download feeds while a blob is `*.incomplete`:
 * which revision a blob belongs to is recorded nowhere, so it is charged to the revisions the
 * refs name (refs are written before the download), or to every snapshot when there is no ref.
 *
 * A cache copied to an object store (`aws s3 sync`, `gsutil rsync`, `rclone copy`) has no
 * symlinks: the copy follows them, so snapshot files are whole objects, and links that dangled
 * were skipped, which no listing can tell. There a snapshot is judged by its `*.incomplete`
 * blobs, and, where `rclone --links` kept each link as `<name>.rclonelink` (an object holding the
 * target), by whether the blob each one names was copied.
 *
 * Order, newest first: the snapshot `refs/main` names, then those other refs name, then the newest
 * modification time of a snapshot's files, then the name.
 */
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';
import { lastSegment } from '../discovery/tree.js';
import { dirFound, parentUriOf, subtreeFiles } from './dir-helpers.js';

const REPO = /^(models|datasets|spaces)--(.+)$/;
const INCOMPLETE_BLOB = /\.incomplete$/;
// huggingface_hub writes refs atomically through `<ref>.<8 hex>.tmp` files.
const REF_TMP = /\.[0-9a-f]{8}\.tmp$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** `refs/` as ref name -> commit, read when content checks are on (names only otherwise). */
async function readRefs(refsDir: DirNode | undefined, ctx: DetectContext): Promise<Map<string, string | undefined>> {
  const refs = new Map<string, string | undefined>();
  if (!refsDir) return refs;
  const prefix = `${refsDir.uri}/`;
  const files = subtreeFiles(refsDir).filter((f) => !REF_TMP.test(f.name));
  const texts = await Promise.all(files.map((f) => (ctx.contentChecks ? ctx.readText(f) : Promise.resolve(undefined))));
  files.forEach((f, i) => refs.set(f.uri.slice(prefix.length), texts[i]?.trim()));
  return refs;
}

function newestMtime(files: FileEntry[]): number {
  let t = -Infinity;
  for (const f of files) if (f.mtime && f.mtime.getTime() > t) t = f.mtime.getTime();
  return t;
}

/** Snapshot files whose link dangles (local disks: the listing says so), as one problem. */
function danglingProblems(snapshot: DirNode, files: FileEntry[]): string[] {
  const dangling = files.filter((f) => f.danglingLink).map((f) => f.uri.slice(snapshot.uri.length + 1));
  if (dangling.length === 0) return [];
  const s = dangling.length > 1 ? 's' : '';
  return [`symlink${s} to missing blob${s}: ${dangling.slice(0, 5).join(', ')}${dangling.length > 5 ? ', ...' : ''}`];
}

// `rclone copy --links` stores a symlink as `<name>.rclonelink`, a small object holding its target.
const RCLONE_LINK = '.rclonelink';

/**
 * Snapshot links copied by `rclone --links` whose blob is not in `blobs/` (content checks: one small
 * read per link file of the snapshot).
 */
async function rcloneLinkProblems(s: Snapshot, blobs: DirNode | undefined, ctx: DetectContext): Promise<string[]> {
  const links = s.files.filter((f) => f.name.endsWith(RCLONE_LINK));
  if (!ctx.contentChecks || !blobs || links.length === 0) return [];
  const targets = await Promise.all(links.map((f) => ctx.readText(f)));
  const missing = links
    .filter((_, i) => {
      const target = targets[i]?.trim();
      const blob = target?.slice(target.lastIndexOf('/') + 1);
      return blob === undefined || blob === '' || !blobs.files.has(blob);
    })
    .map((f) => f.uri.slice(s.node.uri.length + 1, -RCLONE_LINK.length));
  if (missing.length === 0) return [];
  const p = missing.length > 1 ? 's' : '';
  return [`link${p} (rclone --links) to missing blob${p}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`];
}

interface Snapshot {
  node: DirNode;
  files: FileEntry[];
  refs: string[];
  mtime: number;
}

/** Newest first: refs/main, other refs, newest file, name (see the module comment). */
function compareSnapshots(a: Snapshot, b: Snapshot): number {
  const main = (s: Snapshot) => Number(s.refs.includes('main'));
  return main(b) - main(a) || Number(b.refs.length > 0) - Number(a.refs.length > 0) || b.mtime - a.mtime || (a.node.name < b.node.name ? 1 : a.node.name > b.node.name ? -1 : 0);
}

function orderedBy(s: Snapshot, next: Snapshot | undefined): string {
  if (s.refs.includes('main')) return 'named by refs/main';
  if (s.refs.length > 0 && (!next || next.refs.length === 0)) return `named by refs/${s.refs[0]!}`;
  if (next && s.mtime !== next.mtime) return 'newest modification time';
  return next ? 'name, after equal modification times' : 'the only snapshot';
}

/**
 * A snapshot judged without its repo in view (listing started at `snapshots/` or at the snapshot):
 * by its own files; undefined when `node` is not `<repo>/snapshots/<name>` or holds no file.
 */
function rootlessSnapshot(node: DirNode): Found | undefined {
  const snapshotsUri = parentUriOf(node);
  const repoUri = snapshotsUri.slice(0, snapshotsUri.lastIndexOf('/'));
  const m = REPO.exec(lastSegment(repoUri));
  if (lastSegment(snapshotsUri) !== 'snapshots' || !m) return undefined;
  const files = subtreeFiles(node);
  if (files.length === 0) return undefined;
  const extra: Record<string, unknown> = {
    repoId: m[2]!.split('--').join('/'),
    repoType: m[1]!.slice(0, -1),
    revision: node.name,
    note: `the repo's refs/ and blobs/ were not listed: point at ${repoUri} to see which revision refs name and downloads in progress`,
  };
  return dirFound(node, 'hf-hub-cache', null, { problems: danglingProblems(node, files), files, extra });
}

export const hfHubCacheFormat: CheckpointFormat = {
  id: 'hf-hub-cache',
  ids: ['hf-hub-cache'],
  description: 'Hugging Face hub cache: models--org--name/ (datasets--, spaces--) with blobs/, refs/ and snapshots/<commit>/, one checkpoint per snapshot',

  // A snapshot seen without its repo (find or latest started at the snapshot itself).
  claimDir(node) {
    return node.parent ? undefined : rootlessSnapshot(node);
  },

  async claimContainer(node, ctx) {
    const m = REPO.exec(node.name);
    if (!m) {
      // `snapshots/` seen without its repo: its snapshots, newest files first.
      if (node.name !== 'snapshots' || node.parent || !REPO.test(lastSegment(parentUriOf(node)))) return undefined;
      const snaps = [...node.dirs.values()].map((d) => ({ node: d, files: subtreeFiles(d), refs: [], mtime: 0 })).filter((sn) => sn.files.length > 0);
      for (const sn of snaps) sn.mtime = newestMtime(sn.files);
      snaps.sort(compareSnapshots);
      return snaps.map((sn, i) => {
        const found = rootlessSnapshot(sn.node)!;
        found.extra = { ...found.extra, orderedBy: orderedBy(sn, snaps[i + 1]) };
        return found;
      });
    }
    const snapshots = node.dirs.get('snapshots');
    const blobs = node.dirs.get('blobs');
    const refsDir = node.dirs.get('refs');
    if (!snapshots && !blobs && !refsDir) return undefined;
    const repoType = m[1]!.slice(0, -1);
    const repoId = m[2]!.split('--').join('/');
    const refs = await readRefs(refsDir, ctx);
    const incomplete = blobs ? [...blobs.files.values()].filter((f) => INCOMPLETE_BLOB.test(f.name)).map((f) => f.name).sort() : [];
    const named = new Set([...refs.values()].filter((c) => c !== undefined));

    const snaps: Snapshot[] = [...(snapshots?.dirs.values() ?? [])].map((d) => {
      const files = subtreeFiles(d);
      return { node: d, files, refs: [...refs].filter(([, c]) => c === d.name).map(([r]) => r).sort(), mtime: newestMtime(files) };
    });
    // An empty snapshot directory is a revision whose first file is still downloading: only then is it one.
    const present = snaps.filter((s) => s.files.length > 0 || incomplete.length > 0).sort(compareSnapshots);
    const mainNamed = present.some((s) => s.refs.includes('main'));
    const linkProblems = await Promise.all(present.map((s) => rcloneLinkProblems(s, blobs, ctx)));
    return present.map((s, i) => {
      const problems = [...danglingProblems(s.node, s.files), ...linkProblems[i]!];
      if (s.files.length === 0) problems.push('no file yet: the snapshot directory is created before its first file is downloaded');
      const charged = named.size === 0 || named.has(s.node.name);
      if (incomplete.length > 0 && charged) {
        const which = named.size === 0 ? 'no ref says which revision it is for' : 'a ref names this revision';
        problems.push(`blobs/${incomplete[0]!}${incomplete.length > 1 ? ` and ${incomplete.length - 1} more` : ''}: a download in progress or killed (${which})`);
      }
      const extra: Record<string, unknown> = { repoId, repoType, revision: s.node.name, refs: s.refs, orderedBy: orderedBy(s, present[i + 1]) };
      if (!COMMIT.test(s.node.name)) extra.note = 'snapshot name is not a 40-hex commit';
      const found: Found = dirFound(s.node, 'hf-hub-cache', null, { problems, files: s.files, extra });
      found.dir = node.uri;
      // The order's pointer rule (decision 0012) says what compareSnapshots does: the revision
      // refs/main names, else one another ref names, comes before modification times.
      if (s.refs.includes('main')) found.pointedBy = 'refs/main';
      else if (s.refs.length > 0 && !mainNamed) found.pointedBy = `refs/${s.refs[0]!}`;
      return found;
    });
  },
};
