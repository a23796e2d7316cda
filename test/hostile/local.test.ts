/**
 * Hostile trees on a local disk: symbolic-link loops, directories nested hundreds deep and past
 * PATH_MAX, a FIFO where the state file should be, data files that are devices, and names made of
 * control characters. Every command terminates, answers or fails typed, never writes outside the
 * destination, and never prints a raw control character.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, resolveLatestCheckpoint } from '@ckptkit/core';
import { createGFile, createRegistry, isCkptError, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { bundle, stateFile } from '../checkpoints/bytes.js';
import { writeTree } from '../checkpoints/suite.js';
import { runCli } from '../helpers/cli.js';

/** Raw control characters (C0 but tab and the newline ending each line, DEL, C1, bidi overrides). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('hostile trees on a local disk', () => {
  let tmp: string;
  let g: GFile;
  const DEPTH = 300;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-hostile-'));
    g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
    // Loops: a link to the parent, to itself, and two levels up.
    await writeTree(g, `${tmp}/loops/run`, { ...bundle('ckpt-1'), checkpoint: stateFile('ckpt-1') });
    await fs.symlink('..', `${tmp}/loops/run/loop`);
    await fs.symlink('.', `${tmp}/loops/run/self`);
    await fs.mkdir(`${tmp}/loops/run/sub`);
    await fs.symlink('../..', `${tmp}/loops/run/sub/up`);
    await fs.symlink(`${tmp}/loops/run/sub/dangling-target`, `${tmp}/loops/run/dangling`);
    // Deep: DEPTH nested directories with a checkpoint at the bottom.
    const deep = path.join(tmp, 'deep', ...Array<string>(DEPTH).fill('d'));
    await writeTree(g, deep, { ...bundle('ckpt-5'), checkpoint: stateFile('ckpt-5') });
    // Special files: a FIFO as the state file, a device as data, a device as a whole checkpoint.
    await writeTree(g, `${tmp}/special`, { ...bundle('ckpt-2'), 'ckpt-3.index': 40 });
    execFileSync('mkfifo', [`${tmp}/special/checkpoint`]);
    await fs.symlink('/dev/zero', `${tmp}/special/ckpt-3.data-00000-of-00001`);
    await fs.symlink('/dev/zero', `${tmp}/special/model.keras`);
    // Names with control characters, a newline, a backslash and bidi overrides.
    await writeTree(g, `${tmp}/names`, {
      'ckpt-9\u001b[2J.index': 40,
      'ckpt-9\u001b[2J.data-00000-of-00001': 64,
      'new\nline\u009b31m.txt': 1,
      'back\\slash': 1,
      '\u202eexe.index': 1,
      [`${'n'.repeat(250)}.txt`]: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await g?.close();
    // GNU rm walks with openat, so it removes the past-PATH_MAX tree that fs.rm cannot (ENAMETOOLONG).
    if (tmp) execFileSync('rm', ['-rf', tmp]);
  });

  it('find terminates over symlink loops and reports each checkpoint once', async () => {
    const found = await findCheckpoints(`${tmp}/loops`, { gfile: g });
    expect(found.filter((f) => f.prefix.endsWith('/ckpt-1'))).toHaveLength(1);
  });

  it('latest, ls -R and glob ** terminate over the loops', async () => {
    expect((await resolveLatestCheckpoint(`${tmp}/loops/run`, { gfile: g })).checkpoint?.prefix).toBe(`${tmp}/loops/run/ckpt-1`);
    const ls = await runCli(['ls', '-R', '--json', `${tmp}/loops`], { timeoutMs: 30_000 });
    expect(ls.code, ls.stderr).toBe(0);
    const uris = (JSON.parse(ls.stdout) as Array<{ uri: string }>).map((e) => e.uri);
    expect(uris).toContain(`${tmp}/loops/run/ckpt-1.index`);
    expect(uris.length).toBeLessThan(50);
    const glob = await runCli(['glob', '--json', `${tmp}/loops/**/ckpt-*.index`], { timeoutMs: 30_000 });
    expect(glob.code, glob.stderr).toBe(0);
    expect((JSON.parse(glob.stdout) as Array<{ uri: string }>).map((e) => e.uri)).toEqual([`${tmp}/loops/run/ckpt-1.index`]);
  });

  it(`a checkpoint ${DEPTH} directories deep is found, resolved and listed`, async () => {
    const found = await findCheckpoints(`${tmp}/deep`, { gfile: g });
    expect(found.map((f) => f.prefix.split('/').length - tmp.split('/').length)).toEqual([DEPTH + 2]);
    const bottom = path.join(tmp, 'deep', ...Array<string>(DEPTH).fill('d'));
    expect((await resolveLatestCheckpoint(bottom, { gfile: g })).checkpoint).toMatchObject({ step: 5, source: 'state' });
    const r = await runCli(['find', '--json', `${tmp}/deep`], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a tree deeper than PATH_MAX fails typed, not with a crash', async () => {
    // Built with relative paths, one `cd` at a time: no single path the kernel sees is too long.
    const root = path.join(tmp, 'toodeep');
    await fs.mkdir(root);
    execFileSync('bash', ['-c', `cd "${root}" && for i in $(seq 1 40); do mkdir ${'x'.repeat(120)} && cd ${'x'.repeat(120)}; done && touch ckpt-1.index`]);
    const error = await findCheckpoints(root, { gfile: g }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(error, 'INVALID_PATH'), String(error)).toBe(true);
    const r = await runCli(['find', '--json', root], { timeoutMs: 30_000 });
    // A path the disk refused, found while walking: storage (4), not usage (decision 0011).
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stderr.trim().split('\n').pop() ?? '{}')).toMatchObject({ error: { code: 'INVALID_PATH' } });
  });

  it('a FIFO as the state file and devices as data never hang latest, find or cp', async () => {
    const t0 = performance.now();
    const latest = await resolveLatestCheckpoint(`${tmp}/special`, { gfile: g });
    expect(latest.checkpoint?.step).toBeGreaterThanOrEqual(2);
    await findCheckpoints(`${tmp}/special`, { gfile: g });
    const cli = await runCli(['latest', '--json', `${tmp}/special`], { timeoutMs: 20_000 });
    expect(cli.code, cli.stderr).toBe(0);
    // Copying a checkpoint whose data file is /dev/zero: refused typed, nothing left behind.
    const dst = path.join(tmp, 'special-copy');
    const error = await copyCheckpoint(`${tmp}/special/ckpt-3`, dst, { gfile: g, allowIncomplete: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(error, 'INVALID_PATH'), String(error)).toBe(true);
    expect(await fs.readdir(dst).catch(() => [])).toEqual([]);
    const read = await g.readFile(`${tmp}/special/checkpoint`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(read, 'INVALID_PATH')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(15_000);
  }, 30_000);

  it('names with control characters: JSON keeps them exactly, human output never prints them raw', async () => {
    const json = await runCli(['ls', '--json', `${tmp}/names`]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const names = (JSON.parse(json.stdout) as Array<{ uri: string }>).map((e) => path.basename(e.uri));
    expect(names).toContain('ckpt-9\u001b[2J.index');
    expect(names).toContain('new\nline\u009b31m.txt');
    expect(names).toContain('\u202eexe.index');
    for (const args of [['ls', '-l'], ['ls', '-R'], ['find'], ['glob']]) {
      const target = args[0] === 'glob' ? `${tmp}/names/*` : `${tmp}/names`;
      const r = await runCli([...args, target]);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(RAW_CONTROL);
      // One line per entry: a newline in a name cannot forge a line.
      if (args[0] === 'ls' && args[1] === '-l') expect(r.stdout.trim().split('\n')).toHaveLength(6);
    }
    const missing = await runCli(['stat', `${tmp}/names/gone\u001b[31m`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).not.toMatch(RAW_CONTROL);
  });
});
