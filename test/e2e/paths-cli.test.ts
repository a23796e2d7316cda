/**
 * Issue 17, "paths as people type them", through the built binary on the local disk: a data
 * shard, an `.index`, a `.meta`, a directory or a prefix given to `inspect`/`verify`/`cp` resolves
 * to its checkpoint (with a note) or says exactly what it is; `cp SRC /`, `cp SRC ""`, a file where
 * a directory is expected; `file:///a%20b`, `file:/abs`, relative paths; names that are not UTF-8
 * listed and round-tripped; an unreadable subdirectory reported and skipped (exit 5).
 * The rules are in docs/decisions/0002-verbatim-uris.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CKPT_BIN, REPO, runCli, type CliResult } from '../helpers/cli.js';
import { jsonError } from '../helpers/roundtrip.js';

const EXAMPLE = path.join(REPO, 'examples', 'run42');
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-paths-'));
});
afterAll(async () => {
  await fs.chmod(path.join(tmp, 'perm', 'tree', 'locked'), 0o755).catch(() => undefined);
  await fs.chmod(path.join(tmp, 'perm', 'top'), 0o755).catch(() => undefined);
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A copy of the README example's `ckpt-1000` and `ckpt-999` in `dir`. */
async function run42(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const name of readdirSync(EXAMPLE)) if (/^ckpt-(1000|999)\./.test(name)) await fs.copyFile(path.join(EXAMPLE, name), path.join(dir, name));
}

