/**
 * What TensorFlow's gfile does on object stores, re-enacted request for request over ckptkit's raw
 * adapters (the same SDK calls: ListObjectsV2, HeadObject, GCS objects.list/get; no planner, no
 * layers), to show in the same run the cost users pay today. Each TensorFlow file-system call is
 * counted as the single cheapest request it can be; TensorFlow often makes more (stat caches
 * aside), so these rows favour TensorFlow.
 *
 * - `tf.io.gfile.walk` (python/lib/io/file_io.py walk_v2): list_directory(top), then
 *   is_directory(child) for every child, one after the other, then the same for each subdirectory.
 * - GetMatchingPaths (glob, and latest_checkpoint's existence check): on GCS,
 *   GcsFileSystem::GetMatchingPaths lists everything under the directory of the fixed prefix,
 *   recursively, whatever the pattern; elsewhere the generic file_system_helper.cc: a pattern
 *   without wildcards is one FileExists, otherwise a breadth-first walk with GetChildren per
 *   directory and IsDirectory per matching child of an inner level, 8 at a time (ForEach).
 * - tf.train.latest_checkpoint (checkpoint_management.py): get_checkpoint_state (file_exists, then
 *   read_file_to_string of the state file), then get_matching_files(prefix + ".index").
 */
import { listEntries } from '@ckptkit/gfile';
import { limiter } from './measure.mjs';

const FOR_EACH_THREADS = 8;
const base = (key) => key.replace(/\/$/, '').slice(key.replace(/\/$/, '').lastIndexOf('/') + 1);

/** GetChildren: every child name of a directory, by paged delimiter listings. */
async function getChildren(adapter, dir) {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const names = [];
  for await (const e of listEntries(adapter, prefix, { delimiter: true })) if (e.key !== prefix) names.push(base(e.key));
  return names;
}

/** IsDirectory: one listing of one key under `path/` (the cheapest form of TensorFlow's check). */
async function isDirectory(adapter, path) {
  const page = await adapter.list(`${path}/`, { pageSize: 1 });
  return page.entries.length > 0;
}

/** FileExists / stat: one metadata request. */
async function fileExists(adapter, key) {
  try {
    await adapter.stat(key);
    return true;
  } catch (error) {
    if (error?.code === 'NOT_FOUND') return false;
    throw error;
  }
}

/** tf.io.gfile.walk(top): yields [dir, subdirs, files] top-down, one request after the other. */
export async function tfWalk(adapter, top) {
  const out = [];
  const visit = async (dir) => {
    const subdirs = [];
    const files = [];
    for (const name of await getChildren(adapter, dir)) {
      if (await isDirectory(adapter, `${dir}/${name}`)) subdirs.push(name);
      else files.push(name);
    }
    out.push([dir, subdirs, files]);
    for (const d of subdirs) await visit(`${dir}/${d}`);
  };
  await visit(top);
  return out;
}

/** A segment matcher for `*` and `?` (enough for the benchmark's patterns). */
function segmentRe(segment) {
  return new RegExp(`^${segment.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

/** GetMatchingPaths(pattern) on `kind` ('s3' or 'gcs'), pattern relative to the bucket. */
export async function tfGlob(adapter, kind, pattern) {
  const firstWild = pattern.search(/[*?[\\]/);
  const fixed = firstWild < 0 ? pattern : pattern.slice(0, firstWild);
  const dir = fixed.slice(0, fixed.lastIndexOf('/'));
  if (kind === 'gcs') {
    const all = [];
    for await (const e of listEntries(adapter, `${dir}/`)) all.push(e.key);
    const full = new RegExp(`^${pattern.split('/').map((s) => segmentRe(s).source.slice(1, -1)).join('/')}$`);
    return all.filter((k) => full.test(k));
  }
  if (firstWild < 0) return (await fileExists(adapter, pattern)) ? [pattern] : [];
  // Breadth-first, level by level, as file_system_helper.cc.
  const levels = pattern.slice(dir.length + 1).split('/');
  let queue = [dir];
  const limit = limiter(FOR_EACH_THREADS);
  for (let i = 0; i < levels.length; i++) {
    const re = segmentRe(levels[i]);
    const last = i === levels.length - 1;
    const next = [];
    await Promise.all(
      queue.map((d) =>
        limit(async () => {
          for (const name of await getChildren(adapter, d)) if (re.test(name)) next.push(`${d}/${name}`);
        }),
      ),
    );
    if (last) return next.sort();
    const isDir = await Promise.all(next.map((p) => limit(() => isDirectory(adapter, p))));
    queue = next.filter((_, j) => isDir[j]);
  }
  return [];
}

/** tf.train.latest_checkpoint(dir): the recorded prefix when its files match, else null. */
export async function tfLatestCheckpoint(adapter, kind, dir) {
  const state = `${dir}/checkpoint`;
  if (!(await fileExists(adapter, state))) return null;
  const text = new TextDecoder().decode(await adapter.read(state));
  const recorded = /model_checkpoint_path:\s*"([^"]*)"/.exec(text)?.[1];
  if (!recorded) return null;
  const prefix = recorded.startsWith('/') ? recorded : `${dir}/${recorded}`;
  const found = await tfGlob(adapter, kind, `${prefix}.index`);
  return found.length > 0 ? prefix : null;
}
