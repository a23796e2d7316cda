/**
 * Writes that could lose data: the state file. On Ceph RGW the update is a compare-and-swap
 * (If-Match on the etag), so concurrent recorders never lose each other's checkpoints; on a local
 * disk the file is replaced by rename, so a reader never sees half a file. (The GCS emulator
 * ignores ifGenerationMatch: the GCS side is checked on the wire with nock in adapters/gcs.)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpointState, recordCheckpointInState, updateCheckpointState } from '@ckptkit/core';
import { createGFile, createRegistry, isCkptError, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('state file compare-and-swap: s3 (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckpt-cas-${randomBytes(4).toString('hex')}`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let g: GFile;
  beforeAll(async () => {
    await createBucket(bucket, options);
    g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
  });
  afterAll(async () => {
    await dropS3Bucket(bucket, options);
    await g.close();
  });

  it('eight concurrent recorders, five rounds: every checkpoint is in the state file', async () => {
    const dir = `s3://${bucket}/run`;
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => recordCheckpointInState(g, dir, `ckpt-${round * 8 + i + 1}`)));
    }
    const state = parseCheckpointState(await g.readText(`${dir}/checkpoint`));
    expect(new Set(state.allModelCheckpointPaths).size).toBe(40);
    expect(state.modelCheckpointPath).toBe('ckpt-40');
  }, 60_000);

  it('a stale version is refused by the server, and a fresh one accepted', async () => {
    const uri = `s3://${bucket}/cas/checkpoint`;
    await g.writeText(uri, 'model_checkpoint_path: "a"\n');
    const v1 = (await g.stat(uri)).etag!;
    await g.writeText(uri, 'model_checkpoint_path: "b"\n', { ifMatch: v1 });
    const stale = await g.writeText(uri, 'model_checkpoint_path: "c"\n', { ifMatch: v1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(stale, 'PRECONDITION_FAILED'), String(stale)).toBe(true);
    expect(await g.readText(uri)).toBe('model_checkpoint_path: "b"\n');
    const r = await updateCheckpointState(g, `s3://${bucket}/cas`, () => ({ modelCheckpointPath: 'd', allModelCheckpointPaths: ['d'], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 }));
    expect(r).toMatchObject({ conditional: true, attempts: 1 });
  });
});

describe('state file on a local disk', () => {
  let tmp: string;
  let g: GFile;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-state-atomic-'));
    g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a reader polling during 60 rewrites only ever sees a whole file, and no temporary is left', async () => {
    const big = (i: number) => ({ modelCheckpointPath: `ckpt-${i}`, allModelCheckpointPaths: Array.from({ length: 500 }, (_, k) => `ckpt-${k}-${'x'.repeat(40)}`).concat(`ckpt-${i}`), allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 });
    let writing = true;
    const reader = (async () => {
      let reads = 0;
      while (writing) {
        const text = await fs.readFile(path.join(tmp, 'checkpoint'), 'utf8').catch(() => undefined);
        if (text !== undefined) {
          const s = parseCheckpointState(text);
          expect(s.allModelCheckpointPaths).toHaveLength(501);
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
      return reads;
    })();
    for (let i = 0; i < 60; i++) await updateCheckpointState(g, tmp, () => big(i));
    writing = false;
    expect(await reader).toBeGreaterThan(0);
    expect(await fs.readdir(tmp)).toEqual(['checkpoint']);
    const r = await updateCheckpointState(g, tmp, () => big(1));
    expect(r?.conditional).toBe(false);
  }, 60_000);
});