describe('a part of a checkpoint, a directory or a prefix given for a checkpoint', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'parts');
    await run42(path.join(dir, 'run'));
    // A SavedModel and an HF Trainer checkpoint.
    await run42(path.join(dir, 'sm', '7', 'variables'));
    for (const n of ['index', 'data-00000-of-00001']) await fs.rename(path.join(dir, 'sm', '7', 'variables', `ckpt-1000.${n}`), path.join(dir, 'sm', '7', 'variables', `variables.${n}`));
    await fs.writeFile(path.join(dir, 'sm', '7', 'saved_model.pb'), 'pb');
    await fs.mkdir(path.join(dir, 'hf', 'checkpoint-5'), { recursive: true });
    await fs.writeFile(path.join(dir, 'hf', 'checkpoint-5', 'config.json'), '{}');
    await fs.writeFile(path.join(dir, 'hf', 'checkpoint-5', 'model.safetensors'), 'x'.repeat(50));
    await fs.writeFile(path.join(dir, 'hf', 'checkpoint-5', 'trainer_state.json'), '{"global_step": 5}');
  });

  const misreads = /too short to be an sstable|MISSING_INDEX .*\.data-.*\.index|is a directory/;

  it('a data shard: inspect, verify and cp use its checkpoint and say so on stderr', async () => {
    const shard = path.join(dir, 'run', 'ckpt-1000.data-00000-of-00001');
    const prefix = path.join(dir, 'run', 'ckpt-1000');
    const note = `note: ${shard} is data shard 1 of 1 of checkpoint ${prefix}; using ${prefix}`;
    const inspect = await runCli(['inspect', shard]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/^TensorFlow V2 bundle: 1 shard/);
    expect(inspect.stderr).toContain(note);
    const verify = await runCli(['verify', shard]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: 4 tensors located/m);
    expect(verify.stderr).toContain(note);
    const cp = await runCli(['cp', shard, path.join(tmp, 'parts-out')]);
    expect(cp.code).toBe(0);
    expect(cp.stdout).toBe(`${path.join(tmp, 'parts-out', 'ckpt-1000')}\n`);
    expect(cp.stderr).toContain(note);
    expect((await fs.readdir(path.join(tmp, 'parts-out'))).sort()).toEqual(['ckpt-1000.data-00000-of-00001', 'ckpt-1000.index']);
    // --json: stdout the document, stderr empty (no notes).
    const json = await runCli(['verify', '--json', shard]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    for (const r of [inspect, verify, cp, json]) expect(r.stderr).not.toMatch(misreads);
  });

  it('an .index names its checkpoint with no note; a missing one is NOT_FOUND (4)', async () => {
    const r = await runCli(['verify', path.join(dir, 'run', 'ckpt-999.index')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const missing = await runCli(['inspect', '--json', path.join(dir, 'run', 'ckpt-5.data-00000-of-00001')]);
    expect(missing.code).toBe(4);
    expect(jsonError(missing)?.code).toBe('NOT_FOUND');
  });

  it('a directory holding several checkpoints: says how many and which is the latest (exit 4, INVALID_PATH as the contract table maps it), for inspect, verify and cp', async () => {
    const run = path.join(dir, 'run');
    for (const cmd of [['inspect'], ['verify'], ['cp', '--json']]) {
      const r = await runCli([...cmd, run, ...(cmd[0] === 'cp' ? [path.join(tmp, 'never')] : [])]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`a directory holding 2 checkpoint(s), not one checkpoint; the latest is ${run}/ckpt-1000`);
      expect(r.stderr).not.toMatch(misreads);
    }
    expect(existsSync(path.join(tmp, 'never'))).toBe(false);
  });

  it('a directory holding one checkpoint (at any depth) names it, with a note', async () => {
    const one = path.join(dir, 'one');
    await fs.mkdir(path.join(one, 'tf_ckpts'), { recursive: true });
    for (const n of ['index', 'data-00000-of-00001']) await fs.copyFile(path.join(EXAMPLE, `ckpt-1000.${n}`), path.join(one, 'tf_ckpts', `ckpt-1000.${n}`));
    const prefix = path.join(one, 'tf_ckpts', 'ckpt-1000');
    const verify = await runCli(['verify', one]);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toContain(`note: ${one} is a directory holding one checkpoint, ${prefix}; using it`);
    const cp = await runCli(['cp', one, path.join(tmp, 'one-out')]);
    expect(cp.code).toBe(0);
    expect(cp.stdout).toBe(`${path.join(tmp, 'one-out', 'ckpt-1000')}\n`);
  });

  it('a SavedModel directory: inspect and verify read its variables, with a note', async () => {
    const sm = path.join(dir, 'sm', '7');
    const inspect = await runCli(['inspect', sm]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/save_counter/);
    expect(inspect.stderr).toContain(`note: ${sm} is a savedmodel checkpoint; its variables are the bundle ${sm}/variables/variables`);
    const verify = await runCli(['verify', '--json', sm]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, tensorsChecked: 4 });
  });

  it('another framework: verify checks its files, inspect says what it is (NOT_SUPPORTED)', async () => {
    const hf = path.join(dir, 'hf', 'checkpoint-5');
    const verify = await runCli(['verify', hf]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toBe('OK: 3 file(s) of hf-trainer present\n');
    await fs.rm(path.join(hf, 'model.safetensors'));
    const broken = await runCli(['verify', '--json', hf]);
    expect(broken.code).toBe(3);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, problems: [{ code: 'INCOMPLETE' }] });
    const inspect = await runCli(['inspect', '--json', hf]);
    expect(jsonError(inspect)).toMatchObject({ code: 'NOT_SUPPORTED', uri: hf, message: expect.stringContaining(`${hf} is a hf-trainer checkpoint (directory, step 5)`) });
  });

  it('stat of a prefix (not a file) shows it as a prefix with its files', async () => {
    const prefix = path.join(dir, 'run', 'ckpt-1000');
    const r = await runCli(['stat', '--json', prefix]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { uri: prefix, kind: 'prefix', size: expect.any(Number), mtime: expect.any(String), format: 'tf2-checkpoint', files: [`${prefix}.index`, `${prefix}.data-00000-of-00001`] },
    ]);
    expect((await runCli(['stat', path.join(dir, 'run', 'ckpt-5')])).code).toBe(4);
  });
});

