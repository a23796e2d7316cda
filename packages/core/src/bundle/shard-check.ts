/**
 * The deep check of one data shard: its tensors grouped into windows (one ranged read each, or
 * stretches of one stream of the whole shard), each window's bytes fed in order to the checksum
 * of every tensor it covers. The results name entries by their place in the index, so that a
 * shard checked while a pass streamed it (decision 0016) gives what a ranged check gives.
 */
import type { ByteSource } from './byte-source.js';
import { streamRange } from './byte-source.js';
import { crc32cCombine, extendCrc32c } from './crc.js';
import { dtypeLayout } from './dtypes.js';
import type { BundleIndexEntry } from './index-reader.js';
import { RawChecker, StringChecker, VariantChecker, compareCrc, type CheckOutcome, type TensorChecker } from './tensor-checksum.js';

/** An index entry whose bytes lie within its shard, ready to be checked. */
export interface Located {
  /** Position in the index's entries (key order), for a deterministic problem order. */
  i: number;
  entry: BundleIndexEntry;
  numElements: number | undefined;
  shard: ByteSource;
}

/** What checking one entry found: its checksum's outcome, or the byte at which its shard ended. */
export type EntryResult = { i: number; outcome: CheckOutcome } | { i: number; shortAt: number };

/** How a shard's tensors are grouped into reads. */
export interface WindowOptions {
  /** Largest range one window covers; a larger raw tensor is split into pieces. */
  windowSize: number;
  /** Largest single read of a source that cannot stream. */
  readSize: number;
  /** Unused bytes between two tensors that a window reads rather than splitting. */
  maxGap: number;
}

/** A tensor's bytes within one window; raw tensors split across windows are `piece`s combined later. */
interface Segment {
  l: Located;
  /** Absolute byte range within the shard. */
  from: number;
  to: number;
  checker: TensorChecker | undefined;
  piece?: { crcs: number[]; index: number; crc: number } | undefined;
  done: boolean;
}

/** One ranged request: a stretch of a shard covering whole small tensors or one piece of a big one. */
export interface Window {
  shard: ByteSource;
  start: number;
  end: number;
  segments: Segment[];
}

function makeChecker(l: Located): TensorChecker | undefined {
  const layout = dtypeLayout(l.entry.dtype);
  if (layout === 'raw') return new RawChecker(l.entry.crc32c);
  if (l.numElements === undefined) return undefined;
  return layout === 'string'
    ? new StringChecker(l.numElements, l.entry.size, l.entry.crc32c)
    : new VariantChecker(l.numElements, l.entry.size, l.entry.crc32c);
}

/**
 * The check of one shard's entries (`list`: that shard's, in offset order). Feed it by
 * {@link ShardCheck.checkWindow} (ranged reads) or {@link ShardCheck.checkStream} (the whole shard
 * as one stream), then take {@link ShardCheck.finish}.
 */
export class ShardCheck {
  readonly windows: Window[] = [];
  private readonly pieced: Array<{ l: Located; crcs: number[]; pieceSizes: number[] }> = [];
  private readonly results: EntryResult[] = [];
  private readonly short = new Set<Located>();

  constructor(
    list: readonly Located[],
    private readonly options: WindowOptions,
  ) {
    const { windowSize, maxGap } = options;
    const segment = (l: Located, from: number, to: number, piece?: Segment['piece']): Segment => ({ l, from, to, checker: piece ? undefined : makeChecker(l), piece, done: false });
    let cur: Window | undefined;
    for (const l of list) {
      const { offset, size } = l.entry;
      const checker = makeChecker(l);
      if (!checker) continue; // shape problem already reported
      if (size === 0) {
        this.results.push({ i: l.i, outcome: checker.finish() });
        continue;
      }
      if (size > windowSize && dtypeLayout(l.entry.dtype) === 'raw') {
        // Checksum pieces in parallel and combine them in order.
        const count = Math.ceil(size / windowSize);
        const crcs = new Array<number>(count).fill(0);
        const pieceSizes: number[] = [];
        for (let k = 0; k < count; k++) {
          const from = offset + k * windowSize;
          const to = Math.min(offset + size, from + windowSize);
          pieceSizes.push(to - from);
          this.windows.push({ shard: l.shard, start: from, end: to, segments: [segment(l, from, to, { crcs, index: k, crc: 0 })] });
        }
        this.pieced.push({ l, crcs, pieceSizes });
        continue;
      }
      if (size > windowSize) {
        // Strings and variants are checked in order: one window of their own, however long.
        this.windows.push({ shard: l.shard, start: offset, end: offset + size, segments: [segment(l, offset, offset + size)] });
        continue;
      }
      if (cur && offset >= cur.start && offset - cur.end <= maxGap && Math.max(cur.end, offset + size) - cur.start <= windowSize) {
        cur.end = Math.max(cur.end, offset + size);
        cur.segments.push(segment(l, offset, offset + size));
      } else {
        cur = { shard: l.shard, start: offset, end: offset + size, segments: [segment(l, offset, offset + size)] };
        this.windows.push(cur);
      }
    }
  }

