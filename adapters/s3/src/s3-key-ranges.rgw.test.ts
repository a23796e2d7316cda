/**
 * Key ranges of one big flat prefix (the listing planner's `flat-ranges.ts`) against the real Ceph
 * RGW: its `StartAfter` (with `EncodingType=url` and keys that need escaping) is honoured, so a
 * flat prefix of 60 pages is listed in ranges side by side, every key once and in order, within the
 * sequential floor + 10%. The scale benchmark (`test/bench/run.mjs --scale`) does the same at
 * 200,000 objects.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGFile, createRegistry, listEntries, listRecursive, type PlanDecision } from '@ckptkit/gfile';
import { createBucket, createS3Adapter, deleteBucket, s3Factory, type S3AdapterOptions } from './index.js';
import { s3Server, serverSuite } from '../../../test/helpers/servers.js';

serverSuite('s3 key ranges on Ceph RGW', s3Server(), (server) => {
  const base: S3AdapterOptions = {
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
  const bucket = `ckpt-ranges-${randomBytes(4).toString('hex')}`;
  const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(base)), concurrency: 32 });
  // Numbered checkpoints, and names that need escaping or sort around the guessed boundaries.
  const keys: string[] = [];
  for (let i = 1; i <= 400; i++) keys.push(`flat/ckpt-${String(i).padStart(6, '0')}.index`, `flat/ckpt-${String(i).padStart(6, '0')}.data-00000-of-00001`);
  for (const odd of ['ckpt-000100 x', 'ckpt-000200é', 'ckpt-000250🙂', 'ckpt-000300%2F', 'ckpt-0003', 'ckpt-00040']) keys.push(`flat/${odd}`);

  beforeAll(async () => {
    await createBucket(bucket, base);
    for (let i = 0; i < keys.length; i += 64) await Promise.all(keys.slice(i, i + 64).map((k) => g.writeText(`s3://${bucket}/${k}`, 'x')));
  }, 300_000);

  afterAll(async () => {
    await g.removeTree(`s3://${bucket}/flat`).catch(() => undefined);
    await deleteBucket(bucket, base).catch(() => undefined);
    await g.close();
  }, 300_000);

  it('60 pages of one flat prefix: ranges side by side, every key once in order, within the floor + 10%', async () => {
    const adapter = createS3Adapter(bucket, base);
    const flat: string[] = [];
    for await (const e of listEntries(adapter, 'flat/', { pageSize: 14 })) flat.push(e.key);
    expect(flat.length).toBe(keys.length);
    let requests = 0;
    const counted = { ...adapter, list: (prefix: string, o?: Parameters<typeof adapter.list>[1]) => (requests++, adapter.list(prefix, o)) };
    const decisions: PlanDecision[] = [];
    const planned: string[] = [];
    for await (const e of listRecursive(counted, 'flat/', { pageSize: 14, onDecision: (d) => decisions.push(d) })) planned.push(e.key);
    expect(planned).toEqual(flat);
    expect(decisions.filter((d) => d.kind === 'cut').length).toBeGreaterThan(0);
    const floor = Math.ceil(keys.length / 14);
    expect(requests).toBeLessThanOrEqual(floor + Math.floor(floor / 10));
  }, 120_000);
});