const FIXTURES = path.join(REPO, '..', 'shared', 'fixtures', 'tf');
const V1_SHARDED = path.join(FIXTURES, 'serving_session_bundle_half_plus_two_v1sharded', '00000123');

describe.skipIf(!existsSync(V1_SHARDED))(`the issue's script on a V1 sharded export${existsSync(V1_SHARDED) ? '' : ' [skipped: fixtures not present]'}`, () => {
  it('ckpt cp "$(ckpt latest DIR)" DST, then inspect, verify and stat of both, in a shell', () => {
    const dst = path.join(tmp, 'v1-serve');
    const bin = `${JSON.stringify(process.execPath)} ${JSON.stringify(CKPT_BIN)}`;
    const script = `set -e; p="$(${bin} latest "$1")"; echo "$p"; q="$(${bin} cp "$p" "$2")"; echo "$q"; ${bin} verify "$p"; ${bin} verify "$q"; ${bin} inspect "$q" > /dev/null; ${bin} stat "$q" > /dev/null`;
    const r = spawnSync('sh', ['-c', script, 'sh', V1_SHARDED, dst], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([path.join(V1_SHARDED, 'export-?????-of-00001'), path.join(dst, 'export-?????-of-00001')]);
    expect(readdirSync(dst).sort()).toEqual(['export-00000-of-00001', 'export.meta']);
  });
});

describe('cp destinations', () => {
  let src: string;
  let cwd: string;
  beforeAll(async () => {
    const name = `ckptkit-paths-${randomBytes(4).toString('hex')}`;
    src = path.join(tmp, 'dst-src', name);
    await fs.mkdir(path.dirname(src), { recursive: true });
    for (const n of ['index', 'data-00000-of-00001']) await fs.copyFile(path.join(EXAMPLE, `ckpt-1000.${n}`), `${src}.${n}`);
    cwd = path.join(tmp, 'dst-cwd');
    await fs.mkdir(cwd, { recursive: true });
  });

  it('cp SRC / copies into the root directory (or is refused there), never into the working directory', async () => {
    const name = path.basename(src);
    try {
      const r = await runCli(['cp', src, '/'], { cwd });
      if (r.code === 0) {
        expect(r.stdout).toBe(`/${name}\n`);
        expect(existsSync(`/${name}.index`)).toBe(true);
      } else {
        // Not root: the root directory refuses the write, and says so.
        expect(r.code).toBe(4);
        expect(r.stderr).toMatch(/PERMISSION_DENIED/);
      }
      expect(await fs.readdir(cwd)).toEqual([]);
      const file = await runCli(['cp', src, 'file:///'], { cwd });
      expect(file.code).toBe(r.code);
      expect(await fs.readdir(cwd)).toEqual([]);
    } finally {
      for (const n of ['index', 'data-00000-of-00001']) await fs.rm(`/${name}.${n}`, { force: true });
    }
  });

  it('cp SRC "" is a usage error (2) and writes nothing', async () => {
    const r = await runCli(['cp', '--json', src, ''], { cwd });
    expect(r.code).toBe(2);
    // The command line is wrong: USAGE, as the contract gives every usage error (the check runs before any request).
    expect(jsonError(r)).toMatchObject({ code: 'USAGE', uri: '', message: expect.stringContaining('the destination is empty') });
    expect(await fs.readdir(cwd)).toEqual([]);
  });

  it('a file where a directory is expected: refused, naming the destination, nothing written', async () => {
    const file = path.join(tmp, 'dst-file');
    await fs.writeFile(file, 'not a directory');
    // A property of stored data (4), with the code `state` gives a file where its directory is expected, naming the file.
    const r = await runCli(['cp', '--json', src, file]);
    expect(r.code).toBe(4);
    expect(jsonError(r)).toMatchObject({ code: 'NOT_A_DIRECTORY', uri: file, message: expect.stringContaining('the destination is a file, not a directory') });
    const below = await runCli(['cp', '--json', src, path.join(file, 'sub', 'deeper')]);
    expect(below.code).toBe(4);
    expect(jsonError(below)).toMatchObject({ code: 'NOT_A_DIRECTORY', uri: file, message: expect.stringContaining('a parent of the destination is a file') });
    expect(await fs.readFile(file, 'utf8')).toBe('not a directory');
  });
});

describe('file: URIs and relative paths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'uris');
    await run42(path.join(dir, 'a b'));
    await fs.writeFile(path.join(dir, '50%.txt'), 'fifty');
  });

  it('file:///a%20b is percent-decoded; a literal % in a bare path stays itself; %25 is a %', async () => {
    const r = await runCli(['latest', `file://${dir}/a%20b`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`file://${dir}/a%20b/ckpt-1000\n`);
    const stat = await runCli(['stat', '--json', `file://${dir}/50%25.txt`, path.join(dir, '50%.txt')]);
    expect(stat.code).toBe(0);
    expect((JSON.parse(stat.stdout) as Array<{ size: number }>).map((s) => s.size)).toEqual([5, 5]);
    // Names under a file: URI come back escaped, so that they parse to the same file.
    const ls = await runCli(['ls', '--json', `file://${dir}`]);
    expect((JSON.parse(ls.stdout) as Array<{ uri: string }>).map((e) => e.uri)).toEqual([`file://${dir}/50%25.txt`, `file://${dir}/a b`]);
    const cp = await runCli(['cp', `file://${dir}/a%20b/ckpt-1000`, `file://${dir}/c%20d`]);
    expect(cp.code).toBe(0);
    expect(existsSync(path.join(dir, 'c d', 'ckpt-1000.index'))).toBe(true);
    const bad = await runCli(['stat', '--json', `file://${dir}/50%.txt`]);
    expect(bad.code).toBe(2);
    expect(jsonError(bad)?.message).toMatch(/%XX escape.*%25/);
  });

  it('file:/abs is absolute, never relative to the working directory', async () => {
    const r = await runCli(['latest', `file:${dir}/a b`], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`file:${dir}/a b/ckpt-1000\n`);
    const rel = await runCli(['latest', 'file:a b'], { cwd: dir });
    expect(rel.code).toBe(2);
  });

  it('names with glob characters are names when no V1 shards match them', async () => {
    await run42(path.join(dir, 'run[1]'));
    const r = await runCli(['verify', path.join(dir, 'run[1]', 'ckpt-1000')]);
    expect(r.code, r.stderr).toBe(0);
    const cp = await runCli(['cp', path.join(dir, 'run[1]', 'ckpt-999'), path.join(dir, 'out[2]')]);
    expect(cp.stdout).toBe(`${path.join(dir, 'out[2]', 'ckpt-999')}\n`);
    const missing = await runCli(['inspect', '--json', path.join(dir, 'run[1]', 'ckpt-?????-of-00002')]);
    expect(missing.code).toBe(4);
  });

  it('relative paths without ./ work and keep their spelling', async () => {
    const r = await runCli(['latest', 'a b'], { cwd: dir });
    expect(r.stdout).toBe('a b/ckpt-1000\n');
    const cp = await runCli(['cp', 'a b/ckpt-1000', 'rel-out'], { cwd: dir });
    expect(cp.code).toBe(0);
    expect(cp.stdout).toBe('rel-out/ckpt-1000\n');
    expect(existsSync(path.join(dir, 'rel-out', 'ckpt-1000.index'))).toBe(true);
    const inspect = await runCli(['verify', 'rel-out/ckpt-1000'], { cwd: dir });
    expect(inspect.code).toBe(0);
  });
});

