/**
 * The model-zoo mirror example (examples/zoo-mirror/) run as a user runs it, on a local disk, RGW
 * and the GCS emulator; then `ckpt find` on the mirror gives exactly one line per model folder,
 * with its format, no step, its size and "complete", from one paged listing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { createBucket } from '@ckptkit/s3';
import { REPO, runCli } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite, type GcsTestServer, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const SCRIPT = path.join(REPO, 'examples', 'zoo-mirror', 'build-zoo-mirror.mjs');
const FORMAT_OF: Record<string, string> = { tf2: 'tf-od-zoo-v2', tf1: 'tf-od-zoo-v1', slim: 'tf-slim' };

interface PlanEntry {
  kind: 'tf2' | 'tf1' | 'slim';
  name: string;
  rel: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function mirrorSuite(name: string, models: number, servers: { s3?: S3TestServer; gcs?: GcsTestServer }, destOf: () => string, extraFindArgs: string[] = []): void {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let plan: PlanEntry[];
  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-zoo-home-'));
    env = cliEnv(home, servers.s3);
    const { mirrorPlan } = (await import(SCRIPT)) as { mirrorPlan: (n: number) => PlanEntry[] };
    plan = mirrorPlan(models);
  });
  afterAll(async () => fs.rm(home, { recursive: true, force: true }));

  it(`${name}: the example writes ${models} model folders`, async () => {
    const args = [destOf(), '--models', String(models), ...(servers.s3 ? ['--s3-endpoint', servers.s3.endpoint] : []), ...(servers.gcs ? ['--gcs-endpoint', servers.gcs.endpoint] : [])];
    const r = await runScript(args, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${models} model folders \\(\\d+ TF2 detection, \\d+ TF1 detection, \\d+ TF-Slim\\)`));
    expect(new Set(plan.map((m) => m.kind))).toEqual(new Set(['tf2', 'tf1', 'slim']));
  }, 120_000);

  it(`${name}: ckpt find gives one line per model (format, step, size, complete) from one paged listing`, async () => {
    const dest = destOf();
    const human = await runCli(['find', '--stats', ...cliStoreFlags(servers), ...extraFindArgs, dest], { env, timeoutMs: 120_000 });
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines).toHaveLength(models);
    const byFolder = new Map(plan.map((m) => [`${dest}/${m.rel}/`, m]));
    const folders = new Set<string>();
    for (const line of lines) {
      const [step, format, state, size, unit, prefix] = line.trim().split(/\s+/);
      const folder = [...byFolder.keys()].find((f) => prefix!.startsWith(f));
      expect(folder, line).toBeDefined();
      folders.add(folder!);
      expect([step, format, state], line).toEqual(['-', FORMAT_OF[byFolder.get(folder!)!.kind], 'complete']);
      expect(Number(size)).toBeGreaterThan(0);
      expect(unit).toMatch(/^(B|KiB)$/);
    }
    expect(folders.size).toBe(models);
    // Every object came from one recursive listing, 1,000 keys a page; nothing read per model.
    expect(human.stats!.requests.get).toBe(0);
    expect(human.stats!.requests.head).toBe(0);
    const json = await runCli(['find', '--json', ...cliStoreFlags(servers), ...extraFindArgs, dest], { env, timeoutMs: 120_000 });
    const found = JSON.parse(json.stdout) as Array<{ format: string; step: number | null; complete: boolean; bytes: number; dir: string }>;
    expect(found).toHaveLength(models);
    expect(found.every((c) => c.step === null && c.complete && c.bytes > 0)).toBe(true);
  }, 120_000);
}

describe('zoo mirror on local disk', () => {
  let root = '';
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-zoo-'));
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));
  mirrorSuite('local', 300, {}, () => `${root}/zoo-mirror`);
});

const s3 = s3Server();
serverSuite('zoo mirror on s3:// (RGW)', s3, (server) => {
  const bucket = `ckpt-zoo-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => createBucket(bucket, s3Options(server)));
  afterAll(async () => {
    const g = storesGFile({ s3: server });
    for (const p of ['object_detection', 'slim', 'mirror-2022-01', 'mirror-2022-02']) await g.removeTree(`s3://${bucket}/${p}`).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(server));
    await g.close();
  }, 120_000);
  mirrorSuite('s3', 300, { s3: server }, () => `s3://${bucket}`);
});

const gcs = gcsServer();
serverSuite('zoo mirror on gs:// (storage emulator), found with --anonymous', gcs, (server) => {
  const bucket = `ckpt-zoo-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => ensureGcsBucket(bucket, gcsOptions(server)).then(() => undefined));
  // The emulator stores uploads more slowly than RGW: a smaller mirror (still every layout).
  mirrorSuite('gcs', 120, { gcs: server }, () => `gs://${bucket}/zoo`, ['--anonymous']);
});
