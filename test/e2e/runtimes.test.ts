/**
 * `ckpt` on every supported Node (decision 0014): a representative command of every kind (local
 * fast path, yargs, s3:// and gs:// on the real servers, errors with and without --json) gives the
 * same answer, byte for byte, under each Node this machine has (the running one, and Node 22 and 24
 * from the cache of cli/bin/node-runtime.cjs; under CI=true both must be there), and no stderr
 * line that ckpt did not write itself. The fast path's V8 code cache is kept per Node version, and
 * a Node older than the floor runs `ckpt` quietly under a supported one.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { gcsFactory } from '@ckptkit/gcs';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { assertNoRuntimeWarning, REPO, RUNTIME_WARNING, runCli, type CliResult } from '../helpers/cli.js';
import { gcsServer, s3Server } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

interface NodeRuntime {
  FLOOR: string;
  TESTED_MAJORS: number[];
  parse(version: string): [number, number, number];
  atLeast(version: string, floor: string): boolean;
  cachedNode(major: number): string | undefined;
}
const runtime = createRequire(import.meta.url)(path.join(REPO, 'cli', 'bin', 'node-runtime.cjs')) as NodeRuntime;

const versionOf = (node: string): string => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

/** The supported Nodes to compare, one per version: the running one and the cached 22 and 24. */
const nodes = new Map<string, string>([[process.version, process.execPath]]);
for (const major of runtime.TESTED_MAJORS) {
  const bin = runtime.cachedNode(major);
  if (bin) nodes.set(versionOf(bin), bin);
}
const majors = new Set([...nodes.keys()].map((v) => runtime.parse(v)[0]));

/** A system Node older than the floor (Debian 12 has 20), to check the re-run under a supported one. */
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((bin) => {
  if (!fs.existsSync(bin)) return false;
  const v = versionOf(bin);
  return /^v\d/.test(v) && !runtime.atLeast(v, runtime.FLOOR);
});

const EXAMPLE = 'examples/run42';
/** `--stats` reports milliseconds: the one thing that may differ between two runs. */
const untimed = (r: CliResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/"ms":\d+/g, '"ms":0') });

/** Runs `args` under every Node; expects the same result from each, without a runtime warning, and returns it. */
async function everywhere(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const results = new Map<string, CliResult>();
  for (const [version, node] of nodes) results.set(version, await runCli(args, { node, env }));
  const first = [...results.values()][0];
  for (const [version, r] of results) {
    expect(r.stderr, `ckpt ${args.join(' ')} on ${version}`).not.toMatch(RUNTIME_WARNING);
    expect(untimed(r), `ckpt ${args.join(' ')} on ${version} as on ${[...results.keys()][0]}`).toEqual(untimed(first!));
  }
  return first!;
}

/** A --json error: stderr is exactly one line, `{"error":{...}}` (the contract a script parses). */
function expectJsonError(r: CliResult, code: string): void {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect((JSON.parse(lines[0]!) as { error: { code: string } }).error.code).toBe(code);
}

describe('supported Nodes', () => {
  it('CI tests every supported line: Node 22 and 24 are both here under CI=true', () => {
    if (process.env.CI === 'true') expect([...majors].sort()).toEqual(expect.arrayContaining(runtime.TESTED_MAJORS));
    expect(nodes.size).toBeGreaterThan(0);
  });

  it('the warning check catches what Node and the SDKs print, and not what ckpt prints', () => {
    for (const line of [
      '(node:4242) [DEP0040] DeprecationWarning: The punycode module is deprecated. Please use a userland alternative instead.',
      '(node:4242) ExperimentalWarning: vm.USE_MAIN_CONTEXT_DEFAULT_LOADER is an experimental feature',
      'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions released after January 2027 require Node.js >= 22',
    ]) {
      expect(() => assertNoRuntimeWarning(`ok\n${line}\n`, 'ckpt x')).toThrow(/runtime warning/);
    }
    expect(() => assertNoRuntimeWarning('no state file runs/checkpoint: scanning the directory\n{"error":{"code":"NOT_FOUND"}}\n', 'ckpt x')).not.toThrow();
  });

  it('one floor: the launcher, the runtime module and every package agree', () => {
    const launcher = fs.readFileSync(path.join(REPO, 'cli', 'bin', 'ckpt.cjs'), 'utf8');
    const [maj, min] = /const FLOOR = \[(\d+), (\d+)\];/.exec(launcher)!.slice(1).map(Number);
    expect(`${maj}.${min}.0`).toBe(runtime.FLOOR);
    for (const dir of ['packages/gfile', 'packages/core', 'adapters/local', 'adapters/s3', 'adapters/gcs', 'adapters/azure', 'cli']) {
      const pkg = JSON.parse(fs.readFileSync(path.join(REPO, dir, 'package.json'), 'utf8')) as { engines: { node: string } };
      expect(pkg.engines.node, dir).toBe(`>=${runtime.FLOOR}`);
    }
    expect(runtime.atLeast('v22.11.9', runtime.FLOOR)).toBe(false);
    expect(runtime.atLeast('v22.12.0', runtime.FLOOR)).toBe(true);
    expect(runtime.atLeast('v24.0.0', runtime.FLOOR)).toBe(true);
    expect(runtime.atLeast('v20.20.2', runtime.FLOOR)).toBe(false);
  });
});

