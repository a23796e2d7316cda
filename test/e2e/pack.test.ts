/**
 * The packages are publishable as they stand: packed with pnpm (which rewrites `workspace:^`), the
 * tarballs install with plain npm and `npx` runs `ckpt` from them, as a user without this
 * repository would.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);
const PACKAGES = ['packages/gfile', 'packages/core', 'adapters/local', 'adapters/s3', 'adapters/gcs', 'adapters/azure', 'cli'];

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-pack-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('packed tarballs', () => {
  it('carry name, version, typed exports, license and README, without tests or build state', async () => {
    const packs = path.join(work, 'packs');
    await fs.mkdir(packs);
    for (const dir of PACKAGES) {
      await run('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', packs], { cwd: path.join(REPO, dir) });
    }
    const tarballs = (await fs.readdir(packs)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual(['ckptkit-azure-0.1.0.tgz', 'ckptkit-cli-0.1.0.tgz', 'ckptkit-core-0.1.0.tgz', 'ckptkit-gcs-0.1.0.tgz', 'ckptkit-gfile-0.1.0.tgz', 'ckptkit-local-0.1.0.tgz', 'ckptkit-s3-0.1.0.tgz']);
    for (const t of tarballs) {
      const { stdout } = await run('tar', ['tzf', path.join(packs, t)]);
      const files = stdout.split('\n');
      expect(files, t).toEqual(expect.arrayContaining(['package/package.json', 'package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']));
      expect(files.filter((f) => f.includes('.test.') || f.endsWith('.tsbuildinfo')), t).toEqual([]);
      const { stdout: manifest } = await run('tar', ['xzf', path.join(packs, t), '-O', 'package/package.json']);
      const pkg = JSON.parse(manifest) as { name: string; license: string; exports: Record<string, unknown>; dependencies?: Record<string, string> };
      expect(pkg.license).toBe('Apache-2.0');
      expect(pkg.exports['.']).toMatchObject({ types: './dist/index.d.ts', default: './dist/index.js' });
      for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) expect(range, `${t} ${dep}`).not.toMatch(/^workspace:/);
    }
  }, 120_000);

  it('npx runs ckpt from the tarballs', async () => {
    const packs = path.join(work, 'packs');
    const tree = path.join(work, 'tree');
    await fs.mkdir(path.join(tree, 'sub'), { recursive: true });
    await fs.writeFile(path.join(tree, 'ckpt-1.index'), 'abc');
    const project = path.join(work, 'user');
    await fs.mkdir(project);
    const tarballs = (await fs.readdir(packs)).filter((f) => f.endsWith('.tgz'));
    const args = ['--yes', ...tarballs.flatMap((t) => ['-p', path.join(packs, t)]), 'ckpt', 'ls', '--json', tree];
    const { stdout } = await run('npx', args, { cwd: project, maxBuffer: 10 << 20 });
    const listed = JSON.parse(stdout) as Array<{ uri: string; kind: string; size: number }>;
    expect(listed.map((e) => [e.uri, e.kind, e.size])).toEqual([
      [path.join(tree, 'ckpt-1.index'), 'file', 3],
      [path.join(tree, 'sub'), 'directory', 0],
    ]);
  }, 300_000);
});
