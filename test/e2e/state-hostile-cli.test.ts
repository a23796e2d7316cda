/**
 * Hostile state files through the built `ckpt`: a state file naming a path no store can hold (a
 * NUL byte, a 1,000,000-character name) is a property of the file, so `ckpt latest DIR` (a correct
 * invocation) never exits 2: robust mode notes the path and answers from the scan (0, or 1 with
 * `null` when the directory holds nothing), `--tf-compat` answers what TensorFlow answers, and
 * `ckpt state` prints the path escaped. A 10 MiB state file resolves within the time budget.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/**
 * CPU time (user + system, ms) of this process's finished children, from /proc/self/stat
 * (cutime, cstime); undefined where there is no /proc.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5), counted from `state` (field 3) here; in clock ticks of 10 ms.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

const NUL = 'model_checkpoint_path: "ckpt-9\\000"\nall_model_checkpoint_paths: "ckpt-9\\000"\n';
const MILLION = `model_checkpoint_path: "${'m'.repeat(1_000_000)}"\n`;
const NOTE = 'the state file names a path no store can hold';

function hostileCliSuite(name: string, servers: { s3?: S3TestServer }, rootOf: () => string): void {
  let g: GFile;
  let home: string;
  const dir = (rel: string) => `${rootOf()}/${rel}`;
  beforeAll(async () => {
    g = storesGFile(servers);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-hostile-home-'));
    for (const [rel, state] of [
      ['nul', NUL],
      ['million', MILLION],
    ] as const) {
      // One directory with a complete checkpoint beside the state file, one with nothing else.
      await g.writeText(dir(`${rel}/full/ckpt-7.index`), 'index');
      await g.writeText(dir(`${rel}/full/ckpt-7.data-00000-of-00001`), 'data');
      await g.writeText(dir(`${rel}/full/checkpoint`), state);
      await g.writeText(dir(`${rel}/bare/checkpoint`), state);
    }
  }, 120_000);
  afterAll(async () => {
    await g.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  const ckpt = (...args: string[]) => runCli([...args, ...cliStoreFlags(servers)], { env: cliEnv(home, servers.s3) });

  for (const rel of ['nul', 'million']) {
    it(`${name}, ${rel}: latest answers from the scan (0), or null (1) when there is nothing; never 2`, async () => {
      const full = await ckpt('latest', dir(`${rel}/full`));
      expect(full.code).toBe(0);
      expect(full.stdout.trim()).toBe(dir(`${rel}/full/ckpt-7`));
      expect(full.stderr).toContain(NOTE);
      expect(full.stderr).toContain(rel === 'nul' ? 'it contains a NUL byte' : servers.s3 ? 'its key is' : 'it has a name of 1,000,000 bytes');
      // The note shows the start of the path, not a megabyte of it; control characters escaped.
      expect(full.stderr.length).toBeLessThan(4000);
      expect(full.stderr).not.toContain('\0');

      const json = await ckpt('latest', '--json', dir(`${rel}/full`));
      expect(json.code).toBe(0);
      const answer = JSON.parse(json.stdout) as { prefix: string; source: string; notes: string[] };
      expect(answer).toMatchObject({ prefix: dir(`${rel}/full/ckpt-7`), source: 'scan' });
      expect(answer.notes[0]).toContain(NOTE);

      const bare = await ckpt('latest', dir(`${rel}/bare`));
      expect(bare.code).toBe(1);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toContain(NOTE);
      const bareJson = await ckpt('latest', '--json', dir(`${rel}/bare`));
      expect(bareJson.code).toBe(1);
      expect(JSON.parse(bareJson.stdout)).toBeNull();
    });

    it(`${name}, ${rel}: --tf-compat answers None (exit 1, null), as TensorFlow`, async () => {
      for (const sub of ['full', 'bare']) {
        const r = await ckpt('latest', '--tf-compat', '--json', dir(`${rel}/${sub}`));
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout)).toBeNull();
      }
    });
  }

  it(`${name}: ckpt state prints such paths escaped and marked, exit 0`, async () => {
    const text = await ckpt('state', dir('nul/full'));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('model_checkpoint_path: "ckpt-9\\u0000"  (NO STORE CAN HOLD THIS PATH: it contains a NUL byte)');
    expect(text.stdout).not.toContain('\0');
    const json = await ckpt('state', '--json', dir('nul/full'));
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout) as { status: string; modelCheckpointPath: string; paths: Array<{ unstorable?: string }> };
    expect(s).toMatchObject({ status: 'ok', modelCheckpointPath: 'ckpt-9\0' });
    expect(s.paths[0]!.unstorable).toBe('it contains a NUL byte');
  });
}

describe('hostile state files through the CLI, local disk', () => {
  let root = '';
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-hostile-cli-'));
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));
  hostileCliSuite('local', {}, () => root);

  it('local: NUL first: --tf-compat answers the prefix, since TensorFlow checks the C string "DIR/" (exit 0)', async () => {
    const dir = `${root}/nul-first`;
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${dir}/checkpoint`, 'model_checkpoint_path: "\\000x"\n');
    const r = await runCli(['latest', '--tf-compat', '--json', dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ prefix: `${dir}/\0x` });
    const robust = await runCli(['latest', dir]);
    expect(robust.code).toBe(1);
    expect(robust.stderr).toContain(NOTE);
  });

  it('local: a 10 MiB state file of escaped backslashes resolves in both modes within 3 s of CPU through the CLI', async () => {
    const dir = `${root}/ten-mib`;
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${dir}/ckpt-7.index`, 'index');
    await fs.writeFile(`${dir}/ckpt-7.data-00000-of-00001`, 'data');
    await fs.writeFile(`${dir}/checkpoint`, `model_checkpoint_path: "${'\\\\'.repeat(5 * 1024 * 1024)}"\n`);
    for (const args of [['latest', dir], ['latest', '--tf-compat', dir]]) {
      const cpu0 = childrenCpuMs();
      const t0 = performance.now();
      const r = await runCli(args);
      const ms = performance.now() - t0;
      expect(r.code).toBe(args.includes('--tf-compat') ? 1 : 0);
      // CPU time, start-up included: wall time depends on what else the machine runs.
      const cpu = childrenCpuMs();
      if (cpu !== undefined && cpu0 !== undefined) expect(cpu - cpu0).toBeLessThan(3000);
      expect(ms).toBeLessThan(60_000);
    }
  });
});

const s3 = s3Server();
serverSuite('hostile state files through the CLI, s3:// (RGW)', s3, (server) => {
  const bucket = `ckpt-hostile-cli-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => createBucket(bucket, s3Options(server)), 120_000);
  afterAll(async () => {
    const g = storesGFile({ s3: server });
    await g.removeTree(`s3://${bucket}/run`).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(server));
    await g.close();
  });
  hostileCliSuite('s3', { s3: server }, () => `s3://${bucket}/run`);
});