describe(`ckpt, local, on ${[...nodes.keys()].join(', ')}`, () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-runtimes-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('latest (the fast path), find, ls --json and --help: the same output, nothing else on stderr', async () => {
    expect((await everywhere(['latest', EXAMPLE])).stdout).toBe(`${EXAMPLE}/ckpt-1000\n`);
    expect((await everywhere(['latest', '--json', '--stats', EXAMPLE])).code).toBe(0);
    expect((await everywhere(['find', EXAMPLE])).code).toBe(0);
    expect((await everywhere(['ls', '--json', EXAMPLE])).stderr).toBe('');
    expect((await everywhere(['--help'])).code).toBe(0);
  });

  it('errors: exit codes and messages are the same, --json errors are one JSON line', async () => {
    const none = await everywhere(['latest', '--json', path.join(tmp, 'missing')]);
    expect([none.code, none.stdout]).toEqual([1, 'null\n']); // nothing found: exit 1, what was looked at on stderr
    expectJsonError(await everywhere(['stat', '--json', `${EXAMPLE}/nope`]), 'NOT_FOUND');
    expect((await everywhere(['frobnicate'])).code).toBe(2);
    expect((await everywhere(['latest', '--concurrency', '0', EXAMPLE])).code).toBe(2);
  });

  it('the fast path keeps one V8 code cache per Node version, and none is rewritten by another Node', async () => {
    const dist = path.join(REPO, 'cli', 'dist');
    const cacheOf = (version: string) => path.join(dist, `fast-latest.bundle.cjs.${version}-${process.arch}.v8-cache`);
    for (const node of nodes.values()) await runCli(['latest', EXAMPLE], { node });
    const stamps = new Map<string, number>();
    for (const version of nodes.keys()) {
      expect(fs.existsSync(cacheOf(version)), version).toBe(true);
      stamps.set(version, fs.statSync(cacheOf(version)).mtimeMs);
    }
    // Each Node again, in turn: V8 accepts its own cache, so none is written again.
    for (const node of nodes.values()) expect((await runCli(['latest', EXAMPLE], { node })).code).toBe(0);
    for (const version of nodes.keys()) expect(fs.statSync(cacheOf(version)).mtimeMs, version).toBe(stamps.get(version));
    expect(fs.existsSync(path.join(dist, 'fast-latest.bundle.cjs.v8-cache'))).toBe(false);
  });

  it.skipIf(oldNode === undefined)(`a Node older than the floor (${oldNode ?? 'none here'}) runs ckpt under a supported one, quietly`, async () => {
    const supported = await runCli(['latest', EXAMPLE]);
    const old = await runCli(['latest', EXAMPLE], { node: oldNode! });
    expect(untimed(old)).toEqual(untimed(supported));
    const failing = await runCli(['stat', '--json', `${EXAMPLE}/nope`], { node: oldNode! });
    expect(untimed(failing)).toEqual(untimed(await runCli(['stat', '--json', `${EXAMPLE}/nope`])));
    expect((await runCli(['frobnicate'], { node: oldNode! })).code).toBe(2);
  });
});

