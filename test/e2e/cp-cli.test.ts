/**
 * `ckpt cp` on the local disk through the built binary: the human output, the exit codes of the
 * contract, and the progress bar, which appears only when stderr is a terminal.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';

const EXAMPLE = path.join(REPO, 'examples', 'run42');
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-cp-cli-'));
});
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

describe('ckpt cp (local)', () => {
  it('prints the destination prefix, a summary on stderr, no progress bar off a terminal', async () => {
    const r = await runCli(['cp', `${EXAMPLE}/ckpt-1000`, `${tmp}/a`, '--update-state']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${tmp}/a/ckpt-1000\n`);
    expect(r.stderr).toMatch(/^2 file\(s\): 2 copied \(426 B\), 0 already there \(0 B\) in [\d.]+ s; .*\/a\/checkpoint names it as the latest\n$/);
    const again = await runCli(['cp', '--verbose', `${EXAMPLE}/ckpt-1000`, `${tmp}/a`]);
    expect(again.stderr).toMatch(/2 file\(s\): 0 copied \(0 B\), 2 already there \(426 B\)/);
    expect(again.stderr).toMatch(/skipped .*ckpt-1000.index \(identical: crc32c \(computed\)\)/);
    expect(await fs.readFile(`${tmp}/a/checkpoint`, 'utf8')).toBe('model_checkpoint_path: "ckpt-1000"\nall_model_checkpoint_paths: "ckpt-1000"\n');
  });

  it('exit codes: 3 for an incomplete source, 2 for a bad flag, 4 for a directory of checkpoints (what is stored, not the command line) or when nothing is there', async () => {
    await fs.mkdir(`${tmp}/partial`, { recursive: true });
    await fs.copyFile(`${EXAMPLE}/ckpt-999.index`, `${tmp}/partial/ckpt-999.index`);
    const incomplete = await runCli(['cp', '--json', `${tmp}/partial/ckpt-999`, `${tmp}/b`]);
    expect(incomplete.code).toBe(3);
    expect(JSON.parse(incomplete.stderr)).toMatchObject({ error: { code: 'CORRUPT', message: expect.stringMatching(/incomplete.*nothing was written/) } });
    await expect(fs.stat(`${tmp}/b`)).rejects.toThrow();
    const many = await runCli(['cp', EXAMPLE, `${tmp}/b`]);
    expect(many.code).toBe(4);
    expect(many.stderr).toMatch(/holding 5 checkpoint\(s\), not one checkpoint/);
    expect((await runCli(['cp', '--parallel', '0', `${EXAMPLE}/ckpt-1000`, `${tmp}/b`])).code).toBe(2);
    expect((await runCli(['cp', `${tmp}/nothing/ckpt-1`, `${tmp}/b`])).code).toBe(4);
  });
});

// util-linux `script` gives the command a terminal, the only place `cp` draws its progress bar.
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
(hasScript ? it : it.skip)(`cp draws a progress bar on a terminal's stderr${hasScript ? '' : ' [skipped: no script(1)]'}`, () => {
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CKPT_BIN)} cp ${EXAMPLE}/ckpt-998 ${tmp}/tty > /dev/null`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/cp \[.*\] \d+% \| .* of .* \| \d\/2 files \(0 already there\)/);
});
