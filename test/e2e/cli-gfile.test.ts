import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-e2e-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ckpt ls / stat / glob (local)', () => {
  it('ls -R --json --stats on 200 folders: at most one listing per folder, no stat per child', async () => {
    const tree = path.join(dir, 'wide');
    for (let i = 0; i < 200; i++) {
      const d = path.join(tree, `run-${String(i).padStart(3, '0')}`, i % 2 ? 'eval' : '');
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, 'ckpt-1.index'), 'index');
    }
    const r = await runCli(['ls', '-R', '--json', '--stats', tree]);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Array<{ uri: string; kind: string; size: number; mtime: string | null }>;
    expect(entries.filter((e) => e.kind === 'file')).toHaveLength(200);
    expect(entries.filter((e) => e.kind === 'directory')).toHaveLength(300);
    expect(entries[0]).toEqual({ uri: path.join(tree, 'run-000'), kind: 'directory', size: 0, mtime: expect.any(String) });
    expect(entries.find((e) => e.uri.endsWith('run-001/eval/ckpt-1.index'))).toMatchObject({ kind: 'file', size: 5 });
    expect(r.stats).toBeDefined();
    const folders = 301;
    expect(r.stats!.requests.list).toBeGreaterThanOrEqual(1);
    expect(r.stats!.requests.list).toBeLessThanOrEqual(folders);
    expect(r.stats!.requests.head).toBe(0);
    expect(r.stats!.requests.get).toBe(0);
    expect(Object.keys(r.stats!.requests)).toEqual(expect.arrayContaining(['list', 'get', 'head', 'put', 'delete', 'copy']));
    expect(typeof r.stats!.ms).toBe('number');
  });

  it('ls prints names relative to the directory, spelled as typed', async () => {
    await fs.mkdir(path.join(dir, 'small', 'sub'), { recursive: true });
    await fs.writeFile(path.join(dir, 'small', 'epoch=3-step=1000.ckpt'), 'abc');
    const r = await runCli(['ls', './small'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('epoch=3-step=1000.ckpt\nsub/\n');
    const j = await runCli(['ls', '--json', './small'], { cwd: dir });
    expect((JSON.parse(j.stdout) as Array<{ uri: string }>).map((e) => e.uri)).toEqual(['./small/epoch=3-step=1000.ckpt', './small/sub']);
    const long = await runCli(['ls', '-l', 'small'], { cwd: dir });
    expect(long.stdout).toMatch(/^- +3 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +epoch=3-step=1000\.ckpt$/m);
  });

  it('stat gives an array, glob exits 1 when nothing matches', async () => {
    const st = await runCli(['stat', '--json', path.join(dir, 'small'), path.join(dir, 'small', 'epoch=3-step=1000.ckpt')]);
    expect(st.code).toBe(0);
    expect((JSON.parse(st.stdout) as Array<{ kind: string; size: number }>).map((e) => [e.kind, e.size])).toEqual([
      ['directory', 0],
      ['file', 3],
    ]);
    const g = await runCli(['glob', '--json', `${dir}/small/*.ckpt`]);
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout)).toHaveLength(1);
    const none = await runCli(['glob', '--json', `${dir}/small/*.nothing`]);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('exit codes and JSON errors follow the contract', async () => {
    const missing = await runCli(['ls', '--json', path.join(dir, 'nope')]);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr.trim())).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), uri: path.join(dir, 'nope'), operation: 'stat' } });
    const scheme = await runCli(['ls', 'ftp://host/x']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('known schemes');
    expect(scheme.stderr).toContain('s3://');
    const badFlag = await runCli(['ls', '--definitely-unknown-flag', dir]);
    expect(badFlag.code).toBe(2);
    // yargs' complaint only: the command's handler never runs after a usage error.
    expect(badFlag.stderr.match(/^ckpt:/gm)).toHaveLength(1);
    const noCommand = await runCli([]);
    expect(noCommand.code).toBe(2);
    const badConcurrency = await runCli(['ls', '--concurrency', '0', dir]);
    expect(badConcurrency.code).toBe(2);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ckpt ls <uri>');
  });

  it('ls of a local directory never loads a cloud SDK', async () => {
    const trace = path.join(dir, 'trace.txt');
    const hook = path.join(REPO, 'test', 'helpers', 'trace-imports.mjs');
    const r = await runCli(['ls', '--json', path.join(dir, 'small')], { nodeArgs: ['--import', hook], env: { CKPT_TRACE_FILE: trace } });
    expect(r.code).toBe(0);
    const loaded = await fs.readFile(trace, 'utf8');
    // The tracer sees the modules the command does load ...
    expect(loaded).toContain('/yargs/');
    expect(loaded).toMatch(/adapters\/local\/dist\/index\.js/);
    // ... and none of the SDKs.
    expect(loaded).not.toMatch(/@aws-sdk|@smithy|@google-cloud|google-auth-library|gaxios|@azure/);
    expect(loaded).not.toMatch(/adapters\/(s3|gcs|azure)\//);
  });

  it('the import tracer does catch a cloud SDK when one is loaded (control)', async () => {
    const trace = path.join(dir, 'trace-control.txt');
    const hook = path.join(REPO, 'test', 'helpers', 'trace-imports.mjs');
    execFileSync(process.execPath, ['--import', hook, '--input-type=module', '-e', "await import('@aws-sdk/client-s3')"], {
      cwd: path.join(REPO, 'adapters', 's3'),
      env: { ...process.env, CKPT_TRACE_FILE: trace },
    });
    expect(await fs.readFile(trace, 'utf8')).toMatch(/@aws-sdk\/client-s3/);
  });
});
