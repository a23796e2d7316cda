import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createMemoryAdapter } from './memory-adapter.js';
import { isRangedBody, openRange, rangedBody, type BodyRange } from './ranged-body.js';
import { failedInSource, isReplayable } from './replayable.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);

/** Ranges of `data` of `step` bytes, each delivered in chunks of `chunk` bytes; opens are counted. */
function rangesOf(data: Uint8Array, step: number, chunk = 64): { ranges: BodyRange[]; opens: number[] } {
  const opens: number[] = [];
  const ranges: BodyRange[] = [];
  for (let offset = 0; offset < data.length; offset += step) {
    const length = Math.min(step, data.length - offset);
    ranges.push({
      offset,
      length,
      async *open() {
        opens.push(offset);
        for (let at = offset; at < offset + length; at += chunk) yield data.slice(at, Math.min(offset + length, at + chunk));
      },
    });
  }
  return { ranges, opens };
}

async function concat(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

afterEach(() => clearMemoryStore('ranged'));

describe('rangedBody', () => {
  it('iterates as one stream, the ranges in order, afresh on each iteration (replayable)', async () => {
    const { ranges, opens } = rangesOf(bytes, 300);
    const body = rangedBody(ranges, { concurrency: 3 });
    expect(isRangedBody(body) && isReplayable(body)).toBe(true);
    expect(body.size).toBe(1000);
    expect(body.concurrency).toBe(3);
    expect(await concat(body)).toEqual(bytes);
    expect(await concat(body)).toEqual(bytes);
    expect(opens).toEqual([0, 300, 600, 900, 0, 300, 600, 900]);
    expect(isRangedBody(new Uint8Array(1))).toBe(false);
  });

  it('is written whole by a store that takes it as a plain stream (memory)', async () => {
    const adapter = createMemoryAdapter('ranged');
    expect(adapter.capabilities.rangedWrites).toBeFalsy();
    await adapter.write('k', rangedBody(rangesOf(bytes, 128).ranges));
    expect(await adapter.read('k')).toEqual(bytes);
  });

  it('refuses ranges that leave a gap, overlap, start elsewhere than 0 or are empty', () => {
    const r = (offset: number, length: number): BodyRange => ({ offset, length, open: async function* () {} });
    expect(() => rangedBody([r(0, 10), r(11, 5)])).toThrow(RangeError);
    expect(() => rangedBody([r(0, 10), r(9, 5)])).toThrow(RangeError);
    expect(() => rangedBody([r(1, 10)])).toThrow(RangeError);
    expect(() => rangedBody([r(0, 0)])).toThrow(RangeError);
    expect(() => rangedBody([r(0, 1.5)])).toThrow(RangeError);
    expect(rangedBody([]).size).toBe(0);
  });

  it("marks a range's own failure as the source's, in both ways of reading it", async () => {
    const broken: BodyRange = {
      offset: 0,
      length: 10,
      async *open() {
        yield new Uint8Array(4);
        throw new Error('connection reset');
      },
    };
    const sequential = await concat(rangedBody([broken])).catch((e: unknown) => e);
    expect(failedInSource(sequential)).toBe(true);
    const concurrent = await concat(openRange(broken, undefined)).catch((e: unknown) => e);
    expect(failedInSource(concurrent)).toBe(true);
  });

  it('passes the signal to the range it opens', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const range: BodyRange = {
      offset: 0,
      length: 1,
      async *open(signal) {
        seen.push(signal);
        yield new Uint8Array(1);
      },
    };
    const controller = new AbortController();
    await concat(openRange(range, controller.signal));
    expect(seen).toEqual([controller.signal]);
  });
});