/** The same small tree on a store: two checkpoints and a nested one. */
async function seed(g: GFile, base: string): Promise<void> {
  await g.writeText(`${base}/ckpt-1.index`, 'index');
  await g.writeText(`${base}/ckpt-1.data-00000-of-00001`, 'data-bytes');
  await g.writeText(`${base}/ckpt-10.index`, 'index10');
  await g.writeText(`${base}/ckpt-10.data-00000-of-00001`, 'data-10');
  await g.writeText(`${base}/eval/ckpt-2.index`, 'e');
}

/** The cloud commands: the cloud fast path (latest, find, cp), yargs (ls, stat) and their errors. */
async function cloudCommands(base: string, flags: string[], env: NodeJS.ProcessEnv, tmp: string): Promise<void> {
  expect((await everywhere(['latest', base, ...flags], env)).stdout).toBe(`${base}/ckpt-10\n`);
  expect((await everywhere(['find', '--json', base, ...flags], env)).code).toBe(0);
  expect((await everywhere(['ls', base, ...flags], env)).code).toBe(0);
  // Each Node copies into its own folder; the output names the destination, so it is not compared.
  for (const [version, node] of nodes) {
    const r = await runCli(['cp', `${base}/ckpt-10`, path.join(tmp, version), ...flags], { node, env });
    expect(r.stderr, version).not.toMatch(RUNTIME_WARNING);
    expect(r.code, `${version}: ${r.stderr}`).toBe(0);
  }
  expectJsonError(await everywhere(['stat', '--json', `${base}/missing`, ...flags], env), 'NOT_FOUND');
  const none = await everywhere(['latest', '--json', `${base}/nothing-here`, ...flags], env);
  expect([none.code, none.stdout]).toEqual([1, 'null\n']);
}

const s3 = s3Server();
const gcs = gcsServer();

describe.skipIf(s3 === undefined && process.env.CI !== 'true')(`ckpt on s3:// (Ceph RGW), on ${[...nodes.keys()].join(', ')}`, () => {
  const bucket = `ckptkit-rt-${randomBytes(5).toString('hex')}`;
  const base = `s3://${bucket}/runs`;
  let options: S3AdapterOptions;
  let g: GFile;
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!s3) throw new Error('the S3 server is not running (required under CI=true)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-runtimes-s3-'));
    options = { endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    // A user's environment, with the AWS SDK's own notice switch left alone: nothing may be muted.
    env = {
      HOME: tmp,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: path.join(tmp, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
      NODE_OPTIONS: '',
      NODE_NO_WARNINGS: '',
    };
    await createBucket(bucket, options);
    g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
    await seed(g, base);
  });
  afterAll(async () => {
    if (g) {
      await g.removeTree(`s3://${bucket}/runs`).catch(() => undefined);
      await g.close();
      await dropS3Bucket(bucket, options);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('latest, find, ls, cp and errors: the same on every Node, no runtime warning', async () => {
    await cloudCommands(base, ['--s3-endpoint', s3!.endpoint, '--s3-path-style', '--s3-region', s3!.region], env, tmp);
    expectJsonError(await everywhere(['latest', '--json', base, '--s3-endpoint', 'ftp://x'], env), 'INVALID_CONFIG');
  }, 120_000);
});

describe.skipIf(gcs === undefined && process.env.CI !== 'true')(`ckpt on gs:// (storage emulator), on ${[...nodes.keys()].join(', ')}`, () => {
  const bucket = `ckptkit-rt-${randomBytes(5).toString('hex')}`;
  const base = `gs://${bucket}/runs`;
  let g: GFile;
  let tmp: string;
  const env = { STORAGE_EMULATOR_HOST: '', GOOGLE_APPLICATION_CREDENTIALS: '', GOOGLE_CLOUD_PROJECT: '', GCLOUD_PROJECT: '', NODE_OPTIONS: '', NODE_NO_WARNINGS: '' };

  beforeAll(async () => {
    if (!gcs) throw new Error('the GCS emulator is not running (required under CI=true)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-runtimes-gcs-'));
    g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: gcs.endpoint, env: {} })) });
    await seed(g, base);
  });
  afterAll(async () => {
    if (g) {
      await g.removeTree(base).catch(() => undefined);
      await g.close();
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('latest, find, ls, cp and errors: the same on every Node, no runtime warning (no punycode DEP0040)', async () => {
    await cloudCommands(base, ['--gcs-endpoint', gcs!.endpoint], env, tmp);
  }, 120_000);
});
