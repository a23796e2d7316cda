/**
 * `.tar.gz` through Node's zlib and node-tar's streaming parser: the index is one streamed pass
 * (memory bounded by the parser's buffers, never the archive), which also keeps the bytes of
 * small members (state files, `.index` files, configs) so that `find` and `inspect` of an
 * archive read it once. A larger member is another streamed pass to it.
 */
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { CkptError, isCkptError, throwIfAborted } from '../errors.js';
import { ArchiveIndex } from './archive-index.js';
import type { ArchiveLimits } from './limits.js';
import { corrupt, drained, type ArchiveSource } from './source.js';
import { tarKind } from './tar.js';
import type { ArchiveFormat } from './view.js';

/** Where a `.tar.gz` member is: its place in the entry order, and its bytes when the pass kept them. */
export interface TgzLoc {
  ordinal: number;
  cached?: Buffer | undefined;
}

/**
 * Runs one pass over the archive: gunzip, parse, `onEntry` per entry (it consumes or ignores the
 * entry's data), until `onEntry` calls `stop` or the archive ends. Decompressed bytes are
 * bounded by the limits (total size, ratio to compressed bytes).
 */
async function pass(source: ArchiveSource, limits: ArchiveLimits, signal: AbortSignal | undefined, onEntry: (entry: ReadEntry, ordinal: number, stop: () => void) => Promise<void> | void): Promise<void> {
  const fail = (message: string) => corrupt(source.uri, message);
  const controller = new AbortController();
  const stopSource = () => controller.abort();
  signal?.addEventListener('abort', stopSource, { once: true });
  const gunzip = createGunzip();
  const parser = new Parser({ strict: true });
  let failure: unknown;
  let stopped = false;
  let ordinal = 0;
  let compressed = 0;
  let plain = 0;
  const pending: Promise<void>[] = [];
  parser.on('entry', (entry: ReadEntry) => {
    if (stopped) {
      entry.resume();
      return;
    }
    const r = onEntry(entry, ordinal++, () => {
      stopped = true;
      controller.abort();
    });
    if (r instanceof Promise) pending.push(r.catch((e: unknown) => void (failure ??= e)));
  });
  parser.on('error', (e: unknown) => void (failure ??= e));
  parser.on('warn', (code: string, message: string | Error) => void (failure ??= fail(`${code}: ${message instanceof Error ? message.message : message}`)));
  let ended = false;
  parser.on('end', () => (ended = true));
  const feed = (async () => {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      plain += chunk.length;
      if (plain > limits.maxTotalSize) throw fail(`decompresses to more than ${limits.maxTotalSize} bytes (the limit of an archive view)`);
      if (plain > limits.ratioFloor && plain > compressed * limits.maxRatio) throw fail(`decompresses ${compressed} bytes to more than ${plain} (a gzip bomb?)`);
      if (!parser.write(chunk)) await drained(parser as unknown as NodeJS.EventEmitter);
      if (failure !== undefined || stopped) break;
    }
    if (!stopped && failure === undefined) await new Promise<void>((r) => parser.end(r));
  })();
  try {
    const read = (async () => {
      try {
        for await (const chunk of source.stream(0, undefined, controller.signal)) {
          compressed += chunk.length;
          if (gunzip.destroyed) break;
          if (!gunzip.write(chunk)) await drained(gunzip);
          if (failure !== undefined || stopped || gunzip.destroyed) break;
        }
        if (!gunzip.destroyed) gunzip.end();
      } catch (error) {
        if (!stopped) gunzip.destroy(error as Error);
        else if (!gunzip.destroyed) gunzip.end();
      }
    })();
    try {
      await feed;
    } catch (error) {
      failure ??= error;
    }
    controller.abort();
    await read;
    // A failed pass leaves an entry unfinished: its 'end' never comes, so nothing waits for it.
    if (failure === undefined) await Promise.all(pending);
  } finally {
    signal?.removeEventListener('abort', stopSource);
    gunzip.destroy();
  }
  throwIfAborted(signal, 'read', source.uri);
  if (failure !== undefined) {
    if (isCkptError(failure)) throw failure;
    const message = (failure as Error)?.message ?? String(failure);
    throw fail(/unexpected end|truncated/i.test(message) ? `the archive ends early (truncated): ${message}` : `not a readable .tar.gz: ${message}`);
  }
  if (!stopped && !ended && ordinal === 0) throw fail('not a readable .tar.gz');
}

/** The `.tar.gz` format of an archive view. */
export function tgzFormat(source: ArchiveSource, limits: ArchiveLimits): ArchiveFormat<TgzLoc> {
  return {
    rangeReads: false,
    async index(signal) {
      const index = new ArchiveIndex<TgzLoc>(limits, 'last-wins', (m) => corrupt(source.uri, m));
      let cachedTotal = 0;
      await pass(source, limits, signal, (entry, ordinal) => {
        const kind = tarKind(entry.type);
        const size = entry.size ?? 0;
        const loc: TgzLoc = { ordinal };
        index.add(entry.path, { ...kind, size, mtime: entry.mtime, loc });
        if (kind.kind === 'file' && size <= limits.cacheMemberBytes && cachedTotal + size <= limits.cacheTotalBytes) {
          cachedTotal += size;
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => chunks.push(c));
          return new Promise<void>((resolve) => entry.on('end', () => {
            loc.cached = Buffer.concat(chunks);
            resolve();
          }));
        }
        entry.resume();
      });
      return index;
    },
    async *stream(member, offset, length, signal) {
      const end = length === undefined ? member.size : offset + length;
      if (member.loc.cached) {
        yield member.loc.cached.subarray(offset, end);
        return;
      }
      // Another pass, to this member: its chunks go through a small queue to the caller.
      const queue: Buffer[] = [];
      let done = false;
      let wake: (() => void) | undefined;
      let error: unknown;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      let found = false;
      let resumeEntry: (() => void) | undefined;
      let stopPass: (() => void) | undefined;
      let cancelled = false;
      const running = pass(source, limits, signal, (entry, ordinal, stop) => {
        stopPass = stop;
        if (cancelled) {
          stop();
          entry.resume();
          return;
        }
        if (ordinal !== member.loc.ordinal) {
          entry.resume();
          return;
        }
        found = true;
        let pos = 0;
        entry.on('data', (c: Buffer) => {
          if (cancelled) return;
          const from = Math.max(0, offset - pos);
          const to = Math.min(c.length, end - pos);
          pos += c.length;
          if (to > from) queue.push(c.subarray(from, to));
          // Backpressure: the parser (and so gunzip and the download) waits while the caller is behind.
          if (queue.length >= 16) entry.pause();
          notify();
        });
        resumeEntry = () => entry.resume();
        return new Promise<void>((resolve) => entry.on('end', () => {
          stop();
          resolve();
        }));
      }).then(
        () => {
          done = true;
          notify();
        },
        (e: unknown) => {
          error = e;
          done = true;
          notify();
        },
      );
      try {
        while (true) {
          if (queue.length > 0) {
            const chunk = queue.shift()!;
            if (queue.length < 4) resumeEntry?.();
            yield chunk;
            continue;
          }
          if (done) break;
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        // A caller that stops early (a ranged read, an abort) ends the pass: the paused entry is let go.
        cancelled = true;
        stopPass?.();
        resumeEntry?.();
        await running;
      }
      if (error !== undefined) throw error;
      if (!found) throw new CkptError('CORRUPT', { operation: 'read', uri: source.uri, message: `member "${member.key}" was not found on a second pass (the archive changed?)` });
    },
  };
}
