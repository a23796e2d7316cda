/**
 * Running a command line through the launcher (bin/ckpt.cjs, which takes a start-up bundle when
 * one is current) and through the ES module entry (dist/bin.js, yargs and the modules), to prove
 * the bundles answer byte for byte as the modules do, and that they load nothing else.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { GFile } from '@ckptkit/gfile';
import { assertNoRuntimeWarning, REPO } from './cli.js';

export const LAUNCHER = path.join(REPO, 'cli', 'bin', 'ckpt.cjs');
export const DIST = path.join(REPO, 'cli', 'dist');
export const ESM_ENTRY = path.join(DIST, 'bin.js');
const ESM_HOOK = path.join(REPO, 'test', 'helpers', 'trace-imports.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node [nodeArgs] script args` in the repository, with exactly `env`. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, script, ...args], { cwd: REPO, env, timeout: 60_000 }, (error, stdout, stderr) => {
      assertNoRuntimeWarning(stderr, `${script} ${args.join(' ')}`);
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The one thing that may differ: the time --stats reports. */
export const untimed = (r: Run): Run => ({ ...r, stderr: r.stderr.replace(/"ms":\d+/g, '"ms":0') });

/** Runs a command line both ways and expects the same answer; returns the launcher's. */
export async function sameBothWays(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const fast = await runScript(LAUNCHER, args, env);
  const yargsPath = await runScript(ESM_ENTRY, args, env);
  expect(untimed(fast)).toEqual(untimed(yargsPath));
  return fast;
}

/** What bin/ckpt.cjs checks before using the bundle `name`: it is there and its packages were not rebuilt since. */
export function bundleCurrent(name: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(DIST, `${name}.bundle.json`), 'utf8')) as { inputs: Array<{ path: string; mtimeMs: number }> };
    return existsSync(path.join(DIST, `${name}.bundle.cjs`)) && manifest.inputs.every((i) => statSync(path.join(DIST, i.path)).mtimeMs === i.mtimeMs);
  } catch {
    return false;
  }
}

/** Runs the launcher with import and require tracing; returns the answer and every module file it loaded but the tracer. */
export async function tracedLauncher(args: string[], env: NodeJS.ProcessEnv, scratch: string): Promise<Run & { loaded: string[] }> {
  const trace = path.join(scratch, `trace-${process.hrtime.bigint()}.txt`);
  const cjsHook = path.join(scratch, 'trace-require.cjs');
  // CommonJS loads do not reach the ES module hooks: a preload records require.cache at exit.
  await fs.writeFile(cjsHook, `process.on('exit', () => require('node:fs').appendFileSync(process.env.CKPT_TRACE_FILE, Object.keys(require.cache).join('\\n') + '\\n'));\n`);
  const r = await runScript(LAUNCHER, args, { ...env, CKPT_TRACE_FILE: trace }, ['--import', ESM_HOOK, '--require', cjsHook]);
  const names = (await fs.readFile(trace, 'utf8')).split('\n').filter(Boolean);
  const loaded = [...new Set(names.map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u)))].filter((u) => u !== cjsHook);
  return { ...r, loaded };
}

/**
 * The tree both fast-path suites run on: two runs (`a`, `b/c`) of ckpt-100 and ckpt-200 with a
 * state file naming ckpt-200, and `broken/`, an index without its data (5 checkpoints for find).
 */
export async function writeFastPathTree(g: GFile, root: string): Promise<void> {
  for (const model of ['a', 'b/c']) {
    const dir = `${root}/${model}`;
    for (const step of [100, 200]) {
      await g.writeText(`${dir}/ckpt-${step}.index`, 'i');
      await g.writeText(`${dir}/ckpt-${step}.data-00000-of-00001`, 'd');
    }
    await g.writeText(`${dir}/checkpoint`, 'model_checkpoint_path: "ckpt-200"\nall_model_checkpoint_paths: "ckpt-100"\nall_model_checkpoint_paths: "ckpt-200"\n');
  }
  await g.writeText(`${root}/broken/ckpt-7.index`, 'i');
}