describe('names that are not UTF-8', () => {
  let dir: string;
  const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x62, 0x69, 0x6e]); // "bad\xff.bin"
  const badDir = Buffer.from([0x72, 0x75, 0x6e, 0xfe]); // "run\xfe"
  beforeAll(async () => {
    dir = path.join(tmp, 'bytes');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(Buffer.concat([Buffer.from(`${dir}/`), bad]), 'payload');
    const rd = Buffer.concat([Buffer.from(`${dir}/`), badDir]);
    await fs.mkdir(rd);
    for (const n of ['index', 'data-00000-of-00001']) await fs.copyFile(path.join(EXAMPLE, `ckpt-1000.${n}`), Buffer.concat([rd, Buffer.from(`/ckpt-1000.${n}`)]));
    await fs.writeFile(path.join(dir, 'plain.txt'), 'p');
  });

  it('ls lists them: \\xFF escapes in text, file:// URIs with %FF in JSON', async () => {
    const text = await runCli(['ls', dir]);
    expect(text.stdout).toBe('bad\\xFF.bin\nplain.txt\nrun\\xFE/\n');
    const json = await runCli(['ls', '--json', dir]);
    expect((JSON.parse(json.stdout) as Array<{ uri: string }>).map((e) => e.uri)).toEqual([`file://${dir}/bad%FF.bin`, `${dir}/plain.txt`, `file://${dir}/run%FE`]);
    const rec = await runCli(['ls', '-R', dir]);
    expect(rec.stdout.split('\n')).toEqual(['bad\\xFF.bin', 'plain.txt', 'run\\xFE/', 'run\\xFE/ckpt-1000.data-00000-of-00001', 'run\\xFE/ckpt-1000.index', '']);
    const glob = await runCli(['glob', '--json', `${dir}/*`]);
    expect((JSON.parse(glob.stdout) as unknown[]).length).toBe(3);
  });

  it('the URIs printed go back into stat, latest, verify and cp, which reach the very same bytes', async () => {
    const json = await runCli(['ls', '--json', dir]);
    const [badUri, , dirUri] = (JSON.parse(json.stdout) as Array<{ uri: string }>).map((e) => e.uri);
    const stat = await runCli(['stat', '--json', badUri!]);
    expect(stat.code).toBe(0);
    expect(JSON.parse(stat.stdout)).toMatchObject([{ uri: badUri, kind: 'file', size: 7 }]);
    const find = await runCli(['find', '--json', dir]);
    expect((JSON.parse(find.stdout) as Array<{ prefix: string }>).map((d) => d.prefix)).toEqual([`${dirUri}/ckpt-1000`]);
    const jsonl = await runCli(['find', '--jsonl', dir]);
    expect(JSON.parse(jsonl.stdout)).toMatchObject({ prefix: `${dirUri}/ckpt-1000`, dir: dirUri, files: [`${dirUri}/ckpt-1000.index`, `${dirUri}/ckpt-1000.data-00000-of-00001`] });
    const text = await runCli(['find', dir]);
    expect(text.stdout).toContain(`  ${dirUri}/ckpt-1000`);
    const latest = await runCli(['latest', dirUri!]);
    expect(latest.stdout).toBe(`${dirUri}/ckpt-1000\n`);
    expect((await runCli(['verify', `${dirUri}/ckpt-1000`])).code).toBe(0);
    const out = Buffer.concat([Buffer.from(`${tmp}/bytes-out`), Buffer.from([0xfd])]);
    const cp = await runCli(['cp', badUri!, `file://${tmp}/bytes-out%FD`]);
    expect(cp.code, cp.stderr).toBe(0);
    expect(cp.stdout).toBe(`file://${tmp}/bytes-out%FD/bad%FF.bin\n`);
    expect(await fs.readFile(Buffer.concat([out, Buffer.from('/'), bad]), 'utf8')).toBe('payload');
  });
});

