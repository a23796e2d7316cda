/**
 * `.tar.gz` archive views through the built CLI on two archive sizes, 60 MiB and 480 MiB of
 * incompressible shard data (decision 0016, issue 20): each command reads the archive once
 * (`--stats`: one GET of exactly the archive's bytes; `verify --deep` two when the shards come
 * before the `.index`, see below, one when the index comes first) and its peak
 * RSS (VmHWM, read in the child through `test/helpers/max-rss.mjs`) does not grow with the archive:
 * by less than 24 MiB for 8x the data (measured: 1 to 14).
 *
 * The child runs with a 1 MiB young generation (`--max-semi-space-size=1`): the decompressed
 * chunks a pass drops are then collected within a MiB of allocation, so that what the peak shows
 * is what the command holds, not how long V8 let garbage wait. With V8's defaults that garbage
 * reaches tens of MiB, unevenly from run to run (ls -R of 60 / 240 / 480 MiB here: 113 / 149 /
 * 131 MiB peak), and is no more than V8's own bound (its external-memory trigger); with 1 MiB,
 * 86 / 92 / 92 MiB. Before the scans (d3ab506, e653448) `cp` here read the archive 5 to 6 times
 * and `verify --deep --concurrency 4` failed as CORRUPT; measured this way, their peak RSS did not
 * grow with the archive either (what had grown, 133 MiB at 32 MiB to 206 MiB at 1 GiB on RGW, was
 * that garbage, and up to 64 MiB of kept members, now 16).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZooTgz, type ZooTgz } from '../helpers/big-archive.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const HOOK = fileURLToPath(new URL('../helpers/max-rss.mjs', import.meta.url));
const GROWTH_MIB = 24;

interface Run {
  r: CliResult & { args: string };
  rssMiB: number;
  gets: number;
  bytesRead: number;
}

async function measured(args: string[]): Promise<Run> {
  const r = await runCli([...args, '--stats'], { env: { NODE_OPTIONS: `--max-semi-space-size=1 --import ${HOOK}` }, timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"maxRssKiB"'));
  if (!line || !r.stats) throw new Error(`no RSS or --stats line in: ${r.stderr}`);
  return { r: { ...r, args: args.slice(0, 2).join(' ') }, rssMiB: (JSON.parse(line) as { maxRssKiB: number }).maxRssKiB / 1024, gets: r.stats.requests.get ?? 0, bytesRead: r.stats.bytesRead };
}

describe('.tar.gz views: one pass, peak RSS independent of the archive size', { timeout: 600_000 }, () => {
  let dir = '';
  const archives: Record<'small' | 'large', ZooTgz & { size: number }> = {} as never;
  // The same checkpoints with the `.index` stored before the shards.
  const indexFirst: Record<'small' | 'large', ZooTgz & { size: number }> = {} as never;
  const uri = (which: 'small' | 'large', member = '') => `tar:${archives[which].file}!/${member}`;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-tgz-memory-'));
    for (const [which, shardMiB] of [['small', 5], ['large', 40]] as const) {
      const made = await writeZooTgz(dir, which, { shards: 12, shardMiB });
      archives[which] = { ...made, size: (await fs.stat(made.file)).size };
      const first = await writeZooTgz(dir, `${which}-index-first`, { shards: 12, shardMiB, indexFirst: true });
      indexFirst[which] = { ...first, size: (await fs.stat(first.file)).size };
    }
  }, 900_000);

  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const both = async (run: (which: 'small' | 'large') => Promise<Run>, of = archives) => {
    const out = { small: await run('small'), large: await run('large') };
    // The numbers behind docs/benchmarks.md, in the test's output.
    console.log(`${out.small.r.args}: ${out.small.rssMiB.toFixed(0)} MiB (${of.small.size} bytes), ${out.large.rssMiB.toFixed(0)} MiB (${of.large.size} bytes); GETs ${out.small.gets}, ${out.large.gets}`);
    return out;
  };

  it('ls -R and find: one GET of the whole archive each, peak RSS grows by less than 24 MiB for 8x the archive', async () => {
    for (const cmd of [(w: 'small' | 'large') => ['ls', '-R', '--json', uri(w)], (w: 'small' | 'large') => ['find', '--json', uri(w)]]) {
      const runs = await both((w) => measured(cmd(w)));
      for (const w of ['small', 'large'] as const) {
        expect(runs[w].gets, cmd(w).join(' ')).toBe(1);
        expect(runs[w].bytesRead).toBe(archives[w].size);
      }
      expect(runs.large.r.stdout).toContain('ckpt-0');
      expect(runs.large.rssMiB - runs.small.rssMiB, `${cmd('large')[0]}: ${runs.small.rssMiB.toFixed(0)} MiB, then ${runs.large.rssMiB.toFixed(0)} MiB`).toBeLessThan(GROWTH_MIB);
    }
  });

  it('cp of the member checkpoint: the archive read once (the listing pass stages the shards), files whole, RSS independent of size', async () => {
    const runs = await both(async (w) => {
      const dst = path.join(dir, `out-${w}`);
      const run = await measured(['cp', uri(w, archives[w].prefix), dst]);
      expect((await fs.readdir(dst)).sort()).toEqual(archives[w].members.filter((m) => m.includes('ckpt-0')).map((m) => path.basename(m)).sort());
      // The copy is a valid checkpoint with every tensor's checksum right.
      const check = await runCli(['verify', '--deep', path.join(dst, 'ckpt-0')], { timeoutMs: 240_000 });
      expect(check.code, check.stderr + check.stdout).toBe(0);
      await fs.rm(dst, { recursive: true, force: true });
      return run;
    });
    for (const w of ['small', 'large'] as const) {
      expect(runs[w].gets).toBe(1);
      expect(runs[w].bytesRead).toBe(archives[w].size);
    }
    expect(runs.large.rssMiB - runs.small.rssMiB, `cp: ${runs.small.rssMiB.toFixed(0)} MiB, then ${runs.large.rssMiB.toFixed(0)} MiB`).toBeLessThan(GROWTH_MIB);
  });

  it('verify --deep: the listing pass, then one pass over the data in archive order (not one per shard), RSS independent of size', async () => {
    // --concurrency 4, fewer than the shards: ranged reads of shards in name order would restart the pass.
    const runs = await both((w) => measured(['verify', '--deep', '--concurrency', '4', uri(w, archives[w].prefix)]));
    for (const w of ['small', 'large'] as const) {
      expect(runs[w].r.stdout + runs[w].r.stderr).not.toMatch(/problem/i);
      // The index follows its data in the archive, so the data cannot be checked on the first pass.
      expect(runs[w].gets).toBe(2);
      expect(runs[w].bytesRead).toBe(2 * archives[w].size);
    }
    expect(runs.large.rssMiB - runs.small.rssMiB, `verify --deep: ${runs.small.rssMiB.toFixed(0)} MiB, then ${runs.large.rssMiB.toFixed(0)} MiB`).toBeLessThan(GROWTH_MIB);
  });

  it('verify --deep of an archive storing the .index first: one pass that checks each shard as it streams by, RSS independent of size', async () => {
    const runs = await both((w) => measured(['verify', '--deep', '--concurrency', '4', `tar:${indexFirst[w].file}!/${indexFirst[w].prefix}`]), indexFirst);
    for (const w of ['small', 'large'] as const) {
      expect(runs[w].r.stdout).toMatch(/^OK: /m);
      expect(runs[w].gets).toBe(1);
      expect(runs[w].bytesRead).toBe(indexFirst[w].size);
    }
    expect(runs.large.rssMiB - runs.small.rssMiB, `verify --deep, index first: ${runs.small.rssMiB.toFixed(0)} MiB, then ${runs.large.rssMiB.toFixed(0)} MiB`).toBeLessThan(GROWTH_MIB);
  });

  it('inspect reads the archive once (the index is kept by the listing pass)', async () => {
    const run = await measured(['inspect', uri('large', archives.large.prefix)]);
    expect(run.r.stdout).toContain('model/layer_0/kernel');
    expect(run.gets).toBe(1);
  });
});
