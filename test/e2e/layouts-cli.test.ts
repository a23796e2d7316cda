/**
 * The layouts of docs/layouts.md through the built `ckpt find` and `ckpt latest`: on a local disk
 * with the real symlinks (a Hugging Face hub cache whose snapshot files link to blobs, one link
 * dangling; NeMo Automodel's LATEST and LOWEST_VAL links), and on S3 (Ceph RGW) as copies hold
 * them, with directory placeholders (`dir/` markers, Hadoop `_$folder$` objects) around.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GFile } from '@ckptkit/gfile';
import { createBucket } from '@ckptkit/s3';
import { writeTree } from '../checkpoints/suite.js';
import { AUTOMODEL, HF_HUB, PLACEHOLDERS } from '../checkpoints/layouts.js';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

interface FoundJson {
  prefix: string;
  dir: string;
  format: string;
  step: number | null;
  complete: boolean;
  temporary: boolean;
  problems: string[];
  details: Record<string, unknown>;
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('ckpt find / latest on local layouts with symlinks', () => {
  let tmp: string;
  const p = (rel: string) => path.join(tmp, rel);
  const put = async (rel: string, content = 'x') => {
    await fs.mkdir(path.dirname(p(rel)), { recursive: true });
    await fs.writeFile(p(rel), content);
  };
  const link = async (target: string, rel: string) => {
    await fs.mkdir(path.dirname(p(rel)), { recursive: true });
    await fs.symlink(target, p(rel));
  };

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-layouts-e2e-'));
    // Hugging Face hub cache as huggingface_hub writes it: blobs, relative links, refs/main.
    const repo = 'hub/models--acme--tiny';
    await put(`${repo}/blobs/${'c'.repeat(40)}`, '{"model_type": "bert"}');
    await put(`${repo}/blobs/${'d'.repeat(64)}`, 'weights'.repeat(10));
    await put(`${repo}/refs/main`, A);
    await link(`../../blobs/${'c'.repeat(40)}`, `${repo}/snapshots/${B}/config.json`);
    await link(`../../blobs/${'d'.repeat(64)}`, `${repo}/snapshots/${B}/model.safetensors`);
    // refs/main names A, whose weights link dangles (the blob was deleted): B is the answer.
    await link(`../../blobs/${'c'.repeat(40)}`, `${repo}/snapshots/${A}/config.json`);
    await link(`../../blobs/${'e'.repeat(64)}`, `${repo}/snapshots/${A}/model.safetensors`);
    // NeMo Automodel with symlink pointers; each checkpoint holds a distributed optimizer state
    // that would read as a checkpoint of its own if LATEST/ were walked into.
    for (const name of ['epoch_0_step_100', 'epoch_0_step_200']) {
      await put(`am/${name}/model/consolidated/model.safetensors`, 'w');
      await put(`am/${name}/optim/.metadata`, 'm');
      await put(`am/${name}/optim/__0_0.distcp`, 'd');
      await put(`am/${name}/config.yaml`, 'a: 1');
    }
    await put('am/epoch_1_step_300/model/consolidated/model.safetensors', 'w');
    await put('am/epoch_1_step_300/.incomplete', '');
    await link('epoch_0_step_200', 'am/LATEST');
    await link('epoch_0_step_100', 'am/LOWEST_VAL');
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('find: a snapshot with a dangling link is incomplete; repo id and revision in details', async () => {
    const r = await runCli(['find', '--json', p('hub')]);
    expect(r.code).toBe(0);
    const found = JSON.parse(r.stdout) as FoundJson[];
    expect(found.map((f) => [path.basename(f.prefix), f.complete, f.dir])).toEqual([
      [A, false, p('hub/models--acme--tiny')],
      [B, true, p('hub/models--acme--tiny')],
    ]);
    expect(found[0]!.problems.join(' ')).toMatch(/symlink to missing blob: model\.safetensors/);
    expect(found[1]!.details).toMatchObject({ repoId: 'acme/tiny', repoType: 'model', revision: B, refs: [] });
  });

  it('latest: refs/main names a broken snapshot, so the whole one is the answer (exit 0)', async () => {
    const r = await runCli(['latest', '--json', p('hub/models--acme--tiny')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as FoundJson & { notes: string[] };
    expect(out.prefix).toBe(p(`hub/models--acme--tiny/snapshots/${B}`));
    expect(out.format).toBe('hf-hub-cache');
    expect(out.notes.join('\n')).toMatch(/passed over a{40} .*symlink to missing blob/);
  });

  it('find: Automodel pointers are facts, LATEST/ is not walked into', async () => {
    const r = await runCli(['find', '--json', p('am')]);
    expect(r.code).toBe(0);
    const found = JSON.parse(r.stdout) as FoundJson[];
    expect(found.map((f) => `${path.basename(f.prefix)} ${f.format} ${f.step} ${f.complete} ${JSON.stringify(f.details.pointers ?? [])}`)).toEqual([
      'epoch_0_step_100 nemo-automodel 100 true ["LOWEST_VAL"]',
      'epoch_0_step_200 nemo-automodel 200 true ["LATEST"]',
      'epoch_1_step_300 nemo-automodel 300 false []',
    ]);
    const latest = await runCli(['latest', p('am')]);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toBe(`${p('am/epoch_0_step_200')}\n`);
    expect(latest.stderr).toMatch(/passed over epoch_1_step_300 .*\.incomplete marker/);
  });
});

serverSuite('ckpt find / latest on layouts copied to S3 (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-layouts-${randomBytes(5).toString('hex')}`;
  const root = `s3://${bucket}/copied`;
  let seed: GFile;
  let home: string;
  const cli = (args: string[]) => runCli([...args, ...cliStoreFlags({ s3: server })], { env: cliEnv(home, server) });

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-layouts-home-'));
    await createBucket(bucket, s3Options(server));
    seed = storesGFile({ s3: server });
    await writeTree(seed, root, { ...HF_HUB, ...AUTOMODEL, ...PLACEHOLDERS });
  }, 120_000);
  afterAll(async () => {
    await seed.removeTree(root).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(server));
    await seed.close();
    await fs.rm(home, { recursive: true, force: true });
  }, 120_000);

  it('find and latest on a run whose folders carry placeholders of both kinds', async () => {
    const find = await cli(['find', '--json', `${root}/ph`]);
    expect(find.code).toBe(0);
    expect((JSON.parse(find.stdout) as FoundJson[]).map((f) => `${f.prefix.slice(root.length + 1)} ${f.format} ${f.step} ${f.complete}`)).toEqual(['ph/run/checkpoint-100 hf-trainer 100 true']);
    const latest = await cli(['latest', `${root}/ph/run`]);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toBe(`${root}/ph/run/checkpoint-100\n`);
    const ls = await cli(['ls', `${root}/ph/run`]);
    expect(ls.code).toBe(0);
    expect(ls.stdout.trim().split('\n')).toEqual(['checkpoint-100/', 'checkpoint-200/', 'checkpoint-300/', 'ckpt-7/', 'nested/']);
    const lsR = await cli(['ls', '-R', `${root}/ph`]);
    expect(lsR.code).toBe(0);
    expect(lsR.stdout).not.toMatch(/\$folder\$/);
    expect(lsR.stdout).toMatch(/checkpoint-100\/model\.safetensors/);
    const glob = await cli(['glob', `${root}/ph/run/*`]);
    expect(glob.code).toBe(0);
    expect(glob.stdout).not.toMatch(/\$folder\$/);
    const empty = await cli(['ls', `${root}/ph/run/checkpoint-300`]);
    expect([empty.code, empty.stdout]).toEqual([0, '']);
  });

  it('the Hugging Face cache copy: refs/main decides, a running download is passed over', async () => {
    const tiny = await cli(['latest', '--json', `${root}/hub/models--acme--tiny`]);
    expect(tiny.code).toBe(0);
    expect(JSON.parse(tiny.stdout)).toMatchObject({ prefix: `${root}/hub/models--acme--tiny/snapshots/${B}`, format: 'hf-hub-cache', step: null, complete: true });
    const dl = await cli(['latest', '--json', `${root}/hub/models--acme--dl`]);
    expect(dl.code).toBe(0);
    expect(JSON.parse(dl.stdout)).toMatchObject({ prefix: `${root}/hub/models--acme--dl/snapshots/${'d'.repeat(40)}` });
    const none = await cli(['latest', `${root}/hub/datasets--acme--data`]);
    expect(none.code).toBe(1);
    const find = await cli(['find', '--json', `${root}/hub`]);
    expect(find.code).toBe(0);
    expect((JSON.parse(find.stdout) as FoundJson[]).filter((f) => f.complete).length).toBe(5);
  });

  it('NeMo Automodel copy: LATEST.txt, markers, the LATEST/ copy', async () => {
    const latest = await cli(['latest', '--json', `${root}/am/ckpts`]);
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout)).toMatchObject({ prefix: `${root}/am/ckpts/epoch_0_step_200`, step: 200, format: 'nemo-automodel', details: { pointers: ['LATEST'] } });
    const copied = await cli(['find', '--json', `${root}/am/copied`]);
    expect((JSON.parse(copied.stdout) as FoundJson[]).map((f) => `${path.posix.basename(f.prefix)} ${JSON.stringify(f.details.pointers ?? [])}`)).toEqual(['epoch_0_step_5 []', 'epoch_0_step_7 ["LATEST"]']);
    const stale = await cli(['latest', `${root}/am/stale`]);
    expect(stale.stdout).toBe(`${root}/am/stale/epoch_0_step_10\n`);
  });
});
