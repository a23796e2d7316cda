import { describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../adapter.js';
import { CkptError, isCkptError } from '../errors.js';
import { createMemoryAdapter } from '../memory-adapter.js';
import { withConcurrencyLimit } from './concurrency.js';
import { RequestMetrics, withMetrics } from './metrics.js';
import { isReplayable, replayable } from '../replayable.js';
import { withRetry } from './retry.js';

let n = 0;
const fresh = () => createMemoryAdapter(`layers-${++n}`);

/** An adapter whose named method fails `times` times with `code`, then delegates. */
function flaky(inner: StorageAdapter, method: 'stat' | 'read' | 'list' | 'write' | 'delete', code: CkptError['code'], times: number) {
  let calls = 0;
  const original = inner[method].bind(inner) as (...a: unknown[]) => Promise<unknown>;
  const wrapped = { ...inner } as StorageAdapter;
  (wrapped as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    calls++;
    if (calls <= times) return Promise.reject(new CkptError(code, { operation: method, uri: 'memory://x' }));
    return original(...args);
  };
  return { adapter: wrapped, calls: () => calls };
}

const noDelay = { baseDelayMs: 0, random: () => 0 };

describe('retry layer', () => {
  it('retries retryable errors of idempotent operations until success', async () => {
    const inner = fresh();
    await inner.write('k', new Uint8Array([1]));
    const f = flaky(inner, 'read', 'UNAVAILABLE', 2);
    const r = withRetry(f.adapter, noDelay);
    expect([...(await r.read('k'))]).toEqual([1]);
    expect(f.calls()).toBe(3);
  });

  it('does not retry non-retryable errors', async () => {
    const f = flaky(fresh(), 'stat', 'PERMISSION_DENIED', 5);
    await expect(withRetry(f.adapter, noDelay).stat('k')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(f.calls()).toBe(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const f = flaky(fresh(), 'list', 'RATE_LIMITED', 10);
    await expect(withRetry(f.adapter, { ...noDelay, maxAttempts: 3 }).list('')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(f.calls()).toBe(3);
  });

  it('never retries conditional creates or streamed bodies', async () => {
    const f = flaky(fresh(), 'write', 'UNAVAILABLE', 1);
    const r = withRetry(f.adapter, noDelay);
    await expect(r.write('a', new Uint8Array([1]), { ifNotExists: true })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const g = flaky(fresh(), 'write', 'UNAVAILABLE', 1);
    async function* body() {
      yield new Uint8Array([1]);
    }
    await expect(withRetry(g.adapter, noDelay).write('a', body())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(g.calls()).toBe(1);
    const h = flaky(fresh(), 'write', 'UNAVAILABLE', 1);
    await withRetry(h.adapter, noDelay).write('a', new Uint8Array([1]));
    expect(h.calls()).toBe(2);
  });

  it('retries a replayable stream, re-reading it from the start; never a conditional one', async () => {
    const inner = fresh();
    const f = flaky(inner, 'write', 'UNAVAILABLE', 2);
    let opened = 0;
    const body = replayable(async function* () {
      opened++;
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    });
    await withRetry(f.adapter, noDelay).write('a', body);
    expect(f.calls()).toBe(3);
    expect([...(await inner.read('a'))]).toEqual([1, 2, 3]);
    // The flaky adapter failed before reading the body twice; the third attempt opened it.
    expect(opened).toBe(1);
    // An upload that fails after consuming part of the body starts over from the first byte.
    const partial = { ...inner } as StorageAdapter;
    let attempts = 0;
    partial.write = async (key, b, o) => {
      if (++attempts === 1) {
        for await (const _chunk of b as AsyncIterable<Uint8Array>) break;
        throw new CkptError('UNAVAILABLE', { operation: 'write', uri: 'memory://x' });
      }
      return inner.write(key, b, o);
    };
    await withRetry(partial, noDelay).write('b', body);
    expect([...(await inner.read('b'))]).toEqual([1, 2, 3]);
    expect(opened).toBe(3);
    const g = flaky(fresh(), 'write', 'UNAVAILABLE', 1);
    await expect(withRetry(g.adapter, noDelay).write('a', body, { ifNotExists: true })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(g.calls()).toBe(1);
  });

  it('a write whose replayable source fails is not replayed: the source retried its own reads', async () => {
    const f = flaky(fresh(), 'write', 'UNAVAILABLE', 0);
    let opened = 0;
    const body = replayable(async function* () {
      opened++;
      yield new Uint8Array([1]);
      throw new CkptError('UNAVAILABLE', { operation: 'read', uri: 'memory://src' });
    });
    await expect(withRetry(f.adapter, noDelay).write('a', body)).rejects.toMatchObject({ code: 'UNAVAILABLE', uri: 'memory://src' });
    expect(opened).toBe(1);
  });

  it('a replayable stream opens its source afresh on every iteration', async () => {
    let opened = 0;
    const body = replayable(async function* () {
      opened++;
      yield new Uint8Array([opened]);
    });
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) for await (const c of body) seen.push(...c);
    expect(seen).toEqual([1, 2]);
    expect(isReplayable(body)).toBe(true);
    expect(isReplayable((async function* () {})())).toBe(false);
  });

  it('treats NOT_FOUND on a retried delete as done', async () => {
    const inner = fresh();
    await inner.write('k', new Uint8Array([1]));
    let calls = 0;
    const lossy: StorageAdapter = {
      ...inner,
      delete: async (key, o) => {
        calls++;
        if (calls === 1) {
          await inner.delete(key, o); // the request got through, the answer did not
          throw new CkptError('UNAVAILABLE', { operation: 'delete' });
        }
        return inner.delete(key, o);
      },
    };
    await withRetry(lossy, noDelay).delete('k');
    expect(calls).toBe(2);
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const delays: number[] = [];
    const f = flaky(fresh(), 'stat', 'UNAVAILABLE', 10);
    const r = withRetry(f.adapter, { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 4, random: () => 0.999, onRetry: (i) => delays.push(i.delayMs) });
    await expect(r.stat('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(delays).toEqual([0, 1, 3, 3, 3]);
  });

  it('stops waiting when the signal aborts', async () => {
    const f = flaky(fresh(), 'stat', 'UNAVAILABLE', 10);
    const r = withRetry(f.adapter, { baseDelayMs: 10_000, random: () => 1 });
    const controller = new AbortController();
    const p = r.stat('x', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const t0 = Date.now();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('resumes a stream cut short where it stopped', async () => {
    const inner = fresh();
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    await inner.write('k', data);
    let opens = 0;
    const cutting: StorageAdapter = {
      ...inner,
      async *readStream(key, o) {
        opens++;
        const all = await inner.read(key, o);
        yield all.subarray(0, 10);
        if (opens === 1) throw new CkptError('UNAVAILABLE', { operation: 'read', message: 'connection reset' });
        yield all.subarray(10);
      },
    };
    const chunks: number[] = [];
    for await (const c of withRetry(cutting, noDelay).readStream!('k')) chunks.push(...c);
    expect(chunks).toEqual([...data]);
    expect(opens).toBe(2);
  });
});

describe('concurrency layer', () => {
  it('keeps at most `limit` requests in flight', async () => {
    const inner = fresh();
    let inFlight = 0;
    let peak = 0;
    const slow: StorageAdapter = {
      ...inner,
      stat: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        throw new CkptError('NOT_FOUND', { operation: 'stat' });
      },
    };
    const limited = withConcurrencyLimit(slow, 3);
    await Promise.allSettled(Array.from({ length: 20 }, (_, i) => limited.stat(`k${i}`)));
    expect(peak).toBe(3);
  });

  it('does not hold a slot while a stream consumer works', async () => {
    const inner = fresh();
    await inner.write('a', new Uint8Array(10));
    const streaming: StorageAdapter = {
      ...inner,
      async *readStream() {
        yield new Uint8Array(1);
        yield new Uint8Array(1);
      },
    };
    const limited = withConcurrencyLimit(streaming, 1);
    const it = limited.readStream!('a')[Symbol.asyncIterator]();
    await it.next();
    // With the stream paused between chunks, another request still gets the only slot.
    expect((await limited.stat('a')).size).toBe(10);
    await it.return?.();
  });
});

describe('metrics layer', () => {
  it('counts requests by kind, pages, bytes and errors', async () => {
    const metrics = new RequestMetrics();
    const m = withMetrics(createMemoryAdapter(`metrics-${++n}`, { maxPageSize: 2 }), metrics);
    await m.write('a', new Uint8Array(5));
    await m.write('b', new Uint8Array(3));
    await m.write('c', new Uint8Array(1));
    await m.read('a', { range: { offset: 1, length: 2 } });
    await m.stat('b');
    let token: string | undefined;
    do token = (await m.list('', { pageToken: token })).nextPageToken;
    while (token);
    await m.copy('a', 'd');
    await m.delete('d');
    await m.stat('missing').catch(() => undefined);
    expect(metrics.requests).toEqual({ list: 2, get: 1, head: 2, put: 3, delete: 1, copy: 1, rename: 0 });
    expect(metrics.bytesWritten).toBe(9);
    expect(metrics.bytesRead).toBe(2);
    expect(metrics.errors).toEqual({ NOT_FOUND: 1 });
    expect(metrics.total).toBe(10);
  });
});

describe('layers together', () => {
  it('count every attempt a retry makes', async () => {
    const metrics = new RequestMetrics();
    const inner = fresh();
    await inner.write('k', new Uint8Array(1));
    const f = flaky(inner, 'stat', 'UNAVAILABLE', 2);
    const layered = withRetry(withConcurrencyLimit(withMetrics(f.adapter, metrics), 4), noDelay);
    await layered.stat('k');
    expect(metrics.requests.head).toBe(3);
    expect(isCkptError(await layered.stat('nope').catch((e: unknown) => e), 'NOT_FOUND')).toBe(true);
  });
});
