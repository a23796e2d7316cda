/**
 * Issue 17, pipes and signals where storage matters, through the built binary on RGW (S3) and the
 * GCS emulator: Ctrl-C during an upload aborts it (no multipart upload left, terminal restored,
 * exit 130); Ctrl-C during a download into a local disk leaves no temporary file; `kill -9` leaves
 * an upload that the next `cp` finds in its records and abandons (S3: aborted; GCS: cancelled where
 * the server can, the record settled either way), never touching another live writer's upload; a
 * closed stdout ends the cloud fast path with 141.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeBundle } from '@ckptkit/core';
import type { GFile } from '@ckptkit/gfile';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { createBucket } from '@ckptkit/s3';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';
import { runOnPty, runWithClosedStdout } from '../helpers/pty.js';
import { gcsServer, s3Server, serverSuite } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const MiB = 1024 * 1024;
const ESC = '\u001b';
const s3 = s3Server();
const gcs = gcsServer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

serverSuite('pipes, signals and leftovers on S3 (RGW) and GCS (emulator)', s3 && gcs ? { s3, gcs } : undefined, (servers) => {
  const bucket = `ckpt-term-${Math.random().toString(16).slice(2, 10)}`;
  const flags = cliStoreFlags(servers);
  let tmp: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let g: GFile;
  let big: string;
  const records = () => path.join(home, '.local', 'state', 'ckptkit', 'unfinished');
  const recordFiles = () => (existsSync(records()) ? readdirSync(records()) : []);

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-term-stores-'));
    home = path.join(tmp, 'home');
    env = { ...cliEnv(home, servers.s3), NO_COLOR: '1' };
    g = storesGFile(servers);
    await createBucket(bucket, s3Options(servers.s3));
    await ensureGcsBucket(bucket, gcsOptions(servers.gcs));
    big = path.join(tmp, 'src', 'ckpt-9');
    const block = Buffer.alloc(32 * MiB, 0x33);
    await writeBundle(g, big, Array.from({ length: 4 }, (_, i) => ({ key: `t${i}`, dtype: 'DT_UINT8', shape: [block.length], data: block, shard: i })), { numShards: 4 });
    for (const store of ['s3', 'gs']) await writeBundle(g, `${store}://${bucket}/tree/ckpt-1`, [{ key: 'w', dtype: 'DT_FLOAT', shape: [1], data: new Uint8Array(4), shard: 0 }], { numShards: 1 });
  }, 300_000);

  /**
   * Removes everything this suite put in both buckets, uploads left open included (RGW here keeps
   * its data in a few GiB of RAM shared by every test run: nothing may stay behind).
   */
  async function clean(dir: string): Promise<void> {
    for (const store of ['s3', 'gs']) {
      const root = `${store}://${bucket}/${dir}`;
      for (const u of await g.unfinishedWrites(`${root}/`).catch(() => [])) await g.abandonWrite(u.uri, u.id).catch(() => undefined);
      await g.removeTree(root).catch(() => undefined);
    }
  }

  afterAll(async () => {
    for (const dir of ['int', 'whole', 'killed', 'shared', 'tree']) await clean(dir);
    await dropS3Bucket(bucket, s3Options(servers.s3));
    await g?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Starts `ckpt cp SRC DST` and SIGKILLs it as soon as it has recorded an open upload. */
  async function killDuringUpload(dst: string): Promise<string[]> {
    const child = spawn(process.execPath, [CKPT_BIN, 'cp', '--parallel', '1', ...flags, big, dst], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', r));
    let lines: string[] = [];
    for (let i = 0; i < 1000 && lines.length === 0; i++) {
      await sleep(10);
      const file = recordFiles().find((f) => f.endsWith(`-${child.pid}.jsonl`));
      lines = file ? readFileSync(path.join(records(), file), 'utf8').split('\n').filter((l) => l.includes('"started"')) : [];
    }
    child.kill('SIGKILL');
    await exited;
    return lines;
  }

  it('S3: Ctrl-C during an upload with a progress bar aborts it: no upload left, terminal restored, exit 130', async () => {
    const dst = `s3://${bucket}/int`;
    let sent = false;
    const r = await runOnPty(['cp', '--parallel', '1', ...flags, big, dst], {
      env,
      onOutput: (out, ctl) => {
        if (!sent && /[1-9]\d*% \| [\d.]+ MiB of 128\.0 MiB/.test(out)) {
          sent = true;
          ctl.type('\u0003');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    const tail = r.out.slice(r.out.lastIndexOf('cp ['));
    expect(tail).toContain(`${ESC}[?25h`);
    expect(tail).toContain(`${ESC}[?7h`);
    expect(await g.unfinishedWrites(`${dst}/`)).toEqual([]);
    expect(await g.exists(`${dst}/ckpt-9.index`)).toBe(false);
    // Every upload it opened it also ended: no record left behind.
    expect(recordFiles()).toEqual([]);
    await clean('int');
  }, 120_000);

  it('S3 -> local: Ctrl-C during a ranged download leaves no temporary file', async () => {
    await runCli(['cp', ...flags, big, `s3://${bucket}/whole`], { env, timeoutMs: 120_000 });
    const dst = path.join(tmp, 'down');
    let sent = false;
    const r = await runOnPty(['cp', '--parallel', '1', ...flags, `s3://${bucket}/whole/ckpt-9`, dst], {
      env,
      onOutput: (out, ctl) => {
        if (!sent && /[1-9]\d*% \| [\d.]+ MiB of/.test(out)) {
          sent = true;
          ctl.type('\u0003');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect((existsSync(dst) ? readdirSync(dst) : []).filter((n) => n.includes('.ckpt-tmp-'))).toEqual([]);
    expect(existsSync(path.join(dst, 'ckpt-9.index'))).toBe(false);
    await clean('whole');
  }, 180_000);

  it('S3: kill -9 leaves a multipart upload; the next cp aborts it from its record and finishes', async () => {
    const dst = `s3://${bucket}/killed`;
    const started = await killDuringUpload(dst);
    expect(started.length).toBeGreaterThan(0);
    const left = await g.unfinishedWrites(`${dst}/`);
    expect(left.length).toBeGreaterThan(0);
    expect(left.map((u) => u.id)).toContain((JSON.parse(started[0]!) as { id: string }).id);

    const r = await runCli(['cp', '--verbose', ...flags, big, dst], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed \d+ leftover\(s\) of an earlier copy that did not finish/);
    expect(r.stderr).toContain('recorded by a run that no longer runs');
    expect(await g.unfinishedWrites(`${dst}/`)).toEqual([]);
    expect(recordFiles()).toEqual([]);
    expect((await runCli(['verify', ...flags, `${dst}/ckpt-9`], { env })).code).toBe(0);
    await clean('killed');
  }, 180_000);

  it("S3: a live writer's upload under the same name is left alone", async () => {
    const dst = `s3://${bucket}/shared`;
    // Another writer: a streamed upload (multipart beyond 16 MiB) held open half way.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* body() {
      yield new Uint8Array(20 * MiB);
      await held;
      yield new Uint8Array(MiB);
    }
    const writing = g.writeFile(`${dst}/ckpt-9.data-00003-of-00004`, body(), { size: 21 * MiB });
    let live: Array<{ id: string }> = [];
    for (let i = 0; i < 500 && live.length === 0; i++) {
      await sleep(20);
      live = await g.unfinishedWrites(`${dst}/`);
    }
    expect(live).toHaveLength(1);
    const r = await runCli(['cp', '--verbose', ...flags, `${path.dirname(big)}/ckpt-9`, dst], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('leftover');
    expect((await g.unfinishedWrites(`${dst}/`)).map((u) => u.id)).toEqual(live.map((u) => u.id));
    release();
    await writing;
    await clean('shared');
  }, 180_000);

  it('GCS: kill -9 leaves a recorded upload session; the next cp cancels it where the server can and settles the record', async () => {
    const dst = `gs://${bucket}/killed`;
    const started = await killDuringUpload(dst);
    expect(started.length).toBeGreaterThan(0);
    const session = JSON.parse(started[0]!) as { uri: string; id: string };
    expect(session.uri).toMatch(new RegExp(`^gs://${bucket}/killed/ckpt-9\\.data-`));
    expect(session.id).toContain('upload_id=');
    expect(recordFiles()).toHaveLength(1);

    const r = await runCli(['cp', '--verbose', ...flags, big, dst], { env, timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    // Real GCS cancels (DELETE answers 499); the emulator answers 501: left to expire, said so.
    expect(r.stderr).toMatch(/removed 1 leftover\(s\)|could not remove an unfinished write of gs:\/\/\S+ \(left to expire\): NOT_SUPPORTED: .*HTTP 501/);
    expect(recordFiles()).toEqual([]);
    expect((await runCli(['verify', ...flags, `${dst}/ckpt-9`], { env })).code).toBe(0);
    await clean('killed');
  }, 240_000);

  it('GCS: Ctrl-C during an upload: terminal restored, nothing recorded as open, exit 130', async () => {
    let sent = false;
    const r = await runOnPty(['cp', '--parallel', '1', ...flags, big, `gs://${bucket}/int`], {
      env,
      onOutput: (out, ctl) => {
        if (!sent && /[1-9]\d*% \| [\d.]+ MiB of 128\.0 MiB/.test(out)) {
          sent = true;
          ctl.type('\u0003');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    const tail = r.out.slice(r.out.lastIndexOf('cp ['));
    expect(tail).toContain(`${ESC}[?25h`);
    expect(await g.exists(`gs://${bucket}/int/ckpt-9.index`)).toBe(false);
    // The session was cancelled, or (emulator: no cancel) its record kept for the next run.
    for (const f of recordFiles()) expect(readFileSync(path.join(records(), f), 'utf8')).toContain(`gs://${bucket}/int/`);
    await fs.rm(records(), { recursive: true, force: true });
    await clean('int');
  }, 180_000);

  it('a closed stdout ends the cloud fast path and the yargs path with 141, nothing on stderr', async () => {
    for (const args of [
      ['find', ...flags, `s3://${bucket}/tree`],
      ['find', '--json', ...flags, `s3://${bucket}/tree`],
      ['latest', ...flags, `s3://${bucket}/tree`],
      ['ls', '-R', ...flags, `s3://${bucket}/tree`],
      ['find', ...flags, `gs://${bucket}/tree`],
      ['latest', '--json', ...flags, `gs://${bucket}/tree`],
      ['ls', '-l', '-h', ...flags, `gs://${bucket}/tree`],
    ]) {
      const r = await runWithClosedStdout(args, env);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 141, stderr: '' });
    }
  }, 120_000);
});
