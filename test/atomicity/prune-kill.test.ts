/**
 * `ckpt prune --yes` killed with SIGKILL at every point of its run (issue 21): before and after
 * each unlink, rmdir and the state file's rename on a local disk, before and after each write and
 * DeleteObjects request on S3 (RGW, through a proxy that kills the process when the request
 * arrives, then drops it or lets it land). After every kill, `ckpt latest` and `ckpt latest
 * --tf-compat` name the newest checkpoint, whole; a rerun converges to the plan's result. On the
 * GCS emulator (one DELETE per object) each upload and DELETE is a kill point too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckpoints } from '@ckptkit/core';
import type { GFile } from '@ckptkit/gfile';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { createBucket } from '@ckptkit/s3';
import { bundle, json, stateFile, type TreeSpec } from '../checkpoints/bytes.js';
import { writeTree } from '../checkpoints/suite.js';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite, type GcsTestServer, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { startFaultProxy } from '../proxy/fault-proxy.js';
import { spawn } from 'node:child_process';
import { dropS3Bucket } from '../helpers/buckets.js';

const HOOK = path.join(REPO, 'test', 'atomicity', 'kill-after-fs-ops.mjs');
const RULES = ['--keep-last', '2', '--keep', '2'];

/** TF: ckpt-1..6 (state file naming ckpt-6), the newest kept; ckpt-1, 3, 4 deleted. */
function tfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (let n = 1; n <= 6; n++) Object.assign(spec, bundle(`ckpt-${n}`, { shards: 2 }));
  spec.checkpoint = stateFile('ckpt-6', [1, 2, 3, 4, 5, 6].map((n) => `ckpt-${n}`));
  spec.notes = 'not a checkpoint';
  return spec;
}

/** HF: checkpoint-1..5 directories (with a directory marker and a subdirectory), staging dir of 6. */
function hfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (let s = 1; s <= 5; s++) {
    Object.assign(spec, {
      [`checkpoint-${s}/`]: null,
      [`checkpoint-${s}/model.safetensors`]: 64,
      [`checkpoint-${s}/trainer_state.json`]: json({ global_step: s }),
      [`checkpoint-${s}/rng/state.pth`]: 8,
    });
  }
  spec['tmp-checkpoint-6/model.safetensors'] = 64;
  return spec;
}

const KEPT = { tf: ['ckpt-2', 'ckpt-5', 'ckpt-6'], hf: ['checkpoint-2', 'checkpoint-4', 'checkpoint-5', 'tmp-checkpoint-6'] };
const NEWEST = { tf: 'ckpt-6', hf: 'checkpoint-5' };

/** What must hold after any kill: both `latest`s name the newest checkpoint, and it is whole. */
async function checkInvariant(ckpt: (...a: string[]) => Promise<{ code: number; stdout: string }>, g: GFile, dir: string, kind: 'tf' | 'hf', label: string): Promise<void> {
  const latest = await ckpt('latest', '--json', dir);
  expect(latest.code, `${label}: latest`).toBe(0);
  expect(JSON.parse(latest.stdout), label).toMatchObject({ prefix: `${dir}/${NEWEST[kind]}`, complete: true });
  if (kind === 'tf') {
    const tf = await ckpt('latest', '--tf-compat', '--json', dir);
    expect(tf.code, `${label}: --tf-compat`).toBe(0);
    expect(JSON.parse(tf.stdout), label).toEqual({ prefix: `${dir}/${NEWEST.tf}` });
  }
  const found = await findCheckpoints(dir, { gfile: g });
  const newest = found.find((c) => c.prefix === `${dir}/${NEWEST[kind]}`);
  expect(newest?.complete, `${label}: the newest is whole`).toBe(true);
  // Nothing kept lost a file; every other checkpoint is either whole-and-kept or on its way out.
  for (const name of KEPT[kind]) expect(found.find((c) => c.prefix === `${dir}/${name}`)?.files.length ?? 0, `${label}: ${name}`).toBeGreaterThan(0);
  for (const c of found) if (!KEPT[kind].includes(c.prefix.slice(dir.length + 1))) expect(c.complete && c.files.length < (kind === 'tf' ? 3 : 3), `${label}: ${c.prefix} looks complete with files missing`).toBe(false);
}

async function checkConverged(g: GFile, dir: string, kind: 'tf' | 'hf', label: string): Promise<void> {
  const found = await findCheckpoints(dir, { gfile: g });
  expect(found.map((c) => c.prefix.slice(dir.length + 1)).sort(), label).toEqual([...KEPT[kind]].sort());
  expect(found.filter((c) => !c.temporary).every((c) => c.complete), label).toBe(true);
  if (kind === 'tf') {
    expect(await g.readText(`${dir}/checkpoint`), label).toBe(stateFile('ckpt-6', ['ckpt-2', 'ckpt-5', 'ckpt-6']));
    expect(await g.exists(`${dir}/notes`)).toBe(true);
  } else {
    for (const s of [1, 3]) expect(await g.exists(`${dir}/checkpoint-${s}`), `${label}: checkpoint-${s} gone`).toBe(false);
  }
}

