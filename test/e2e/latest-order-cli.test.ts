/**
 * Issue 18 through the built `ckpt`: `latest` and `find` agree on the newest complete checkpoint,
 * numbers in names order as integers of any size (a step past 2^53 is a JSON string), pointers
 * win ties, and trackers that commit a save (Megatron legacy, verl) make a newer directory "in
 * progress". On the local disk and on S3 (Ceph RGW).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { cliEnv } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const ZIP = (() => {
  const b = new Uint8Array(64);
  b.set([0x50, 0x4b, 0x03, 0x04], 0);
  b.set([0x50, 0x4b, 0x05, 0x06], 42);
  return b;
})();

/** The trees, by directory: relative path -> content. */
const TREES: Record<string, Record<string, string | Uint8Array>> = {
  hpc: { 'hpc_ckpt_3.ckpt': ZIP, 'hpc_ckpt_100.ckpt': ZIP, 'hpc_ckpt_20.ckpt': ZIP },
  flax: {
    checkpoint_500: 'x',
    'checkpoint_500_gda/commit_success.txt': 'ok',
    checkpoint_5000: 'x',
    'checkpoint_5000_gda/commit_success.txt': 'ok',
  },
  huge: {
    'ckpt-9007199254740992.index': 'i',
    'ckpt-9007199254740992.data-00000-of-00001': 'd',
    'ckpt-9007199254740993.index': 'i',
    'ckpt-9007199254740993.data-00000-of-00001': 'd',
  },
  ds: {
    latest: 'global_step30',
    'global_step30/mp_rank_00_model_states.pt': 'm',
    'global_step30_universal/zero/w/fp32.pt': 'm',
  },
  meg: {
    'latest_checkpointed_iteration.txt': '1000',
    'iter_0001000/mp_rank_00/model_optim_rng.pt': 'm',
    'iter_0002000/mp_rank_00/model_optim_rng.pt': 'm',
  },
  verl: {
    'latest_checkpointed_iteration.txt': '20',
    'global_step_20/actor/model_world_size_1_rank_0.pt': 'm',
    'global_step_20/data.pt': 'd',
    'global_step_30/actor/model_world_size_1_rank_0.pt': 'm',
  },
};

interface LatestDoc {
  prefix: string;
  step: number | string | null;
  format: string;
  notes: string[];
}

function defineCases(name: string, base: () => string, env: () => NodeJS.ProcessEnv) {
  const latest = async (dir: string) => {
    const r = await runCli(['latest', '--json', `${base()}/${dir}`], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as LatestDoc;
  };
  const find = async (dir: string) => {
    const r = await runCli(['find', '--json', '--max-depth', '0', `${base()}/${dir}`], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Array<{ prefix: string; step: number | string | null; complete: boolean; problems: string[] }>;
  };

  describe(`ckpt latest / find: order and pointers (${name})`, () => {
    it('hpc_ckpt_100 is newer than hpc_ckpt_3 (integers, not strings)', async () => {
      const doc = await latest('hpc');
      expect(doc).toMatchObject({ prefix: `${base()}/hpc/hpc_ckpt_100.ckpt`, step: 100, format: 'lightning' });
      expect(doc.notes.join('\n')).toMatch(/step 100 > 20/);
    });
    it('Flax legacy: checkpoint_5000 committed by checkpoint_5000_gda/commit_success.txt, for latest as for find', async () => {
      expect(await latest('flax')).toMatchObject({ prefix: `${base()}/flax/checkpoint_5000`, step: 5000, format: 'flax' });
      expect((await find('flax')).map((c) => [c.step, c.complete])).toEqual([[500, true], [5000, true]]);
    });
    it('a step past 2^53 is an exact JSON string, in latest and find, and orders as an integer', async () => {
      expect(await latest('huge')).toMatchObject({ prefix: `${base()}/huge/ckpt-9007199254740993`, step: '9007199254740993' });
      expect((await find('huge')).map((c) => c.step)).toEqual(['9007199254740992', '9007199254740993']);
      const text = await runCli(['find', `${base()}/huge`], { env: env() });
      expect(text.stdout).toMatch(/9007199254740993 {2}tf2-checkpoint/);
    });
    it('DeepSpeed: global_step30 named by latest beats global_step30_universal', async () => {
      const doc = await latest('ds');
      expect(doc).toMatchObject({ prefix: `${base()}/ds/global_step30`, step: 30 });
      expect(doc.notes.join('\n')).toMatch(/same step as global_step30_universal, and latest names it/);
    });
    it('Megatron legacy: an iteration newer than the tracker is in progress', async () => {
      const doc = await latest('meg');
      expect(doc).toMatchObject({ prefix: `${base()}/meg/iter_0001000`, step: 1000 });
      expect(doc.notes.join('\n')).toMatch(/passed over iter_0002000 .*newer than latest_checkpointed_iteration.txt \(1000\)/);
      expect((await find('meg')).map((c) => c.complete)).toEqual([true, false]);
    });
    it('verl: global_step_20 named by the tracker; global_step_30 is in progress', async () => {
      const doc = await latest('verl');
      expect(doc).toMatchObject({ prefix: `${base()}/verl/global_step_20`, step: 20, format: 'verl' });
      const found = await find('verl');
      expect(found.map((c) => [c.step, c.complete])).toEqual([[20, true], [30, false]]);
      expect(found[1]!.problems.join()).toMatch(/newer than latest_checkpointed_iteration.txt \(20\)/);
    });
  });
}

let tmp = '';
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-order-e2e-'));
  for (const [dir, files] of Object.entries(TREES)) {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(tmp, dir, rel);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, content);
    }
  }
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

defineCases('local disk', () => tmp, () => ({}));

serverSuite('ckpt latest / find: order and pointers on s3:// (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-order-${randomBytes(5).toString('hex')}`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let seed: GFile | undefined;
  let home: string | undefined;
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-order-s3-home-'));
    env = cliEnv(home, server);
    await createBucket(bucket, options);
    const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
    seed = g;
    for (const [dir, files] of Object.entries(TREES)) {
      for (const [rel, content] of Object.entries(files)) await g.writeFile(`s3://${bucket}/${dir}/${rel}`, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    }
  }, 120_000);
  afterAll(async () => {
    await dropS3Bucket(bucket, options);
    await seed?.close();
    if (home) await fs.rm(home, { recursive: true, force: true });
  }, 120_000);

  defineCases('s3', () => `s3://${bucket}`, () => env);
});
