/**
 * `ckpt latest` and `ckpt find` end to end: the built binary (`node cli/dist/bin.js` after
 * `tsc -b`), the JSON shapes and exit codes of cli.md, the README's example tree, the TensorFlow
 * fixtures (tf-checkpoint-format.md §5), and the request budget seen through `--stats`.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';

const FIXTURES = path.join(REPO, '..', 'shared', 'fixtures', 'tf');
const EXAMPLE = 'examples/run42';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-latest-e2e-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(rel: string, content: string | Uint8Array = 'x'): Promise<string> {
  const file = path.join(tmp, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  return file;
}

describe('ckpt latest / find on the README example tree', () => {
  it('latest: the prefix on stdout, what and why on stderr', async () => {
    const r = await runCli(['latest', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${EXAMPLE}/ckpt-1000\n`);
    expect(r.stderr).toMatch(/step 1000, tf2-checkpoint/);
  });

  it('latest --json: the contract shape', async () => {
    const r = await runCli(['latest', '--json', EXAMPLE]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 8)).toEqual(['prefix', 'step', 'format', 'complete', 'source', 'files', 'bytes', 'notes']);
    expect(doc).toMatchObject({ prefix: `${EXAMPLE}/ckpt-1000`, step: 1000, format: 'tf2-checkpoint', complete: true, source: 'state' });
    expect(doc.files).toEqual([`${EXAMPLE}/ckpt-1000.index`, `${EXAMPLE}/ckpt-1000.data-00000-of-00001`]);
    expect(doc.bytes).toBeGreaterThan(0);
  });

  it('latest --tf-compat --json: exactly what TensorFlow returns', async () => {
    const r = await runCli(['latest', '--tf-compat', '--json', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ prefix: `${EXAMPLE}/ckpt-1000` });
  });

  it('latest --verify reads the index and checks the shards', async () => {
    const r = await runCli(['latest', '--verify', '--json', EXAMPLE]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verify: { ok: boolean } }).verify.ok).toBe(true);
  });

  it('find --json: every checkpoint, the hidden and the intermediate ones included, sorted by dir then step', async () => {
    const r = await runCli(['find', '--json', EXAMPLE]);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    for (const d of docs) expect(Object.keys(d).slice(0, 8)).toEqual(['prefix', 'dir', 'format', 'step', 'complete', 'files', 'bytes', 'problems']);
    expect(docs.map((d) => [d.step, d.complete, d.temporary])).toEqual([
      [500, true, false],
      [998, true, false],
      [999, true, false],
      [1000, true, false],
      [1001, false, true],
    ]);
    expect(docs.map((d) => (d.details as { stateFile?: string }).stateFile)).toEqual(['unlisted', 'listed', 'listed', 'latest', undefined]);
    // No progress display unless stderr is a terminal.
    expect(r.stderr).not.toMatch(/objects listed/);
  });

  it('find --jsonl: one object per line; --format and --max-depth narrow it', async () => {
    const r = await runCli(['find', '--jsonl', '--format', 'tf2-checkpoint', '--max-depth', '0', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([500, 998, 999, 1000, 1001]);
  });
});

// util-linux `script` gives the command a terminal, the only place `find` shows its progress.
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
(hasScript ? it : it.skip)(`find shows its progress on a terminal's stderr${hasScript ? '' : ' [skipped: no script(1)]'}`, () => {
  const r = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CKPT_BIN)} find ${EXAMPLE} > /dev/null`, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/objects listed \| \d+ checkpoints found/);
  expect(r.stdout).toMatch(/5 checkpoint\(s\), 4 complete/);
});

describe('exit codes', () => {
  it('latest: null and exit 1 when there is no checkpoint', async () => {
    await fs.mkdir(path.join(tmp, 'empty'), { recursive: true });
    const r = await runCli(['latest', '--json', path.join(tmp, 'empty')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toBeNull();
    const t = await runCli(['latest', '--tf-compat', '--json', path.join(tmp, 'empty')]);
    expect(t.code).toBe(1);
    expect(JSON.parse(t.stdout)).toBeNull();
  });

  it('--tf-compat: exit 3 where TensorFlow raises (an empty state file), robust still answers', async () => {
    const dir = path.dirname(await write('raise/checkpoint', ''));
    await write('raise/ckpt-3.index');
    await write('raise/ckpt-3.data-00000-of-00001');
    const t = await runCli(['latest', '--tf-compat', '--json', dir]);
    expect(t.code).toBe(3);
    expect(JSON.parse(t.stderr.trim().split('\n').pop()!)).toMatchObject({ error: { code: 'CORRUPT' } });
    const r = await runCli(['latest', '--json', dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ step: 3, source: 'scan' });
  });

  it('latest --verify: exit 3 when every candidate fails verification', async () => {
    const dir = path.dirname(await write('badindex/ckpt-1.index', 'not an sstable'));
    await write('badindex/ckpt-1.data-00000-of-00001', 'data');
    const r = await runCli(['latest', '--verify', '--json', dir]);
    expect(r.code).toBe(3);
    // An error (CORRUPT, naming the directory), not the "none" of an empty directory: stdout empty.
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'CORRUPT', uri: dir, message: expect.stringMatching(/no checkpoint passed --verify/) } });
  });

  it('find: exit 1 when nothing is found (an empty or a missing directory), 2 for an unknown format', async () => {
    await fs.mkdir(path.join(tmp, 'nothing'), { recursive: true });
    expect((await runCli(['find', '--json', path.join(tmp, 'nothing')])).code).toBe(1);
    const bad = await runCli(['find', '--json', '--format', 'nope', EXAMPLE]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr.trim())).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
    const missing = await runCli(['find', '--json', path.join(tmp, 'does-not-exist')]);
    expect(missing).toMatchObject({ code: 1, stdout: '[]\n', stderr: '' });
  });
});

describe('--stats: the request budget', () => {
  it('latest with a valid state file among 10,000 checkpoints: 2 requests', async () => {
    const dir = path.join(tmp, 'many');
    await fs.mkdir(dir, { recursive: true });
    const names: string[] = [];
    for (let i = 1; i <= 10_000; i++) names.push(`ckpt-${i}.index`, `ckpt-${i}.data-00000-of-00001`);
    for (let i = 0; i < names.length; i += 500) await Promise.all(names.slice(i, i + 500).map((n) => fs.writeFile(path.join(dir, n), 'x')));
    await fs.writeFile(path.join(dir, 'checkpoint'), 'model_checkpoint_path: "ckpt-10000"\n');
    for (const mode of [[], ['--tf-compat']]) {
      const r = await runCli(['latest', '--json', '--stats', ...mode, dir]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { prefix: string }).prefix).toBe(`${dir}/ckpt-10000`);
      const total = Object.values(r.stats!.requests).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(2);
    }
    // Without the state file: one paged listing (20,001 entries: 21 pages) and the failed GET.
    const r = await runCli(['latest', '--json', '--stats', '--state-file', 'nope', dir]);
    expect((JSON.parse(r.stdout) as { step: number }).step).toBe(10_000);
    expect(r.stats!.requests).toMatchObject({ list: 21, get: 1, head: 0 });
  }, 120_000);
});

const fixtures = existsSync(FIXTURES);
const fixtureSuite = fixtures || process.env.CI === 'true' ? describe : describe.skip;
fixtureSuite(`the TensorFlow fixtures (tf-checkpoint-format.md §5)${fixtures ? '' : ' [skipped: ../shared/fixtures/tf not found]'}`, () => {
  const cases: Array<[string, string | null, string | null]> = [
    // directory, --tf-compat answer, robust answer (relative to the directory)
    ['tictactoe_checkpoint_manager/tf_ckpts', 'ckpt-19', 'ckpt-19'],
    ['tfx_estimator_model_dir/Format-Serving', 'model.ckpt-1000', 'model.ckpt-1000'],
    ['tfx_estimator_2shards_2019/serving_model_dir', 'model.ckpt-10000', 'model.ckpt-10000'],
    ['keras_modelcheckpoint_2019/training_2', 'cp-00050.ckpt', 'cp-00050.ckpt'],
    ['keras_cp_template_index_only/training_2', 'cp-0219.ckpt', 'cp-0000.ckpt'],
    ['serving_bad_half_plus_two_v1/00000123', null, 'export'],
    ['tf_testdata_state_files/half_plus_two_pbtxt', null, null],
    ['tf_testdata_state_files/half_plus_two_sharded/variables', null, null],
    ['serving_counter/00000123/variables', null, 'variables'],
  ];
  it('is there (required under CI=true)', () => expect(fixtures).toBe(true));
  for (const [rel, tf, robust] of cases) {
    it(`${rel}: --tf-compat ${tf ?? 'None'}, robust ${robust ?? 'none'}`, async () => {
      const dir = path.join(FIXTURES, rel);
      const t = await runCli(['latest', '--tf-compat', '--json', dir]);
      expect(t.code).toBe(tf === null ? 1 : 0);
      expect(JSON.parse(t.stdout)).toEqual(tf === null ? null : { prefix: `${dir}/${tf}` });
      const r = await runCli(['latest', '--json', dir]);
      expect(r.code).toBe(robust === null ? 1 : 0);
      const doc = JSON.parse(r.stdout) as { prefix: string; complete: boolean } | null;
      expect(doc?.prefix ?? null).toBe(robust === null ? null : `${dir}/${robust}`);
      if (doc) expect(doc.complete).toBe(true);
    });
  }
});