describe('prune killed with SIGKILL at every point (local disk)', () => {
  let root = '';
  let g: GFile;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-kill-'));
    g = storesGFile({});
  });
  afterAll(async () => {
    await g.close();
    await fs.rm(root, { recursive: true, force: true });
  });
  const ckpt = (...args: string[]) => runCli(args);

  for (const kind of ['tf', 'hf'] as const) {
    it(`${kind}: every unlink/rmdir/rename is a kill point; latest holds after each, a rerun converges`, { timeout: 300_000 }, async () => {
      // The operations of a whole run: the state file's rename (tf), one unlink per file, one rmdir per directory.
      const probe = `${root}/${kind}-probe`;
      await writeTree(g, probe, kind === 'tf' ? tfRun() : hfRun());
      const plan = JSON.parse((await ckpt('prune', '--json', ...RULES, probe)).stdout) as { checkpoints: Array<{ action: string; files: string[]; dirs: string[] }> };
      const doomed = plan.checkpoints.filter((c) => c.action === 'delete');
      const ops = (kind === 'tf' ? 1 : 0) + doomed.reduce((n, c) => n + c.files.length + c.dirs.length, 0);
      expect(ops).toBe(kind === 'tf' ? 1 + 3 * 3 : 2 * (3 + 2));
      let killed = 0;
      for (let after = 0; after < ops; after++) {
        const dir = `${root}/${kind}-${after}`;
        await writeTree(g, dir, kind === 'tf' ? tfRun() : hfRun());
        const run = await runCli(['prune', '--yes', ...RULES, dir], { nodeArgs: ['--import', HOOK], env: { CKPT_KILL_AFTER_OPS: String(after) } });
        // runCli reports a process ended by a signal as -1.
        expect(run.code, `killed after ${after} operations`).toBe(-1);
        killed++;
        await checkInvariant(ckpt, g, dir, kind, `killed after ${after} of ${ops}`);
        const rerun = await ckpt('prune', '--yes', ...RULES, dir);
        expect(rerun.code).toBe(0);
        await checkConverged(g, dir, kind, `rerun after a kill after ${after} of ${ops}`);
      }
      expect(killed).toBe(ops);
      // Unkilled, the hook lets the whole run through.
      const whole = await runCli(['prune', '--yes', ...RULES, probe], { nodeArgs: ['--import', HOOK], env: { CKPT_KILL_AFTER_OPS: String(ops) } });
      expect(whole.code).toBe(0);
      await checkConverged(g, probe, kind, 'a whole run');
    });
  }
});

serverSuite('prune killed with SIGKILL at every request (S3, RGW)', s3Server(), (server: S3TestServer) => {
  const bucket = `ckpt-prune-kill-${randomBytes(4).toString('hex')}`;
  let g: GFile;
  let home = '';
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  beforeAll(async () => {
    await createBucket(bucket, s3Options(server));
    g = storesGFile({ s3: server });
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-kill-home-'));
    proxy = await startFaultProxy({ target: server.endpoint });
  });
  afterAll(async () => {
    await proxy?.close();
    if (await g.exists(`s3://${bucket}/k`)) await g.removeTree(`s3://${bucket}/k`);
    await g.close();
    await dropS3Bucket(bucket, s3Options(server));
    await fs.rm(home, { recursive: true, force: true });
  });
  const direct = (...args: string[]) => runCli([...args, ...cliStoreFlags({ s3: server })], { env: cliEnv(home, server) });

  /** `ckpt prune --yes` through the proxy, SIGKILLed when its `nth` write or delete request arrives (which then lands or not). */
  function killedRun(dir: string, nth: number, lands: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; reached: boolean }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CKPT_BIN, 'prune', '--yes', '--concurrency', '1', ...RULES, dir, '--s3-path-style'], {
        cwd: REPO,
        env: { ...process.env, ...cliEnv(home, { ...server, endpoint: proxy.url }) },
        stdio: 'ignore',
      });
      let seen = 0;
      let reached = false;
      proxy.schedule.set([
        {
          match: {
            when: (info) => {
              if (!(info.method === 'PUT' || info.method === 'DELETE' || (info.method === 'POST' && /[?&]delete/.test(info.url)))) return false;
              if (++seen !== nth) return false;
              reached = true;
              child.kill('SIGKILL');
              return true;
            },
          },
          action: lands ? { kind: 'reset', forward: true } : { kind: 'reset' },
        },
      ]);
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, reached }));
    });
  }

  for (const kind of ['tf', 'hf'] as const) {
    it(`${kind}: every write and DeleteObjects request is a kill point (dropped, or landed); latest holds, a rerun converges`, { timeout: 300_000 }, async () => {
      // Requests that change the bucket: the state file's PUT (tf), DeleteObjects of the commit files, of the rest, of the markers (hf).
      const points = kind === 'tf' ? 3 : 3;
      for (let nth = 1; nth <= points; nth++) {
        for (const lands of [false, true]) {
          const dir = `s3://${bucket}/k/${kind}-${nth}-${lands ? 'landed' : 'dropped'}`;
          await writeTree(g, dir, kind === 'tf' ? tfRun() : hfRun());
          const run = await killedRun(dir, nth, lands);
          const label = `killed at mutating request ${nth} (${lands ? 'landed' : 'dropped'})`;
          expect(run.reached, label).toBe(true);
          expect(run.signal, label).toBe('SIGKILL');
          await checkInvariant(direct, g, dir, kind, label);
          const rerun = await direct('prune', '--yes', ...RULES, dir);
          expect(rerun.code, label).toBe(0);
          await checkConverged(g, dir, kind, `rerun: ${label}`);
        }
      }
      // One more: a run that was never killed sends exactly `points` such requests.
      const dir = `s3://${bucket}/k/${kind}-whole`;
      await writeTree(g, dir, kind === 'tf' ? tfRun() : hfRun());
      const whole = await direct('prune', '--yes', '--stats', ...RULES, dir);
      expect(whole.code).toBe(0);
      expect((whole.stats!.requests.put ?? 0) + whole.stats!.requests.delete).toBe(points);
    });
  }
});

