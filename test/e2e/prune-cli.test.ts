/**
 * `ckpt prune` through the built binary, on a local disk and on S3 (RGW): the dry run's plan (text
 * and --json) deletes nothing, `--yes` carries it out at the request floor (--stats), `latest`
 * and `latest --tf-compat` still name the newest checkpoint, usage errors exit 2.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GFile } from '@ckptkit/gfile';
import { createBucket } from '@ckptkit/s3';
import { bundle, json, stateFile, type TreeSpec } from '../checkpoints/bytes.js';
import { writeTree } from '../checkpoints/suite.js';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

interface PlanJson {
  dir: string;
  dryRun: boolean;
  executed: boolean;
  checkpoints: Array<{ name: string; action: string; reasons: string[]; files: string[]; bytes: number; commitFiles: string[] }>;
  delete: { checkpoints: number; files: number; bytes: number };
  stateFile: { uri: string; removes: string[] } | null;
}

function tfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (let n = 1; n <= 8; n++) Object.assign(spec, bundle(`ckpt-${n * 1000}`, { shards: 2 }));
  spec.checkpoint = stateFile('ckpt-8000', [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `ckpt-${n * 1000}`));
  spec['events.out.tfevents.1.host'] = 12;
  return spec;
}

function hfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (const s of [10, 20, 30, 40]) {
    for (const [k, v] of Object.entries({ 'model.safetensors': 96, 'trainer_state.json': json({ global_step: s }), 'optimizer.pt': 16 })) spec[`checkpoint-${s}/${k}`] = v;
  }
  return spec;
}

function pruneSuite(name: string, servers: { s3?: S3TestServer }, rootOf: () => string, batched: boolean): void {
  let g: GFile;
  let home: string;
  beforeAll(async () => {
    g = storesGFile(servers);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-home-'));
  });
  afterAll(async () => {
    await g.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  const ckpt = (...args: string[]) => runCli([...args, ...cliStoreFlags(servers)], { env: cliEnv(home, servers.s3) });

  it(`${name}: the dry run prints the plan with reasons and deletes nothing; --json is one document`, async () => {
    const dir = `${rootOf()}/dry`;
    await writeTree(g, dir, tfRun());
    const text = await ckpt('prune', '--keep-last', '2', '--keep', '3000', dir);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => /^delete /.test(l)).map((l) => l.split(/\s+/)[1])).toEqual(['6000', '5000', '4000', '2000', '1000']);
    expect(lines.filter((l) => /^keep /.test(l)).map((l) => l.split(/\s+/)[1])).toEqual(['8000', '7000', '3000']);
    expect(text.stdout).toMatch(/keep .*ckpt-8000\n {4}the newest complete checkpoint \(never deleted\)\n {4}named by checkpoint/);
    expect(text.stdout).toMatch(/ckpt-3000\n {4}step 3000 asked for \(keep 3000\)/);
    expect(text.stdout).toMatch(/would delete 5 checkpoints \(15 files\), freeing 840 B; 3 kept, 2 other files untouched; the state file will no longer list 5 of them\. Dry run: nothing deleted/);
    const j = await ckpt('prune', '--json', '--keep-last', '2', '--keep', '3000', dir);
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    const plan = JSON.parse(j.stdout) as PlanJson;
    expect(plan).toMatchObject({ dryRun: true, executed: false, delete: { checkpoints: 5, files: 15, bytes: 5 * 168 } });
    expect(plan.checkpoints.find((c) => c.name === 'ckpt-1000')!.commitFiles).toEqual([`${dir}/ckpt-1000.index`]);
    expect(plan.stateFile!.removes).toEqual(['ckpt-1000', 'ckpt-2000', 'ckpt-4000', 'ckpt-5000', 'ckpt-6000']);
    expect(await g.exists(`${dir}/ckpt-1000.index`)).toBe(true);
    expect(await g.readText(`${dir}/checkpoint`)).toBe(stateFile('ckpt-8000', [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `ckpt-${n * 1000}`)));
  });

  it(`${name}: --yes deletes at the request floor (--stats), rewrites the state file, latest and --tf-compat still answer`, async () => {
    const dir = `${rootOf()}/yes`;
    await writeTree(g, dir, tfRun());
    const r = await ckpt('prune', '--yes', '--json', '--stats', '--keep-last', '2', '--keep', '3000', dir);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as PlanJson & { deleted: { files: number }; stateRewritten: boolean };
    expect(result).toMatchObject({ dryRun: false, executed: true, stateRewritten: true, deleted: { checkpoints: 5, files: 15 } });
    // One listing, the state file's read-modify-write, and the deletes: 2 batches (commit files, then the rest) or one per object.
    expect(r.stats!.requests.delete).toBe(batched ? 2 : 15);
    expect(r.stats!.requests.list).toBe(1);
    expect(r.stats!.requests.put).toBe(1);
    const latest = await ckpt('latest', '--json', dir);
    expect(JSON.parse(latest.stdout)).toMatchObject({ prefix: `${dir}/ckpt-8000`, complete: true });
    const tf = await ckpt('latest', '--tf-compat', '--json', dir);
    expect(JSON.parse(tf.stdout)).toEqual({ prefix: `${dir}/ckpt-8000` });
    expect(await g.readText(`${dir}/checkpoint`)).toBe(stateFile('ckpt-8000', ['ckpt-3000', 'ckpt-7000', 'ckpt-8000']));
    const find = await ckpt('find', '--json', dir);
    expect((JSON.parse(find.stdout) as Array<{ prefix: string }>).map((c) => c.prefix.slice(dir.length + 1))).toEqual(['ckpt-3000', 'ckpt-7000', 'ckpt-8000']);
    const again = await ckpt('prune', '--yes', '--stats', '--keep-last', '2', '--keep', '3000', dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/deleted 0 checkpoints \(0 files\), freed 0 B; 3 kept/);
    expect(again.stats!.requests.delete).toBe(0);
  });

  it(`${name}: directory checkpoints go whole (text output of --yes)`, async () => {
    const dir = `${rootOf()}/hf`;
    await writeTree(g, dir, hfRun());
    const r = await ckpt('prune', '-y', '--keep-every-steps', '20', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deleted +10 .*checkpoint-10\n {4}no keep rule keeps it$/m);
    expect(r.stdout).toMatch(/^deleted +30 .*checkpoint-30\n {4}no keep rule keeps it$/m);
    expect(r.stdout).toMatch(/^keep +40 .*checkpoint-40\n {4}the newest complete checkpoint \(never deleted\)\n {4}step 40 is a multiple of 20/m);
    expect(r.stdout).toMatch(/^deleted 2 checkpoints \(6 files\), freed 260 B; 2 kept, 0 other files untouched$/m);
    expect(await g.exists(`${dir}/checkpoint-10`)).toBe(false);
    expect(await g.exists(`${dir}/checkpoint-30`)).toBe(false);
    expect(await g.exists(`${dir}/checkpoint-20/trainer_state.json`)).toBe(true);
  });

  it(`${name}: usage errors exit 2 before any request; a missing directory exits 4`, async () => {
    const dir = `${rootOf()}/usage`;
    const none = await ckpt('prune', '--json', dir);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(JSON.parse(none.stderr)).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/at least one keep rule/) } });
    for (const bad of [['--keep-last', '0'], ['--keep-last', 'x'], ['--keep-every-steps', '0'], ['--keep-every-hours', 'soon'], ['--keep', '1.5'], ['--older-than', '7'], ['--older-than', '1y']]) {
      const r = await ckpt('prune', ...bad, dir);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^ckpt: USAGE: /);
    }
    const missing = await ckpt('prune', '--json', '--keep-last', '1', `${rootOf()}/no-such-run`);
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
}

describe('ckpt prune on local disk', () => {
  let root = '';
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-'));
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));
  pruneSuite('local', {}, () => root, false);

  it('--keep-every-hours and --older-than by the files\' times (set with utimes)', async () => {
    const dir = `${root}/timed`;
    const g = storesGFile({});
    // ckpt-0..15 every 20 minutes, the newest two days ago.
    const start = Date.now() - 2 * 86_400_000 - 15 * 20 * 60_000;
    for (let i = 0; i < 16; i++) {
      await writeTree(g, dir, bundle(`ckpt-${i}`));
      const t = new Date(start + i * 20 * 60_000);
      for (const f of [`ckpt-${i}.index`, `ckpt-${i}.data-00000-of-00001`]) await fs.utimes(path.join(dir, f), t, t);
    }
    await g.close();
    const plan = async (...args: string[]) => {
      const r = await runCli(['prune', '--json', ...args, dir]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as PlanJson).checkpoints.filter((c) => c.action === 'keep').map((c) => c.name);
    };
    // TensorFlow's _sweep from one second before the oldest: the first at or past each hour.
    expect(await plan('--keep-every-hours', '1')).toEqual(['ckpt-15', 'ckpt-12', 'ckpt-9', 'ckpt-6', 'ckpt-3']);
    // Older than 2 days 1 h 50 min: ckpt-0..9 are (ckpt-9 is 2 d 2 h old, ckpt-10 2 d 1 h 40 min); the rest are kept.
    expect(await plan('--keep-last', '1', '--older-than', '2d1h50m')).toEqual(['ckpt-15', 'ckpt-14', 'ckpt-13', 'ckpt-12', 'ckpt-11', 'ckpt-10']);
  });
});

const s3 = s3Server();
serverSuite('ckpt prune on s3:// (RGW)', s3, (server) => {
  const bucket = `ckpt-prune-cli-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => createBucket(bucket, s3Options(server)));
  afterAll(async () => {
    const g = storesGFile({ s3: server });
    if (await g.exists(`s3://${bucket}/runs`)) await g.removeTree(`s3://${bucket}/runs`);
    await g.close();
    await dropS3Bucket(bucket, s3Options(server));
  });
  pruneSuite('s3', { s3: server }, () => `s3://${bucket}/runs`, true);
});
