/**
 * Key ranges of one big flat prefix (the listing planner's `flat-ranges.ts`) on the wire, against a
 * nock server that pages a flat prefix by continuation token and either honours `start-after` or
 * ignores it (a server that claims start keys and lists from the beginning anyway). Either way the
 * recursive listing gives every key once, in order; an honoured start key lists ranges side by
 * side within the sequential floor + 10%; an ignored one is caught and the listing carries on flat.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { s3Factory } from './index.js';

const EP = 'http://s3-ranges.nock.test:9000';
const creds = { accessKeyId: 'AKIANOCKTEST00000000', secretAccessKey: 'nock-secret' };
const KEYS = Array.from({ length: 200 }, (_, i) => `run/ckpt-${String(i + 1).padStart(6, '0')}.index`);
const PAGE = 5;

function listXml(keys: string[], next: string | undefined): string {
  const contents = keys.map((k) => `<Contents><Key>${k}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>1</Size></Contents>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>run/</Prefix>' +
    `<KeyCount>${keys.length}</KeyCount><MaxKeys>${PAGE}</MaxKeys><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`
  );
}

/** A server listing KEYS; `honour`: whether it applies start-after. Records the start keys it was sent. */
function serve(honour: boolean): { startAfters: string[]; requests: () => number } {
  const startAfters: string[] = [];
  let requests = 0;
  nock(EP)
    .persist()
    .get('/bkt/')
    .query(true)
    .reply((uri) => {
      requests++;
      const q = new URL(uri, EP).searchParams;
      const max = Number(q.get('max-keys'));
      const token = q.get('continuation-token');
      const after = q.get('start-after');
      if (after !== null) startAfters.push(after);
      let from = 0;
      if (token !== null) from = Number(token);
      else if (after !== null && honour) from = KEYS.findIndex((k) => k > after);
      if (from < 0) from = KEYS.length;
      const page = KEYS.slice(from, from + max);
      const next = from + max < KEYS.length ? String(from + max) : undefined;
      return [200, listXml(page, next)];
    });
  return { startAfters, requests: () => requests };
}

const facade = () =>
  createGFile({
    registry: createRegistry().register('s3', () => s3Factory({ endpoint: EP, region: 'us-east-1', credentials: creds, directGets: false, forcePathStyle: true })),
    pageSize: PAGE,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('s3: key ranges of one big flat prefix', () => {
  it('a server that honours start-after: ranges side by side, every key once in order, within the floor + 10%', async () => {
    const server = serve(true);
    const g = facade();
    const names = [];
    for await (const f of g.list('s3://bkt/run', { recursive: true })) names.push(`run/${f.name}`);
    expect(names).toEqual(KEYS);
    expect(server.startAfters.length).toBeGreaterThan(0);
    const floor = KEYS.length / PAGE;
    expect(server.requests()).toBe(g.metrics.requests.list);
    expect(g.metrics.requests.list).toBeLessThanOrEqual(floor + floor / 10);
  });

  it('a server that ignores start-after is caught on its first answer; the listing carries on flat, every key once', async () => {
    const server = serve(false);
    const g = facade();
    const names = [];
    for await (const f of g.list('s3://bkt/run', { recursive: true })) names.push(`run/${f.name}`);
    expect(names).toEqual(KEYS);
    expect(server.startAfters.length).toBeGreaterThan(0);
    // 40 pages, the first probes and the few pages the first range listed meanwhile (listed again by
    // the fallback, which carries on from where the sequential pages stopped); not a listing per range.
    expect(server.requests()).toBeLessThanOrEqual(KEYS.length / PAGE + 6);
  });
});
