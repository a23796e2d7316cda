/**
 * Uncompressed tar through node-tar's header codec (`Header`, `Pax`: ustar, GNU long names, pax
 * extended headers): headers are read by ranged reads, a window at a time, and member data is
 * skipped by offset, never downloaded. A member read is one ranged read of its bytes.
 */
import { Header, Pax, type HeaderData } from 'tar';
import { ArchiveIndex } from './archive-index.js';
import type { ArchiveLimits } from './limits.js';
import { corrupt, type ArchiveSource } from './source.js';
import type { ArchiveFormat } from './view.js';

/** Where a plain tar member's bytes start. */
export interface TarLoc {
  dataOffset: number;
}

/** Bytes read per header window: consecutive small members cost one read. */
const WINDOW = 64 * 1024;
/** Largest pax or GNU long-name record taken (they hold a name and a few fields). */
const MAX_META = 1024 * 1024;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const META_TYPES = new Set(['ExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath', 'OldExtendedHeader']);

/** How a tar entry type shows in an archive view. */
export function tarKind(type: string): { kind: 'file' | 'directory' | 'other'; reason?: string | undefined } {
  if (FILE_TYPES.has(type)) return { kind: 'file' };
  if (type === 'Directory') return { kind: 'directory' };
  if (type === 'SymbolicLink') return { kind: 'other', reason: 'a symbolic link (links are not followed)' };
  if (type === 'Link') return { kind: 'other', reason: 'a hard link (links are not followed)' };
  return { kind: 'other', reason: `a ${type} entry, not a regular file` };
}

/** The plain tar format of an archive view. */
export function tarFormat(source: ArchiveSource, limits: ArchiveLimits): ArchiveFormat<TarLoc> {
  return {
    rangeReads: true,
    async index(signal) {
      const size = await source.size(signal);
      const fail = (message: string) => corrupt(source.uri, message);
      const index = new ArchiveIndex<TarLoc>(limits, 'last-wins', fail);
      let window = Buffer.alloc(0);
      let windowStart = 0;
      // After a large member the next one is likely large too: read its header alone (and a
      // following one), not a window of data that is skipped anyway.
      let want = WINDOW;
      const bytes = async (pos: number, length: number): Promise<Buffer> => {
        if (pos < windowStart || pos + length > windowStart + window.length) {
          window = Buffer.from(await source.read(pos, Math.max(length, Math.min(want, size - pos)), signal));
          windowStart = pos;
          if (window.length < length) throw fail('the archive ends inside a header (truncated)');
        }
        return window.subarray(pos - windowStart, pos - windowStart + length);
      };
      let ex: HeaderData | undefined;
      let gex: HeaderData | undefined;
      let pos = 0;
      let ended = false;
      while (pos + 512 <= size) {
        const block = await bytes(pos, 512);
        let header: Header;
        try {
          header = new Header(block, 0, ex, gex);
        } catch (error) {
          throw fail(`no valid tar header at byte ${pos}: ${(error as Error).message}`);
        }
        if (header.nullBlock) {
          ended = true;
          break;
        }
        if (!header.cksumValid) throw fail(`no valid tar header at byte ${pos} (not a tar archive, or damaged)`);
        const entrySize = header.size ?? 0;
        const dataOffset = pos + 512;
        const next = dataOffset + Math.ceil(entrySize / 512) * 512;
        if (dataOffset + entrySize > size) throw fail(`member "${header.path}" runs past the end of the archive (truncated)`);
        const type = header.type;
        if (META_TYPES.has(type)) {
          if (entrySize > MAX_META) throw fail(`a ${type} record of ${entrySize} bytes`);
          const text = (await bytes(dataOffset, entrySize)).toString('utf8');
          try {
            if (type === 'ExtendedHeader' || type === 'OldExtendedHeader') ex = Pax.parse(text, ex, false);
            else if (type === 'GlobalExtendedHeader') gex = Pax.parse(text, gex, true);
            else if (type === 'NextFileHasLongPath') ex = { ...ex, path: text.replace(/\0.*$/s, '') };
            else ex = { ...ex, linkpath: text.replace(/\0.*$/s, '') };
          } catch (error) {
            throw fail(`a damaged pax header at byte ${pos}: ${(error as Error).message}`);
          }
          pos = next;
          continue;
        }
        ex = undefined;
        want = entrySize >= WINDOW ? 1024 : WINDOW;
        const kind = tarKind(type);
        index.add(header.path ?? '', { ...kind, size: entrySize, mtime: header.mtime, loc: { dataOffset } });
        pos = next;
      }
      // Ending on a header boundary without the end blocks is tolerated (as GNU tar does); inside one is not.
      if (size < 512) throw fail(size === 0 ? 'an empty file, not a tar archive' : `${size} bytes: smaller than one tar header, not a tar archive`);
      if (!ended && pos !== size) throw fail('the archive ends inside a member (truncated)');
      return index;
    },
    async *stream(member, offset, length, signal) {
      const n = length ?? member.size - offset;
      if (n > 0) yield* source.stream(member.loc.dataOffset + offset, n, signal);
    },
  };
}
