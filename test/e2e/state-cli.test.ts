/**
 * `ckpt state` and `ckpt state --repair` through the built binary: a TF1 run saved under
 * /home/alice/runs/42 (absolute paths in its state file, as `tf.compat.v1.train.Saver` writes them)
 * and then moved to another disk or to a bucket, where `tf.train.latest_checkpoint` finds nothing
 * until the paths are made relative.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GFile } from '@ckptkit/gfile';
import { createBucket } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const OLD = '/home/alice/runs/42';
const STATE = [998, 999, 1000].map((s, i) => `${i === 0 ? `model_checkpoint_path: "${OLD}/model.ckpt-1000"\n` : ''}all_model_checkpoint_paths: "${OLD}/model.ckpt-${s}"\n`).join('');

async function movedRun(g: GFile, dir: string): Promise<void> {
  for (const s of [998, 999, 1000]) {
    await g.writeText(`${dir}/model.ckpt-${s}.index`, 'index');
    await g.writeText(`${dir}/model.ckpt-${s}.data-00000-of-00001`, 'data');
    await g.writeText(`${dir}/model.ckpt-${s}.meta`, 'graph');
  }
  await g.writeText(`${dir}/checkpoint`, STATE);
}

interface StateJson {
  status: string;
  modelCheckpointPath: string;
  allModelCheckpointPaths: string[];
  paths: Array<{ recorded: string; where: string }>;
  repair?: { changes: Array<{ from: string; to: string }>; unresolved: unknown[]; written: boolean; backup: string | null };
}

function stateSuite(name: string, servers: { s3?: S3TestServer }, dirOf: () => string): void {
  let g: GFile;
  let home: string;
  beforeAll(async () => {
    g = storesGFile(servers);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-state-home-'));
    await movedRun(g, dirOf());
  });
  afterAll(async () => {
    await g.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  const ckpt = (...args: string[]) => runCli([...args, ...cliStoreFlags(servers)], { env: cliEnv(home, servers.s3) });

  it(`${name}: prints the state and says which paths point outside the directory`, async () => {
    const r = await ckpt('state', '--json', dirOf());
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as StateJson;
    expect(s).toMatchObject({ status: 'ok', modelCheckpointPath: `${OLD}/model.ckpt-1000` });
    expect(s.paths.map((p) => p.where)).toEqual(['outside', 'outside', 'outside']);
    const human = await ckpt('state', dirOf());
    expect(human.stdout).toContain(`model_checkpoint_path: "${OLD}/model.ckpt-1000"  (OUTSIDE this directory)`);
  });

  it(`${name}: --repair makes them relative, atomically with a backup, and tf.train.latest_checkpoint then finds the run`, async () => {
    const before = await ckpt('latest', '--tf-compat', '--json', dirOf());
    expect(before.code).toBe(1);
    const dry = await ckpt('state', '--repair', '--dry-run', '--json', dirOf());
    expect((JSON.parse(dry.stdout) as StateJson).repair).toMatchObject({ written: false, backup: null });
    expect(await g.readText(`${dirOf()}/checkpoint`)).toBe(STATE);
    const r = await ckpt('state', '--repair', '--json', dirOf());
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as StateJson;
    expect(s.repair!.changes.map((c) => c.to)).toEqual(['model.ckpt-1000', 'model.ckpt-998', 'model.ckpt-999']);
    expect(s.repair!.written).toBe(true);
    expect(await g.readText(s.repair!.backup!)).toBe(STATE);
    expect(await g.readText(`${dirOf()}/checkpoint`)).toBe(
      'model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "model.ckpt-998"\nall_model_checkpoint_paths: "model.ckpt-999"\nall_model_checkpoint_paths: "model.ckpt-1000"\n',
    );
    const after = await ckpt('latest', '--tf-compat', '--json', dirOf());
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual({ prefix: `${dirOf()}/model.ckpt-1000` });
    const again = await ckpt('state', '--repair', dirOf());
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to repair');
  });

  it(`${name}: exit 4 (NOT_FOUND) without a state file, 3 (CORRUPT) for one that does not parse`, async () => {
    const none = await ckpt('state', '--json', `${dirOf()}/nothing-here`);
    expect(none).toMatchObject({ code: 4, stdout: '' });
    expect(JSON.parse(none.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', uri: `${dirOf()}/nothing-here/checkpoint`, operation: 'state' } });
    await g.writeText(`${dirOf()}/bad/checkpoint`, 'model_checkpoint: "typo"\n');
    const bad = await ckpt('state', '--json', `${dirOf()}/bad`);
    expect(bad).toMatchObject({ code: 3, stdout: '' });
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: 'CORRUPT', uri: `${dirOf()}/bad/checkpoint`, message: expect.stringMatching(/malformed.*no field named/) } });
    expect((await ckpt('state', '--repair', `${dirOf()}/bad`)).code).toBe(3);
  });
}

describe('ckpt state on local disk', () => {
  let root = '';
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-state-'));
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));
  stateSuite('local', {}, () => `${root}/moved/run42`);
});

const s3 = s3Server();
serverSuite('ckpt state on s3:// (RGW)', s3, (server) => {
  const bucket = `ckpt-state-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => createBucket(bucket, s3Options(server)));
  afterAll(async () => {
    const g = storesGFile({ s3: server });
    await g.removeTree(`s3://${bucket}/run42`).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(server));
    await g.close();
  });
  stateSuite('s3', { s3: server }, () => `s3://${bucket}/run42`);
});
