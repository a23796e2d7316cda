/**
 * Archive views (decision 0016): a `.tar`, `.tar.gz`/`.tgz` or `.zip` on any store shown as a
 * read-only store of its members. Loaded on the first archive URI only, so that nothing else pays
 * for the format libraries.
 */
import type { StorageAdapter } from '../adapter.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './limits.js';
import type { ArchiveScheme } from './member-uri.js';
import { adapterSource, type ArchiveSource } from './source.js';
import { tarFormat } from './tar.js';
import { tgzFormat } from './tgz.js';
import { createArchiveView, type ArchiveFormat } from './view.js';
import { zipFormat } from './zip.js';

export { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './limits.js';
export { adapterSource, type ArchiveSource } from './source.js';

/** Options of {@link createArchiveAdapter}. */
export interface ArchiveAdapterOptions {
  scheme: ArchiveScheme;
  /** The archive's URI (member URIs are spelled on it). */
  archiveUri: string;
  /** The archive's adapter (layered: its requests are what is counted and retried) and key. */
  adapter: StorageAdapter;
  key: string;
  limits?: Partial<ArchiveLimits> | undefined;
}

/**
 * A read-only adapter whose keys are the members of one archive (see {@link createArchiveView}).
 * `zip`: the zip format. `tar`: gzip-compressed when the name ends in `.gz`/`.tgz`/`.gzip` or the
 * first bytes say so, else plain tar. Makes no request until its first operation.
 */
export function createArchiveAdapter(options: ArchiveAdapterOptions): StorageAdapter {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const source = adapterSource(options.adapter, options.key, options.archiveUri);
  const format: ArchiveFormat<unknown> =
    options.scheme === 'zip' ? (zipFormat(source, limits) as ArchiveFormat<unknown>) : (tarOrTgz(source, limits, options.key) as ArchiveFormat<unknown>);
  return createArchiveView({ scheme: options.scheme, archiveUri: options.archiveUri }, format);
}

function tarOrTgz(source: ArchiveSource, limits: ArchiveLimits, key: string): ArchiveFormat<unknown> {
  if (/\.(gz|tgz|gzip)$/i.test(key)) return tgzFormat(source, limits) as ArchiveFormat<unknown>;
  if (/\.tar$/i.test(key)) return tarFormat(source, limits) as ArchiveFormat<unknown>;
  // A name that does not say: the first two bytes do (gzip's magic 1f 8b).
  let chosen: Promise<ArchiveFormat<unknown>> | undefined;
  const choose = (signal?: AbortSignal) =>
    (chosen ??= source.read(0, 2, signal).then((b) => (b[0] === 0x1f && b[1] === 0x8b ? tgzFormat(source, limits) : tarFormat(source, limits)) as ArchiveFormat<unknown>));
  return {
    rangeReads: false,
    async index(signal) {
      return (await choose(signal)).index(signal);
    },
    async *stream(member, offset, length, signal) {
      yield* (await choose(signal)).stream(member, offset, length, signal);
    },
    async scan(prefix, visit, signal, known, wants) {
      const format = await choose(signal);
      return format.scan ? format.scan(prefix, visit, signal, known, wants) : undefined;
    },
  };
}
