/**
 * Fuzz properties of archive views (decision 0016): mutated tar, tar.gz and zip archives, and tar
 * archives of hostile entries. Invariants: only typed errors (CORRUPT, NOT_SUPPORTED), bounded
 * time and allocations, and nothing listed that could leave an extraction directory.
 */
import fc from 'fast-check';
import { clearMemoryStore, createGFile, isCkptError, type GFile } from '@ckptkit/gfile';
import { makeTar, makeTgz, makeZip, type TarEntry } from '../helpers/archives.js';
import { withAllocationLimit } from './alloc-guard.js';
import { mutation, mutate } from './arbitraries.js';

/** The property shape of `properties.ts` (kept here to avoid an import cycle). */
export interface ArchiveFuzzProperty {
  name: string;
  weight: number;
  make(): fc.IAsyncPropertyWithHooks<unknown[]>;
}

const LIMIT_MS = 2000;
/** Deflate inflates at most about 1032:1; an honest read allocates no more than that of its input. */
const allowance = (n: number) => 256 * 1024 + 1100 * n;

const gfile: GFile = createGFile({ retry: false, archiveLimits: { ratioFloor: 1024 * 1024, maxRatio: 100, maxMembers: 5000 } });
let store = 0;

const BASE: TarEntry[] = [
  { path: 'run/', type: 'Directory' },
  { path: 'run/checkpoint', data: 'model_checkpoint_path: "ckpt-1"\n' },
  { path: 'run/ckpt-1.index', data: Uint8Array.from({ length: 300 }, (_, i) => (i * 31) & 0xff) },
  { path: 'run/ckpt-1.data-00000-of-00001', data: Uint8Array.from({ length: 1500 }, (_, i) => (i * 7 + (i >> 3)) & 0xff) },
  { path: 'run/zeros', data: new Uint8Array(4000) },
  { path: 'other/a b#c!d::e.tar.gz/x', data: 'x' },
];

let pool: Promise<{ scheme: 'tar' | 'zip'; name: string; bytes: Uint8Array }[]> | undefined;
function archivePool() {
  return (pool ??= (async () => [
    { scheme: 'tar' as const, name: 'a.tar', bytes: makeTar(BASE) },
    { scheme: 'tar' as const, name: 'a.tar.gz', bytes: makeTgz(BASE) },
    { scheme: 'zip' as const, name: 'a.zip', bytes: await makeZip(BASE.filter((e) => e.type !== 'Directory').map((e) => ({ path: e.path, data: e.data }))) },
    { scheme: 'zip' as const, name: 'b.zip', bytes: await makeZip(BASE.filter((e) => e.type !== 'Directory').map((e) => ({ path: e.path, data: e.data, compress: false })), { zip64: true }) },
  ])());
}

/** Lists an archive and reads every member; any error must be a typed one this input may cause. */
async function readEverything(scheme: 'tar' | 'zip', name: string, bytes: Uint8Array): Promise<string[]> {
  const s = `fuzz-archive-${store++}`;
  const archive = `memory://${s}/${name}`;
  await gfile.writeFile(archive, bytes);
  const t0 = performance.now();
  const listed: string[] = [];
  try {
    await withAllocationLimit(allowance(bytes.length), async () => {
      try {
        for await (const f of gfile.list(`${scheme}:${archive}!/`, { recursive: true })) if (f.kind === 'file') listed.push(f.uri);
        for (const uri of listed) {
          try {
            await gfile.readFile(uri);
          } catch (e) {
            if (!isCkptError(e, 'CORRUPT') && !isCkptError(e, 'NOT_SUPPORTED')) throw e;
          }
        }
      } catch (e) {
        if (!isCkptError(e, 'CORRUPT')) throw new Error(`archive view threw something other than a typed error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`, { cause: e });
      }
    });
  } finally {
    clearMemoryStore(s);
  }
  const ms = performance.now() - t0;
  if (ms > LIMIT_MS) throw new Error(`archive view took ${Math.round(ms)} ms on one input (limit ${LIMIT_MS} ms)`);
  return listed;
}

/** True when a listed member key could not leave an extraction directory. */
function safeKey(uri: string): boolean {
  const key = uri.slice(uri.indexOf('!/') + 2);
  return !key.startsWith('/') && !key.includes('\\') && !/^[A-Za-z]:/.test(key) && !key.split('/').some((s) => s === '..' || s === '.' || s === '') && !key.includes('\0');
}

const hostileName = fc.oneof(
  fc.constantFrom('../x', '/abs', 'C:\\x', 'C:x', '\\\\host\\share', 'a/../../b', './a/./b', 'a//b', '..', '.', '', 'a/..', 'ok', 'ok/file', 'run/ckpt-1.index', 'a\0b'),
  fc.array(fc.constantFrom('a', '..', '.', '', 'b!', '#', '::', 'x.tar.gz', 'C:', '\\'), { minLength: 1, maxLength: 5 }).map((s) => s.join('/')),
);

export const ARCHIVE_PROPERTIES: ArchiveFuzzProperty[] = [
  {
    name: 'archive views: tar, tar.gz and zip with byte-level mutations',
    weight: 10,
    make: () =>
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (pick, mutations) => {
        const all = await archivePool();
        const a = all[pick % all.length]!;
        const listed = await readEverything(a.scheme, a.name, mutate(a.bytes, mutations));
        for (const uri of listed) if (!safeKey(uri)) throw new Error(`listed an unsafe member: ${uri}`);
      }),
  },
  {
    name: 'archive views: tar of hostile names, links and duplicates never lists an unsafe member',
    weight: 5,
    make: () =>
      fc.asyncProperty(
        fc.array(
          fc.record({
            path: hostileName,
            type: fc.constantFrom('File' as const, 'File' as const, 'Directory' as const, 'SymbolicLink' as const, 'Link' as const, 'FIFO' as const),
            data: fc.string({ maxLength: 20 }),
            linkpath: fc.constantFrom('/etc/passwd', '../../x', 'ok'),
          }),
          { maxLength: 12 },
        ),
        fc.boolean(),
        async (entries, gz) => {
          const tar: TarEntry[] = entries
            .filter((e) => e.path !== '' && !e.path.includes('\0'))
            .map((e) => ({ path: e.path, type: e.type, data: e.type === 'File' ? e.data : undefined, linkpath: e.type === 'SymbolicLink' || e.type === 'Link' ? e.linkpath : undefined }));
          const listed = await readEverything('tar', gz ? 'h.tar.gz' : 'h.tar', gz ? makeTgz(tar) : makeTar(tar));
          for (const uri of listed) {
            if (!safeKey(uri)) throw new Error(`listed an unsafe member: ${uri}`);
          }
        },
      ),
  },
];
