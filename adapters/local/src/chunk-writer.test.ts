import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasableChunk } from '@ckptkit/gfile';
import { writeChunks } from './chunk-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-chunk-writer-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function* chunksOf(data: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    yield data.subarray(off, off + n);
    off += n;
    // A producer may hand out empty chunks too.
    if (i % 7 === 3) yield new Uint8Array(0);
  }
}

/** A file handle whose writev writes at most `limit` bytes per call, with a delay, counting calls in flight. */
function stingyHandle(real: FileHandle, limit: number, failAt?: number) {
  const state = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const handle = {
    async writev(buffers: Uint8Array[], position: number) {
      state.calls++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        if (failAt !== undefined && position >= failAt) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        const joined = Buffer.concat(buffers).subarray(0, limit);
        return await real.write(joined, 0, joined.length, position);
      } finally {
        state.inFlight--;
      }
    },
  } as unknown as FileHandle;
  return { handle, state };
}

describe('writeChunks', () => {
  it('writes exactly the bytes given, whatever the chunk sizes, through the thread pool or on the event loop', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    for (const onEventLoop of [false, true]) {
      for (const sizes of [[1], [65_536], [3 * 1024 * 1024, 17, 1 << 20], [999_999, 1]]) {
        const file = path.join(dir, `exact-${onEventLoop}-${sizes.join('-')}`);
        const h = await fs.open(file, 'w');
        const n = await writeChunks(h, chunksOf(data, sizes), { onEventLoop, start: 0 });
        await h.close();
        expect(n).toBe(data.length);
        expect((await fs.readFile(file)).equals(data)).toBe(true);
      }
    }
  });

  it('on the event loop, hands a full batch back before the next chunk is read, and fails a refused write without handing anything back', async () => {
    const MiB = 1 << 20;
    const file = path.join(dir, 'event-loop');
    const h = await fs.open(file, 'w');
    const pending = new Set<number>();
    let lateReleases = 0;
    async function* produce(count: number): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < count; i++) {
        // A producer reusing its buffer needs the last one back before it reads the next.
        if (pending.size > 0) lateReleases++;
        pending.add(i);
        yield releasableChunk(Buffer.alloc(MiB, i), () => pending.delete(i));
      }
    }
    expect(await writeChunks(h, produce(6), { onEventLoop: true, start: 10 })).toBe(6 * MiB);
    await h.close();
    expect(lateReleases).toBe(0);
    expect(pending.size).toBe(0);
    const written = await fs.readFile(file);
    expect(written.byteLength).toBe(10 + 6 * MiB);
    expect(written[10 + 5 * MiB]).toBe(5);
    // A handle opened read-only: the first write fails (EBADF), typed by the caller; nothing is handed back.
    const readOnly = await fs.open(file, 'r');
    await expect(writeChunks(readOnly, produce(3), { onEventLoop: true })).rejects.toMatchObject({ code: 'EBADF' });
    await readOnly.close();
    expect(pending.size).toBe(1);
  });

  it('finishes partial writes, with several batches in flight at once', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const file = path.join(dir, 'partial');
    const real = await fs.open(file, 'w');
    const { handle, state } = stingyHandle(real, 300_000);
    expect(await writeChunks(handle, chunksOf(data, [65_536]))).toBe(data.length);
    await real.close();
    expect((await fs.readFile(file)).equals(data)).toBe(true);
    expect(state.maxInFlight).toBeGreaterThan(1);
    expect(state.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('hands each chunk back once its bytes are written, never before (a producer may then read into it again)', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 5);
    const file = path.join(dir, 'released');
    const real = await fs.open(file, 'w');
    const { handle } = stingyHandle(real, 300_000);
    let marked = 0;
    let released = 0;
    let releasedBytes = 0;
    async function* reused(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunksOf(data, [1 << 20, 65_536])) {
        // A copy, as a reading producer's own buffer; released, it is scribbled over as a reuse would.
        const own = Buffer.from(chunk);
        marked++;
        yield releasableChunk(own, () => {
          released++;
          if (own.byteLength > 0) releasedBytes += own.byteLength;
          own.fill(0xee);
        });
      }
    }
    expect(await writeChunks(handle, reused())).toBe(data.length);
    await real.close();
    expect((await fs.readFile(file)).equals(data)).toBe(true);
    expect(released).toBe(marked);
    expect(releasedBytes).toBe(data.length);
    // No byte is handed back when the write fails (empty chunks, which have none to write, are).
    const failing = await fs.open(path.join(dir, 'released-fail'), 'w');
    const broken = stingyHandle(failing, 1 << 30, 0);
    releasedBytes = 0;
    await expect(writeChunks(broken.handle, reused())).rejects.toThrow(/ENOSPC/);
    await failing.close();
    expect(releasedBytes).toBe(0);
  });

  it('a failing write fails the whole, after every write started has ended', async () => {
    const real = await fs.open(path.join(dir, 'fail'), 'w');
    const { handle, state } = stingyHandle(real, 1 << 30, 2 * 1024 * 1024);
    await expect(writeChunks(handle, chunksOf(randomBytes(8 * 1024 * 1024), [65_536]))).rejects.toThrow(/ENOSPC/);
    expect(state.inFlight).toBe(0);
    await real.close();
  });

  it('a failing source fails the whole, after every write started has ended', async () => {
    const real = await fs.open(path.join(dir, 'source'), 'w');
    const { handle, state } = stingyHandle(real, 1 << 30);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield* chunksOf(randomBytes(3 * 1024 * 1024), [65_536]);
      throw new Error('connection reset');
    }
    await expect(writeChunks(handle, broken())).rejects.toThrow('connection reset');
    expect(state.calls).toBeGreaterThan(0);
    expect(state.inFlight).toBe(0);
    await real.close();
  });

  it('flushes to disk every syncEveryBytes while writing, one flush at a time, all ended before it returns', async () => {
    const file = path.join(dir, 'synced');
    const real = await fs.open(file, 'w');
    const state = { syncs: 0, inFlight: 0, maxInFlight: 0, pending: 0 };
    const handle = {
      writev: (b: Uint8Array[], p: number) => real.writev(b, p),
      async datasync() {
        state.syncs++;
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        await new Promise((r) => setTimeout(r, 5));
        state.inFlight--;
      },
    } as unknown as FileHandle;
    const data = randomBytes(16 * 1024 * 1024);
    // A source that delivers 1 MiB every 3 ms, as a download does: flushes of 5 ms overlap it.
    async function* paced(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < data.length; off += 1024 * 1024) {
        await new Promise((r) => setTimeout(r, 3));
        yield data.subarray(off, off + 1024 * 1024);
      }
    }
    expect(await writeChunks(handle, paced(), { syncEveryBytes: 2 * 1024 * 1024 })).toBe(data.length);
    expect(state.inFlight).toBe(0);
    expect(state.syncs).toBeGreaterThanOrEqual(2);
    expect(state.syncs).toBeLessThanOrEqual(8);
    expect(state.maxInFlight).toBe(1);
    // Without the option, no flush at all.
    state.syncs = 0;
    await writeChunks(handle, chunksOf(data, [65_536]));
    expect(state.syncs).toBe(0);
    await real.close();
    expect((await fs.readFile(file)).equals(data)).toBe(true);
  });

  it('a failing flush fails the whole', async () => {
    const real = await fs.open(path.join(dir, 'sync-fail'), 'w');
    const handle = {
      writev: (b: Uint8Array[], p: number) => real.writev(b, p),
      datasync: async () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
    } as unknown as FileHandle;
    await expect(writeChunks(handle, chunksOf(randomBytes(8 * 1024 * 1024), [65_536]), { syncEveryBytes: 1024 * 1024 })).rejects.toThrow(/EIO/);
    await real.close();
  });
});
