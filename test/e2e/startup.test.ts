/**
 * `ckpt latest ./dir` loads no cloud SDK and no module it does not need: no yargs, no bundle
 * reader (snappy, crc32), no S3/GCS adapter. The installed `ckpt` (cli/bin/ckpt.cjs) runs it from
 * the one-file bundle when it is current, without the ES module loader; the ES module entry
 * (cli/dist/bin.js) runs the same fast path from the modules tsc wrote. Everything else goes
 * through yargs.
 */
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const EXAMPLE = path.join(REPO, 'examples', 'run42');
const LAUNCHER = path.join(REPO, 'cli', 'bin', 'ckpt.cjs');
const DIST = path.join(REPO, 'cli', 'dist');
const ESM_HOOK = path.join(REPO, 'test', 'helpers', 'trace-imports.mjs');
const HEAVY = /yargs|@aws-sdk|@smithy|@google-cloud|gaxios|google-auth-library|@azure|snappy|@node-rs|adapters\/(s3|gcs|azure)\/|cli-progress/;
let dir: string;
let cjsHook: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-startup-'));
  // CommonJS loads do not reach the ES module hooks: a preload records require.cache at exit.
  cjsHook = path.join(dir, 'trace-require.cjs');
  await fs.writeFile(cjsHook, `process.on('exit', () => require('node:fs').appendFileSync(process.env.CKPT_TRACE_FILE, Object.keys(require.cache).join('\\n') + '\\n'));\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs `node [hooks] script args` and returns the answer and every module file it loaded (ES modules and CommonJS). */
async function traced(script: string, args: string[], name: string) {
  const trace = path.join(dir, name);
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', ESM_HOOK, '--require', cjsHook, script, ...args], { cwd: REPO, env: { ...process.env, CKPT_TRACE_FILE: trace } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  // The ES module hooks name files by URL (the CommonJS main module too), require.cache by path.
  const names = (await fs.readFile(trace, 'utf8')).split('\n').filter(Boolean);
  const loaded = [...new Set(names.map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u)))].filter((u) => u !== cjsHook);
  return { ...r, loaded };
}

/** What bin/ckpt.cjs checks: the bundle is there and the packages it was made from were not rebuilt since. */
function bundleCurrent(): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(DIST, 'fast-latest.bundle.json'), 'utf8')) as { inputs: Array<{ path: string; mtimeMs: number }> };
    return existsSync(path.join(DIST, 'fast-latest.bundle.cjs')) && manifest.inputs.every((i) => statSync(path.join(DIST, i.path)).mtimeMs === i.mtimeMs);
  } catch {
    return false;
  }
}

describe('ckpt latest start-up', () => {
  it('the installed ckpt: no yargs, SDK or bundle reader; from the bundle when it is current', async () => {
    const current = bundleCurrent();
    for (const run of ['first', 'second']) {
      const r = await traced(LAUNCHER, ['latest', '--json', EXAMPLE], `launcher-${run}.txt`);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ prefix: path.join(EXAMPLE, 'ckpt-1000'), step: 1000, source: 'state', complete: true });
      expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
      if (current) {
        // Only the launcher itself and Node built-ins: the bundle is compiled from its text, not loaded as a module.
        expect(r.loaded.filter((u) => !u.startsWith('node:'))).toEqual([LAUNCHER]);
      } else {
        expect(r.loaded).toContain(pathOf('cli/dist/fast-latest.js'));
      }
    }
    // One code cache per Node version (decision 0014).
    if (current) expect(existsSync(path.join(DIST, `fast-latest.bundle.cjs.${process.version}-${process.arch}.v8-cache`))).toBe(true);
  });

  it('the ES module entry runs the same fast path without yargs', async () => {
    const r = await traced(path.join(DIST, 'bin.js'), ['latest', '--json', EXAMPLE], 'esm.txt');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: path.join(EXAMPLE, 'ckpt-1000'), source: 'state' });
    expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
    expect(r.loaded).toContain(pathOf('cli/dist/fast-latest.js'));
  });

  it('anything beyond the plain form goes through yargs (control: the tracer sees it)', async () => {
    const r = await traced(LAUNCHER, ['latest', '--verify', '--json', EXAMPLE], 'verify.txt');
    expect(r.code).toBe(0);
    expect(r.loaded.some((u) => /\/yargs\//.test(u))).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: path.join(EXAMPLE, 'ckpt-1000'), verify: { ok: true } });
  });
});

function pathOf(rel: string): string {
  return path.join(REPO, rel);
}
