/**
 * Key ranges of one big flat prefix (the listing planner's `flat-ranges.ts`) against nock servers
 * speaking the JSON API: one that honours `startOffset` (GCS) and one that ignores it (the firebase
 * storage emulator). The adapter is told the server has start keys (as for storage.googleapis.com);
 * the one that ignores them is caught on its first answer (the adapter stops declaring them) and the
 * listing carries on flat. Either way every key comes once, in order.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { gcsFactory } from './index.js';

const EP = 'http://gcs-ranges.test';
const KEYS = Array.from({ length: 200 }, (_, i) => `run/ckpt-${String(i + 1).padStart(6, '0')}.index`);
const PAGE = 5;

function object(name: string) {
  return { kind: 'storage#object', name, bucket: 'bkt', size: '1', generation: '1', metageneration: '1', updated: '2026-01-02T03:04:05.678Z', etag: 'CAE=' };
}

/** A server listing KEYS; `honour`: whether it applies startOffset (inclusive, as GCS does). */
function serve(honour: boolean): { startOffsets: string[]; requests: () => number } {
  const startOffsets: string[] = [];
  let requests = 0;
  nock(EP)
    .persist()
    .get('/storage/v1/b/bkt/o')
    .query(true)
    .reply((uri) => {
      requests++;
      const q = new URL(uri, EP).searchParams;
      const max = Number(q.get('maxResults'));
      const token = q.get('pageToken');
      const offset = q.get('startOffset');
      if (offset !== null) startOffsets.push(offset);
      let from = 0;
      if (token !== null) from = Number(token);
      else if (offset !== null && honour) from = KEYS.findIndex((k) => k >= offset);
      if (from < 0) from = KEYS.length;
      const items = KEYS.slice(from, from + max).map(object);
      return [200, { kind: 'storage#objects', items, ...(from + max < KEYS.length ? { nextPageToken: String(from + max) } : {}) }];
    });
  return { startOffsets, requests: () => requests };
}

const facade = () =>
  createGFile({
    registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: EP, projectId: 'proj', env: {}, startAfter: true })),
    pageSize: PAGE,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('gcs: key ranges of one big flat prefix', () => {
  it('a server that honours startOffset: ranges side by side, every key once in order, within the floor + 10%', async () => {
    const server = serve(true);
    const g = facade();
    const names = [];
    for await (const f of g.list('gs://bkt/run', { recursive: true })) names.push(`run/${f.name}`);
    expect(names).toEqual(KEYS);
    expect(server.startOffsets.length).toBeGreaterThan(0);
    const floor = KEYS.length / PAGE;
    expect(server.requests()).toBe(g.metrics.requests.list);
    expect(g.metrics.requests.list).toBeLessThanOrEqual(floor + floor / 10);
  });

  it('a server that ignores startOffset (the emulator) is caught; the listing carries on flat, every key once', async () => {
    const server = serve(false);
    const g = facade();
    const names = [];
    for await (const f of g.list('gs://bkt/run', { recursive: true })) names.push(`run/${f.name}`);
    expect(names).toEqual(KEYS);
    expect(server.startOffsets.length).toBeGreaterThan(0);
    // 40 pages, the first probes and the few pages the first range listed meanwhile (listed again by
    // the fallback, which carries on from where the sequential pages stopped); not a listing per range.
    expect(server.requests()).toBeLessThanOrEqual(KEYS.length / PAGE + 6);
  });
});
