/**
 * `ckpt latest ./dir` loads no cloud SDK and no module it does not need: no yargs, no bundle
 * reader (snappy, crc32), no S3/GCS adapter; from the one-file bundle of the fast path when it is
 * current. Everything else still goes through yargs.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

const EXAMPLE = path.join(REPO, 'examples', 'run42');
const HOOK = path.join(REPO, 'test', 'helpers', 'trace-imports.mjs');
const HEAVY = /yargs|@aws-sdk|@smithy|@google-cloud|gaxios|google-auth-library|snappy|@node-rs|adapters\/(s3|gcs)\/|cli-progress/;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-startup-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function traced(args: string[], name: string): Promise<{ code: number; stdout: string; loaded: string[] }> {
  const trace = path.join(dir, name);
  const r = await runCli(args, { nodeArgs: ['--import', HOOK], env: { CKPT_TRACE_FILE: trace } });
  const loaded = [...new Set((await fs.readFile(trace, 'utf8')).split('\n').filter(Boolean))];
  return { code: r.code, stdout: r.stdout, loaded };
}

describe('ckpt latest start-up', () => {
  it('ckpt latest ./dir loads neither yargs nor an SDK nor the bundle reader, and answers as before', async () => {
    const r = await traced(['latest', '--json', EXAMPLE], 'latest.txt');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: path.join(EXAMPLE, 'ckpt-1000'), step: 1000, source: 'state', complete: true });
    expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
    const { fastPathModule } = (await import(pathToFileURL(path.join(REPO, 'cli', 'dist', 'fast-bundle.js')).href)) as { fastPathModule(): string };
    if (fastPathModule() === './fast-latest.bundle.js') {
      // Current bundle: the CLI's own three small modules, the bundle, and Node built-ins.
      expect(r.loaded.filter((u) => !u.startsWith('node:')).map((u) => path.basename(u)).sort()).toEqual(['bin.js', 'fast-bundle.js', 'fast-latest.bundle.js', 'fast-path.js']);
    } else {
      expect(r.loaded.some((u) => u.endsWith('/cli/dist/fast-latest.js'))).toBe(true);
    }
  });

  it('anything beyond the plain form goes through yargs (control: the tracer sees it)', async () => {
    const r = await traced(['latest', '--verify', '--json', EXAMPLE], 'verify.txt');
    expect(r.code).toBe(0);
    expect(r.loaded.some((u) => /\/yargs\//.test(u))).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: path.join(EXAMPLE, 'ckpt-1000'), verify: { ok: true } });
  });
});
