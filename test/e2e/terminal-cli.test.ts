/**
 * Issue 17, pipes, signals and terminal output, through the built binary on local disk: a closed
 * stdout ends every command quietly with 141; Ctrl-C / SIGTERM on a real pty restore the terminal,
 * leave no temporary file and exit 130 / 143; a `kill -9`'s leftovers are hidden by `ls` and removed
 * by the next `cp` (never a live writer's); `watch` lines, exec failures (exit 5) and signal
 * forwarding; `ls -l -h`, aligned `find` / `inspect` tables with headers, inspect totals and
 * filters, colour only on a terminal and never with NO_COLOR.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '@ckptkit/core';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { hostTag, localFactory } from '@ckptkit/local';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';
import { hasScript, runOnPty, runWithClosedStdout } from '../helpers/pty.js';

const MiB = 1024 * 1024;
/** A pid that ran on this machine and is certainly gone. */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
const ESC = '\u001b';
const TEMP = /\.ckpt-tmp-/;

/** `bash -c "CMD | head -N"`: ckpt's exit status (PIPESTATUS), its stderr, and what head printed. */
function runIntoHead(args: string[], lines = 2): Promise<{ status: number; stderr: string; head: string }> {
  const quoted = [process.execPath, CKPT_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const errFile = path.join(tmp, `err-${Math.random().toString(16).slice(2)}`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${quoted} 2>"$ERR" | head -${lines}; echo "STATUS \${PIPESTATUS[0]}"`], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', ERR: errFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const status = Number(/STATUS (\d+)/.exec(out)?.[1] ?? -1);
      fs.readFile(errFile, 'utf8').then((stderr) => resolve({ status, head: out.replace(/STATUS \d+\n$/, ''), stderr }), reject);
    });
  });
}

let tmp: string;
let g: GFile;
/** 700 small checkpoints (text output of find/ls -R well over a pipe's 64 KiB). */
let many: string;
/** One checkpoint of 4 shards of 128 MiB: copies long enough to interrupt. */
let big: string;
/** A checkpoint with long and short keys. */
let small: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-terminal-'));
  g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
  many = path.join(tmp, 'many');
  await Promise.all(
    Array.from({ length: 700 }, (_, i) =>
      writeBundle(g, path.join(many, `run-with-a-rather-long-name-that-makes-every-line-wide-${String(i).padStart(4, '0')}`, `ckpt-${i}`), [{ key: 'w', dtype: 'DT_FLOAT', shape: [2], data: new Uint8Array(8), shard: 0 }], { numShards: 1 }),
    ),
  );
  small = path.join(tmp, 'small', 'ckpt-7');
  await writeBundle(
    g,
    small,
    [
      { key: 'a', dtype: 'DT_FLOAT', shape: [3, 4], data: new Uint8Array(48), shard: 0 },
      { key: `encoder/${'very_long_layer_name_'.repeat(4)}kernel`, dtype: 'DT_INT64', shape: [5], data: new Uint8Array(40), shard: 0 },
      { key: 'encoder/bias', dtype: 'DT_HALF', shape: [6], data: new Uint8Array(12), shard: 0 },
      { key: 'step', dtype: 'DT_INT64', shape: [], data: new Uint8Array(8), shard: 0 },
    ],
    { numShards: 1 },
  );
  big = path.join(tmp, 'big', 'ckpt-3');
  const block = Buffer.alloc(128 * MiB, 0x5a);
  await writeBundle(
    g,
    big,
    Array.from({ length: 4 }, (_, i) => ({ key: `shard_${i}`, dtype: 'DT_UINT8', shape: [block.length], data: block, shard: i })),
    { numShards: 4 },
  );
}, 300_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('a closed stdout ends every command at once, quietly, with 141', () => {
  const cases: Array<[string, () => string[]]> = [
    ['find (text)', () => ['find', many]],
    ['find --json', () => ['find', '--json', many]],
    ['find --jsonl', () => ['find', '--jsonl', many]],
    ['ls -R', () => ['ls', '-R', many]],
    ['ls -R --json', () => ['ls', '-R', '--json', many]],
    ['ls -R --jsonl', () => ['ls', '-R', '--jsonl', many]],
    ['glob --jsonl', () => ['glob', '--jsonl', `${many}/**/*.index`]],
    ['ls -l -h', () => ['ls', '-l', '-h', many]],
    ['glob', () => ['glob', `${many}/**/*.index`]],
    ['inspect', () => ['inspect', small]],
    ['inspect --json', () => ['inspect', '--json', small]],
    ['latest (fast path bundle)', () => ['latest', path.dirname(small)]],
    ['latest --json (yargs)', () => ['latest', '--json', '--verify', path.dirname(small)]],
    ['stat', () => ['stat', `${small}.index`]],
    ['verify', () => ['verify', small]],
    ['state', () => ['state', 'examples/run42']],
    ['watch', () => ['watch', path.dirname(small), '--existing', 'all', '--timeout', '5']],
    ['watch --json', () => ['watch', '--json', path.dirname(small), '--existing', 'all', '--timeout', '5']],
    ['--help', () => ['--help']],
  ];
  for (const [name, args] of cases) {
    it(name, async () => {
      const r = await runWithClosedStdout(args());
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 141, stderr: '' });
    });
  }

  it('cp: the copy finishes (files whole), then the closed stdout gives 141 and nothing on stderr', async () => {
    const dst = path.join(tmp, 'cp-closed');
    const r = await runWithClosedStdout(['cp', small, dst]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 141, stderr: '' });
    expect(readdirSync(dst).sort()).toEqual(['ckpt-7.data-00000-of-00001', 'ckpt-7.index']);
  });

  it('watch --exec: nothing runs after the pipe closed (the first line fails, the command ends)', async () => {
    const mark = path.join(tmp, 'exec-ran');
    const r = await runWithClosedStdout(['watch', path.dirname(small), '--existing', 'all', '--timeout', '5', '--exec', `touch '${mark}'`]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 141, stderr: '' });
    expect(existsSync(mark)).toBe(false);
  });

  it('`| head -2` on outputs larger than a pipe holds: two lines, status 141, stderr empty', async () => {
    for (const args of [['find', many], ['ls', '-R', many], ['find', '--jsonl', many], ['ls', '-R', '--jsonl', many], ['glob', '--jsonl', `${many}/**/*.index`]]) {
      const r = await runIntoHead(args);
      expect(r.status, args.join(' ')).toBe(141);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.head.trimEnd().split('\n')).toHaveLength(2);
    }
  });
});

describe('signals on a real terminal (util-linux script)', () => {
  it('has script(1)', () => expect(hasScript()).toBe(true));

  const noTemp = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => TEMP.test(n)) : []);

  it('Ctrl-C during cp with a progress bar: terminal restored, no temp file, no index, exit 130', async () => {
    const dst = path.join(tmp, 'cp-int');
    let sent = false;
    const r = await runOnPty(['cp', '--parallel', '1', big, dst], {
      onOutput: (out, ctl) => {
        // Once the bar shows bytes moving inside a file (per-byte progress of a local copy).
        if (!sent && /[1-9]\d*% \| [\d.]+ MiB of 512\.0 MiB/.test(out)) {
          sent = true;
          ctl.type('\u0003');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    // The bar hid the cursor and turned wrap off; the last thing written puts both back.
    expect(r.out).toContain(`${ESC}[?25l`);
    expect(r.out).toContain(`${ESC}[?7l`);
    const tail = r.out.slice(r.out.lastIndexOf('cp ['));
    expect(tail).toContain(`${ESC}[?7h`);
    expect(tail).toContain(`${ESC}[?25h`);
    expect(tail.lastIndexOf(`${ESC}[?25h`)).toBeGreaterThan(tail.lastIndexOf(`${ESC}[?25l`));
    expect(r.out).not.toMatch(/Error|at .*\.js:\d+/);
    expect(noTemp(dst)).toEqual([]);
    // Interrupted before the index: what is there is whole.
    expect(existsSync(path.join(dst, 'ckpt-3.index'))).toBe(false);
    for (const name of existsSync(dst) ? readdirSync(dst) : []) expect((await fs.stat(path.join(dst, name))).size).toBe(128 * MiB);
  }, 120_000);

  it('SIGTERM during cp: the same, exit 143', async () => {
    const dst = path.join(tmp, 'cp-term');
    let sent = false;
    const r = await runOnPty(['cp', '--parallel', '1', big, dst], {
      onOutput: (out, ctl) => {
        if (!sent && /[1-9]\d*% \| [\d.]+ MiB of/.test(out)) {
          sent = true;
          process.kill(ctl.pid, 'SIGTERM');
        }
      },
    });
    expect(r.code).toBe(143);
    const tail = r.out.slice(r.out.lastIndexOf('cp ['));
    expect(tail).toContain(`${ESC}[?25h`);
    expect(tail).toContain(`${ESC}[?7h`);
    expect(noTemp(dst)).toEqual([]);
    expect(existsSync(path.join(dst, 'ckpt-3.index'))).toBe(false);
  }, 120_000);

  it('no progress bar with --json or --quiet, even on a terminal; human units without them', async () => {
    for (const flag of ['--json', '--quiet']) {
      const r = await runOnPty(['cp', flag, small, path.join(tmp, `cp-${flag.slice(2)}`)]);
      expect(r.code).toBe(0);
      expect(r.out).not.toContain(`${ESC}[?25l`);
      expect(r.out).not.toContain('cp [');
    }
  }, 60_000);

  it('a plain `ckpt find` interrupted while listing exits 130 at once', async () => {
    let sent = false;
    const t0 = Date.now();
    const r = await runOnPty(['find', many], {
      onOutput: (_out, ctl) => {
        if (!sent && ctl.pid) {
          sent = true;
          setTimeout(() => ctl.type('\u0003'), 150);
        }
      },
    });
    // Either the find was interrupted (130) or it had already finished (0): never a stack trace.
    expect([0, 130]).toContain(r.code);
    expect(r.out).not.toMatch(/Error|at .*\.js:\d+/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 60_000);
});

describe('kill -9, then the next run', () => {
  it('ls hides the temporary file (ls -a marks it), the next cp removes it and finishes', async () => {
    const dst = path.join(tmp, 'cp-kill9');
    const child = spawn(process.execPath, [CKPT_BIN, 'cp', '--parallel', '1', big, dst], { cwd: REPO, stdio: 'ignore' });
    let temp: string | undefined;
    for (let i = 0; i < 400 && temp === undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
      temp = existsSync(dst) ? readdirSync(dst).find((n) => TEMP.test(n)) : undefined;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(temp).toBeDefined();
    expect(readdirSync(dst)).toContain(temp);
    expect(temp).toMatch(new RegExp(`^\\.ckpt-3\\.data-0000\\d-of-00004\\.ckpt-tmp-${hostTag()}-${child.pid}-[0-9a-f]{12}$`));

    const ls = await runCli(['ls', dst]);
    expect(ls.stdout).not.toContain('ckpt-tmp');
    const lsJson = await runCli(['ls', '--json', dst]);
    expect(lsJson.stdout).not.toContain('ckpt-tmp');
    const all = await runCli(['ls', '-a', dst]);
    expect(all.stdout).toContain(`${temp}  (unfinished write of ckpt)`);

    const again = await runCli(['cp', '--verbose', big, dst], { timeoutMs: 120_000 });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('removed 1 leftover(s) of an earlier copy that did not finish');
    expect(again.stderr).toContain('its process no longer runs');
    expect(readdirSync(dst).filter((n) => TEMP.test(n))).toEqual([]);
    expect((await runCli(['verify', path.join(dst, 'ckpt-3')])).code).toBe(0);
  }, 180_000);

  it("never removes a live writer's temporary file; an ownerless one only when over a day old", async () => {
    const dst = path.join(tmp, 'cp-safety');
    await fs.mkdir(dst, { recursive: true });
    const live = `.ckpt-7.index.ckpt-tmp-${hostTag()}-${process.pid}-aaaaaaaaaaaa`;
    const otherHost = `.ckpt-7.index.ckpt-tmp-00000000-999999-bbbbbbbbbbbb`;
    const fresh = '.ckpt-7.index.ckpt-tmp-cccccccccccc';
    const old = '.ckpt-7.data-00000-of-00001.ckpt-tmp-dddddddddddd';
    const notOurs = '.ckpt-7.index.tmp-eeeeeeeeeeee';
    for (const n of [live, otherHost, fresh, old, notOurs]) await fs.writeFile(path.join(dst, n), 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await fs.utimes(path.join(dst, old), twoDaysAgo, twoDaysAgo);
    const r = await runCli(['cp', '--verbose', small, dst]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('removed 1 leftover(s)');
    expect(r.stderr).toContain('untouched for over a day');
    expect(readdirSync(dst).sort()).toEqual([fresh, otherHost, live, notOurs, 'ckpt-7.data-00000-of-00001', 'ckpt-7.index'].sort());
    // With --update-state, the state file's leftovers too (a killed state write).
    const state = `.checkpoint.ckpt-tmp-${hostTag()}-${deadPid()}-ffffffffffff`;
    await fs.writeFile(path.join(dst, state), 'x');
    const withState = await runCli(['cp', '--verbose', '--update-state', small, dst]);
    expect(withState.code).toBe(0);
    expect(withState.stderr).toContain(`removed unfinished write of file://${dst}/checkpoint (its process no longer runs)`);
    expect(readdirSync(dst)).not.toContain(state);
    expect(readdirSync(dst)).toContain(live);
  });
});

describe('watch', () => {
  it('prints a readable line per checkpoint on a terminal, JSON lines in a pipe and with --json', async () => {
    const dir = path.dirname(small);
    const tty = await runOnPty(['watch', dir, '--existing', 'all', '--timeout', '0.5'], { env: { NO_COLOR: '1' } });
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(/\d\d:\d\d:\d\d {2}new step 7 {2}tf2-checkpoint|\d\d:\d\d:\d\d {2}new step 7 {2}\S+/);
    expect(tty.out).toContain(small);
    expect(tty.out).not.toContain('{"prefix"');
    const jsonTty = await runOnPty(['watch', '--json', dir, '--existing', 'all', '--timeout', '0.5']);
    expect(jsonTty.out).toContain(`{"prefix":${JSON.stringify(small)}`);
    const piped = await runCli(['watch', dir, '--existing', 'all', '--timeout', '0.5']);
    expect(JSON.parse(piped.stdout.trim())).toMatchObject({ prefix: small, step: 7 });
  }, 60_000);

  it('exit 5 when an --exec run failed, each failure named with its exit code on stderr', async () => {
    const dir = path.join(tmp, 'watch-two');
    for (const step of [1, 2]) await writeBundle(g, path.join(dir, `ckpt-${step}`), [{ key: 'w', dtype: 'DT_FLOAT', shape: [1], data: new Uint8Array(4), shard: 0 }], { numShards: 1 });
    const exec = 'test "$CKPT_STEP" = 2 && exit 0; exit 3';
    const r = await runCli(['watch', dir, '--existing', 'all', '--timeout', '0.5', '--exec', exec]);
    expect(r.code).toBe(5);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toContain(`--exec exited with 3 for ${path.join(dir, 'ckpt-1')}; watching on`);
    expect(r.stderr).toContain(`--exec failed for 1 of 2 checkpoint(s): ${path.join(dir, 'ckpt-1')} (exit 3)`);
    const json = await runCli(['watch', '--json', dir, '--existing', 'all', '--timeout', '0.5', '--exec', exec]);
    expect(json.code).toBe(5);
    const errors = json.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { error: { code: string; uri: string; message: string } });
    expect(errors).toEqual([{ error: { code: 'EXEC_FAILED', message: '--exec exited with 3', uri: path.join(dir, 'ckpt-1'), operation: 'watch' } }]);
    // Every run fine: 0. A run killed by a signal counts 128 + its number.
    expect((await runCli(['watch', dir, '--existing', 'all', '--timeout', '0.5', '--exec', 'true'])).code).toBe(0);
    const killed = await runCli(['watch', dir, '--existing', 'latest', '--timeout', '0.5', '--exec', 'kill -KILL $$']);
    expect(killed.code).toBe(5);
    expect(killed.stderr).toContain('(exit 137)');
  }, 60_000);

  it('SIGTERM reaches the running --exec child; the watch exits 143 once it ended', async () => {
    const ready = path.join(tmp, 'child-ready');
    const mark = path.join(tmp, 'child-got-term');
    const exec = `trap 'echo TERM > "${mark}"; exit 0' TERM; echo > "${ready}"; while :; do sleep 0.1; done`;
    const child = spawn(process.execPath, [CKPT_BIN, 'watch', path.dirname(small), '--existing', 'all', '--exec', exec], { cwd: REPO, stdio: 'ignore' });
    for (let i = 0; i < 500 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(ready)).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(143);
    expect(existsSync(mark)).toBe(true);
  }, 60_000);

  it('Ctrl-C on a terminal: child and watch end, exit 130', async () => {
    const ready = path.join(tmp, 'child-ready-int');
    const mark = path.join(tmp, 'child-got-int');
    const exec = `trap 'echo INT > "${mark}"; exit 0' INT; echo > "${ready}"; while :; do sleep 0.1; done`;
    let sent = false;
    const r = await runOnPty(['watch', path.dirname(small), '--existing', 'all', '--exec', exec], {
      onOutput: (_out, ctl) => {
        if (sent) return;
        const poll = () => (existsSync(ready) ? ctl.type('\u0003') : setTimeout(poll, 20));
        sent = true;
        poll();
      },
    });
    expect(r.code).toBe(130);
    expect(existsSync(mark)).toBe(true);
  }, 60_000);
});

describe('output', () => {
  it('ls -l -h: human sizes in an aligned column; -lh as one flag too', async () => {
    const r = await runCli(['ls', '-l', '-h', path.join(tmp, 'big')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.find((l) => l.includes('ckpt-3.data-00000-of-00004'))).toMatch(/^- +128 MiB {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}ckpt-3\.data-00000-of-00004$/);
    expect(lines.find((l) => l.endsWith('ckpt-3.index'))).toMatch(/^- +\d+ B {2}/);
    expect(new Set(lines.map((l) => l.indexOf('  20')))).toHaveProperty('size', 1);
    expect((await runCli(['ls', '-lh', path.join(tmp, 'big')])).stdout).toBe(r.stdout);
    // Without -h: bytes.
    expect((await runCli(['ls', '-l', path.join(tmp, 'big')])).stdout).toContain(String(128 * MiB));
    // --help is still help.
    expect((await runCli(['ls', '--help'])).stdout).toContain('--human-readable');
  });

  it('find on a terminal: a header row, columns aligned, state in colour; no colour with NO_COLOR, no header in a pipe', async () => {
    const dir = path.join(tmp, 'mixed');
    await writeBundle(g, path.join(dir, 'a', 'ckpt-1'), [{ key: 'w', dtype: 'DT_FLOAT', shape: [1], data: new Uint8Array(4), shard: 0 }], { numShards: 2 });
    await fs.rm(path.join(dir, 'a', 'ckpt-1.data-00001-of-00002'));
    await fs.cp(path.dirname(small), path.join(dir, 'b'), { recursive: true });
    const r = await runOnPty(['find', '-q', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${ESC}[32mcomplete`);
    expect(r.out).toContain(`${ESC}[31mINCOMPLETE`);
    const plain = await runOnPty(['find', '-q', dir], { env: { NO_COLOR: '1' } });
    expect(plain.out).not.toMatch(new RegExp(`${ESC}\\[3\\dm`));
    const lines = plain.out.split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = lines.findIndex((l) => /^\s*STEP {2}FORMAT +STATE +SIZE {2}CHECKPOINT$/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    // The checkpoint rows (a problem line goes under its checkpoint, indented).
    const rows = lines.slice(header).filter((l, i) => i === 0 || /complete|INCOMPLETE|temporary/.test(l));
    expect(rows.length).toBe(3);
    for (const col of ['FORMAT', 'CHECKPOINT']) {
      const at = rows[0]!.indexOf(col);
      // Every row has a column starting where the header's does (preceded by two spaces).
      for (const row of rows.slice(1)) expect(row.slice(at - 2, at), row).toBe('  ');
      for (const row of rows.slice(1)) expect(row[at], row).not.toBe(' ');
    }
    const piped = await runCli(['find', '-q', dir]);
    expect(piped.stdout).not.toContain('CHECKPOINT');
    expect(piped.stdout).not.toContain(ESC);
  }, 60_000);

  it('inspect: header, aligned columns for any key length, totals; --filter glob and /regex/; --json totals', async () => {
    const r = await runCli(['inspect', small]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const header = lines.findIndex((l) => /^KEY +DTYPE +SHAPE +LOCATION$/.test(l));
    expect(header).toBe(1);
    const dtypeAt = lines[header]!.indexOf('DTYPE');
    for (const row of lines.slice(header + 1, -1)) expect(row.slice(dtypeAt), row).toMatch(/^DT_/);
    // 12 + 5 + 6 + 1 parameters; 48 + 40 + 12 + 8 bytes.
    expect(lines.at(-1)).toBe('4 tensor(s), 24 parameter(s), 108 B (108 bytes)');

    const glob = await runCli(['inspect', small, '--filter', 'encoder/*']);
    expect(glob.stdout).toContain('encoder/bias');
    expect(glob.stdout).not.toMatch(/^a +DT_FLOAT/m);
    expect(glob.stdout.trim().split('\n').at(-1)).toBe('2 tensor(s) (of 4, matching encoder/*), 11 parameter(s), 52 B (52 bytes)');
    const re = await runCli(['inspect', small, '--filter', '/^(a|step)$/']);
    expect(re.stdout.trim().split('\n').at(-1)).toBe('2 tensor(s) (of 4, matching /^(a|step)$/), 13 parameter(s), 56 B (56 bytes)');
    const none = await runCli(['inspect', small, '--filter', 'nothing*']);
    expect(none.stdout).not.toContain('KEY');
    expect(none.stdout.trim().split('\n').at(-1)).toMatch(/^0 tensor\(s\)/);
    const bad = await runCli(['inspect', small, '--filter', '/(/']);
    expect(bad.code).toBe(2);
    const json = await runCli(['inspect', '--json', small, '--filter', '**/bias']);
    const doc = JSON.parse(json.stdout) as { entries: Array<{ key: string }>; totals: unknown };
    expect(doc.entries.map((e) => e.key)).toEqual(['encoder/bias']);
    expect(doc.totals).toEqual({ tensors: 1, parameters: 6, unknownShapes: 0, bytes: 12 });
  });
});