serverSuite('prune killed with SIGKILL at every request (GCS emulator)', gcsServer(), (server: GcsTestServer) => {
  const bucket = `ckptkit-prune-kill-${randomBytes(5).toString('hex')}`;
  let g: GFile;
  let home = '';
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  beforeAll(async () => {
    await ensureGcsBucket(bucket, gcsOptions(server));
    g = storesGFile({ gcs: server });
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-kill-home-'));
    proxy = await startFaultProxy({ target: server.endpoint });
  });
  afterAll(async () => {
    await proxy?.close();
    if (await g.exists(`gs://${bucket}/k`)) await g.removeTree(`gs://${bucket}/k`);
    await g.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  const direct = (...args: string[]) => runCli([...args, ...cliStoreFlags({ gcs: server })], { env: cliEnv(home) });

  /** As on S3: killed when its `nth` upload or DELETE arrives at the proxy (one at a time: --concurrency 1). */
  function killedRun(dir: string, nth: number, lands: boolean): Promise<{ signal: NodeJS.Signals | null; reached: boolean }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CKPT_BIN, 'prune', '--yes', '--concurrency', '1', ...RULES, dir, '--gcs-endpoint', proxy.url], { cwd: REPO, env: { ...process.env, ...cliEnv(home) }, stdio: 'ignore' });
      let seen = 0;
      let reached = false;
      proxy.schedule.set([
        {
          match: {
            when: (info) => {
              if (!(info.method === 'DELETE' || (info.method === 'POST' && info.url.startsWith('/upload/')) || info.method === 'PUT')) return false;
              if (++seen !== nth) return false;
              reached = true;
              child.kill('SIGKILL');
              return true;
            },
          },
          action: lands ? { kind: 'reset', forward: true } : { kind: 'reset' },
        },
      ]);
      child.on('error', reject);
      child.on('close', (_code, signal) => resolve({ signal, reached }));
    });
  }

  it('tf: the state file upload and every DELETE are kill points (dropped, or landed); latest holds, a rerun converges', { timeout: 600_000 }, async () => {
    // One upload (the state file), then one DELETE per object: 3 commit files, 6 others.
    const points = 1 + 9;
    for (let nth = 1; nth <= points; nth++) {
      for (const lands of [false, true]) {
        const dir = `gs://${bucket}/k/tf-${nth}-${lands ? 'landed' : 'dropped'}`;
        await writeTree(g, dir, tfRun());
        const run = await killedRun(dir, nth, lands);
        const label = `killed at mutating request ${nth} of ${points} (${lands ? 'landed' : 'dropped'})`;
        expect(run.reached, label).toBe(true);
        expect(run.signal, label).toBe('SIGKILL');
        await checkInvariant(direct, g, dir, 'tf', label);
        expect((await direct('prune', '--yes', ...RULES, dir)).code, label).toBe(0);
        await checkConverged(g, dir, 'tf', `rerun: ${label}`);
      }
    }
  });
});