  /** Checks one window by ranged reads of its shard. */
  async checkWindow(w: Window, signal: AbortSignal | undefined): Promise<void> {
    const reader = this.reader(w);
    let at = w.start;
    for await (const chunk of streamRange(w.shard, w.start, w.end - w.start, this.options.readSize, signal)) {
      reader.feed(at, chunk);
      at += chunk.length;
      if (reader.done) break;
    }
    reader.finish();
  }

  /** Checks every window from `body`, the shard's bytes from its first, in order; stops reading after the last window. */
  async checkStream(body: AsyncIterable<Uint8Array>): Promise<void> {
    const list = [...this.windows].sort((a, b) => a.start - b.start);
    const readers = list.map((w) => this.reader(w));
    let lo = 0;
    let at = 0;
    for await (const chunk of body) {
      const end = at + chunk.length;
      while (lo < readers.length && readers[lo]!.done) lo++;
      for (let k = lo; k < list.length && list[k]!.start < end; k++) readers[k]!.feed(at, chunk);
      at = end;
      if (lo >= readers.length) break;
    }
    for (const r of readers) r.finish();
  }

  /** Records every window as unread (the shard was not there to read). */
  unread(): void {
    for (const w of this.windows) this.reader(w).finish();
  }

  /** The results of every entry checked (a raw tensor read in pieces: their checksums combined). */
  finish(): EntryResult[] {
    for (const { l, crcs, pieceSizes } of this.pieced) {
      if (this.short.has(l)) continue;
      let crc = crcs[0] as number;
      for (let k = 1; k < crcs.length; k++) crc = crc32cCombine(crc, crcs[k] as number, pieceSizes[k] as number);
      this.results.push({ i: l.i, outcome: compareCrc(crc, l.entry.crc32c) });
    }
    this.pieced.length = 0;
    return this.results;
  }

  /** Checks a window from bytes in order: `feed(at, chunk)` with the chunk's shard offset. */
  private reader(w: Window) {
    let pos = w.start;
    let first = 0; // segments before this one are complete
    const truncated = (l: Located, got: number): void => {
      if (this.short.has(l)) return;
      this.short.add(l);
      this.results.push({ i: l.i, shortAt: got });
    };
    return {
      get done() {
        return pos >= w.end;
      },
      feed: (at: number, bytes: Uint8Array): void => {
        if (at > pos || at + bytes.length <= pos || pos >= w.end) return;
        const chunk = bytes.subarray(pos - at);
        const end = Math.min(pos + chunk.length, w.end);
        for (let k = first; k < w.segments.length; k++) {
          const s = w.segments[k] as Segment;
          if (s.from >= end) break;
          if (s.done || s.to <= pos) continue;
          const view = chunk.subarray(Math.max(s.from, pos) - pos, Math.min(s.to, end) - pos);
          if (s.piece) s.piece.crc = extendCrc32c(s.piece.crc, view);
          else s.checker?.update(view);
          if (s.to <= end) {
            s.done = true;
            if (s.piece) s.piece.crcs[s.piece.index] = s.piece.crc;
            else this.results.push({ i: s.l.i, outcome: (s.checker as TensorChecker).finish() });
          }
        }
        while (first < w.segments.length && (w.segments[first] as Segment).done) first++;
        pos = end;
      },
      finish: (): void => {
        for (const s of w.segments) if (!s.done) truncated(s.l, pos);
      },
    };
  }
}