/** The command, run as an unprivileged user (tests run as root, whom chmod 000 does not stop). */
function runAsNobody(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const asRoot = process.getuid?.() === 0;
    const argv = [process.execPath, CKPT_BIN, ...args];
    const child = asRoot ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv], { cwd: '/', env: { ...process.env, NO_COLOR: '1', HOME: '/' } }) : spawn(argv[0]!, argv.slice(1), { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const canDrop = process.getuid?.() !== 0 || spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;

describe.skipIf(!canDrop)(`an unreadable subdirectory${canDrop ? '' : ' [skipped: running as root without setpriv to drop privileges]'}`, () => {
  let root: string;
  let locked: string;
  beforeAll(async () => {
    root = path.join(tmp, 'perm', 'tree');
    for (const d of ['a', 'locked/deep', 'z']) await run42(path.join(root, d));
    locked = path.join(root, 'locked');
    // Everything readable by everyone, but `locked` by no one (nobody must reach the tree).
    for (let p = root; p !== '/'; p = path.dirname(p)) await fs.chmod(p, 0o755).catch(() => undefined);
    spawnSync('chmod', ['-R', 'a+rX', path.join(tmp, 'perm')]);
    await fs.chmod(locked, 0o000);
    // Root is not stopped by the mode: the test needs a process that is.
    const probe = await runAsNobody(['ls', locked]);
    expect(probe.code, `the unprivileged process must be denied: ${probe.stderr}`).toBe(4);
  });

  const skippedLine = () => new RegExp(`^ckpt: skipped ${locked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: PERMISSION_DENIED: .*permission denied`, 'm');

  it('ls -R, find and glob list everything else, report the subdirectory by its own path, exit 5', async () => {
    const ls = await runAsNobody(['ls', '-R', root]);
    expect(ls.code).toBe(5);
    expect(ls.stdout.split('\n')).toEqual(['a/', 'a/ckpt-1000.data-00000-of-00001', 'a/ckpt-1000.index', 'a/ckpt-999.data-00000-of-00001', 'a/ckpt-999.index', 'locked/', 'z/', 'z/ckpt-1000.data-00000-of-00001', 'z/ckpt-1000.index', 'z/ckpt-999.data-00000-of-00001', 'z/ckpt-999.index', '']);
    expect(ls.stderr).toMatch(skippedLine());
    expect(ls.stderr).not.toContain(`skipped ${root}:`);
    const find = await runAsNobody(['find', root]);
    expect(find.code).toBe(5);
    expect(find.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toEqual([`${root}/a/ckpt-999`, `${root}/a/ckpt-1000`, `${root}/z/ckpt-999`, `${root}/z/ckpt-1000`]);
    expect(find.stderr).toMatch(skippedLine());
    const glob = await runAsNobody(['glob', `${root}/*/ckpt-1000.index`]);
    expect(glob.code).toBe(5);
    expect(glob.stdout).toBe(`${root}/a/ckpt-1000.index\n${root}/z/ckpt-1000.index\n`);
    expect(glob.stderr).toMatch(skippedLine());
    const deep = await runAsNobody(['glob', `${root}/**/*.index`]);
    expect(deep.code).toBe(5);
    expect(deep.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('--json: one {"error":...} line per skipped directory with its own uri; stdout stays the documented array', async () => {
    for (const args of [['ls', '-R', root], ['find', root], ['glob', `${root}/**`]]) {
      const r = await runAsNobody([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(5);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toEqual({ error: { code: 'PERMISSION_DENIED', message: expect.stringContaining('permission denied'), uri: locked, operation: 'list' } });
      const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      expect(Array.isArray(out)).toBe(true);
      if (args[0] !== 'find') {
        // The directory itself is listed; its entry carries the error.
        expect(out.find((e) => e.uri === locked)).toMatchObject({ kind: 'directory', error: { code: 'PERMISSION_DENIED', uri: locked } });
      } else expect(out).toHaveLength(4);
    }
  });

  it('the directory named itself unreadable is an error (4) naming it, not a partial result', async () => {
    const r = await runAsNobody(['ls', '-R', '--json', locked]);
    expect(r.code).toBe(4);
    expect(jsonError(r)).toMatchObject({ code: 'PERMISSION_DENIED', uri: locked });
    const f = await runAsNobody(['find', locked]);
    expect(f.code).toBe(4);
  });
});
