/**
 * The error and exit-code contract (docs/cli.md, cli/src/exit-codes.ts) through the real binary
 * (cli/bin/ckpt.cjs, start-up fast paths included): for each condition and each command where it
 * applies, the same exit code and, with --json, exactly one `{"error":{"code","message","uri",
 * "operation"}}` line on stderr naming the object at fault and nothing on stdout; "nothing found"
 * only where it is the answer (`null` / `[]` on stdout, nothing on stderr). On a local disk (real
 * tmpfs mounts for a full and a read-only file system, a process without root's permission bypass
 * for EACCES) and on S3 (RGW) and GCS (emulator) for the conditions that exist there.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FOR_ERROR, type CliErrorCode } from '../../cli/src/exit-codes.js';
import { createBucket } from '@ckptkit/s3';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { REPO, runCli, type CliResult, type RunCliOptions } from '../helpers/cli.js';
import { mountTmpfs, mountUnavailable, withoutPermissionBypass, type TmpMount } from '../helpers/mounts.js';
import { gcsServer, s3Server, serverSuite } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const EXAMPLE = path.join(REPO, 'examples', 'run42');
const WRONG_SECRET = 'wrong-secret-for-the-contract-test';

/** What one command line must give. */
interface Expect {
  args: string[];
  exit: number;
  /** The error's code (an error case), or undefined for an answer. */
  code?: CliErrorCode;
  /** The error's uri: the object at fault. */
  uri?: string;
  /** The answer on stdout, for a case without an error. */
  stdout?: string;
  /** Its message matches. */
  message?: RegExp;
  /** Never printed (a secret). */
  absent?: string;
}

/** Checks one run against the contract; returns the parsed error. */
function checkJson(r: CliResult, e: Expect): void {
  const label = `ckpt ${e.args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.code, label).toBe(e.exit);
  if (e.absent !== undefined) expect(r.stdout + r.stderr).not.toContain(e.absent);
  if (e.code === undefined) {
    expect(r.stdout, label).toBe(e.stdout ?? '');
    expect(r.stderr, label).toBe('');
    return;
  }
  // The table in code gives this exit code for this error code: one contract, not two.
  expect(EXIT_FOR_ERROR[e.code], label).toBe(e.exit);
  expect(r.stdout, label).toBe(e.stdout ?? '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, label).toHaveLength(1);
  const body = JSON.parse(lines[0]!) as { error: Record<string, unknown> };
  expect(Object.keys(body), label).toEqual(['error']);
  expect(body.error, label).toMatchObject({ code: e.code, message: expect.any(String) });
  for (const k of Object.keys(body.error)) expect(['code', 'message', 'uri', 'operation'], label).toContain(k);
  if (e.uri !== undefined) expect(body.error.uri, label).toBe(e.uri);
  if (e.message) expect(body.error.message, label).toMatch(e.message);
}

/** Runs each case with --json, and the first of a condition in text mode too. */
function table(condition: string, cases: () => Expect[], options: () => RunCliOptions & { flags?: string[] } = () => ({})): void {
  it(condition, async () => {
    const list = cases();
    const o = options();
    for (const e of list) checkJson(await runCli([...e.args, '--json', ...(o.flags ?? [])], o), e);
    const first = list[0]!;
    const text = await runCli([...first.args, ...(o.flags ?? [])], o);
    expect(text.code).toBe(first.exit);
    if (first.code !== undefined) {
      expect(text.stdout).toBe('');
      expect(text.stderr).toMatch(new RegExp(`^ckpt: ${first.code}: .+\\n`));
    }
  });
}

/** The commands that take one URI, each with the arguments that make it run on `uri`. */
const ONE_URI: Record<string, (uri: string) => string[]> = {
  ls: (u) => ['ls', u],
  stat: (u) => ['stat', u],
  glob: (u) => ['glob', `${u}/*`],
  latest: (u) => ['latest', u],
  find: (u) => ['find', u],
  inspect: (u) => ['inspect', `${u}/ckpt-1000`],
  verify: (u) => ['verify', `${u}/ckpt-1000`],
  watch: (u) => ['watch', u, '--timeout', '0.3'],
  cp: (u) => ['cp', `${u}/ckpt-1000`, path.join(os.tmpdir(), 'ckpt-contract-never-written')],
  state: (u) => ['state', u],
};

/** Usage errors: every command, the same exit code and code, nothing run. */
function usageTables(dir: () => string): void {
  table('a bad flag: 2 (USAGE) from every command', () =>
    Object.entries(ONE_URI).map(([, argsOf]) => ({ args: [...argsOf(dir()), '--definitely-unknown'], exit: 2, code: 'USAGE', message: /Unknown argument/ })),
  );
  table("a bad number: 2 (USAGE) quoting what was typed, from every command", () =>
    Object.entries(ONE_URI).map(([, argsOf]) => ({ args: [...argsOf(dir()), '--concurrency', 'abc'], exit: 2, code: 'USAGE', message: /^--concurrency must be a positive integer, got 'abc'$/ })),
  );
  table('a malformed URI: 2 (USAGE) naming it, from every command', () =>
    Object.entries(ONE_URI).map(([name, argsOf]) => {
      const args = argsOf('s3://');
      // cp: the malformed one is the destination.
      if (name === 'cp') return { args: ['cp', `${dir()}/ckpt-1000`, 's3://'], exit: 2, code: 'USAGE' as const, uri: 's3://', message: /need a bucket/ };
      return { args, exit: 2, code: 'USAGE' as const, uri: args[1], message: /need a bucket/ };
    }),
  );
  table('an unknown scheme: 2 (USAGE) naming it, from every command', () =>
    Object.entries(ONE_URI).map(([, argsOf]) => {
      const args = argsOf('ftp://host/run');
      return { args, exit: 2, code: 'USAGE' as const, uri: args[1], message: /unknown scheme "ftp:\/\/"; known schemes: .*s3:\/\// };
    }),
  );
  table('a wrong value of a choice or a missing argument: 2 (USAGE)', () => [
    { args: ['watch', dir(), '--existing', 'some'], exit: 2, code: 'USAGE', message: /Invalid values: Argument: existing/ },
    { args: ['cp', dir()], exit: 2, code: 'USAGE', message: /Not enough non-option arguments/ },
    { args: ['completion', 'tcsh'], exit: 2, code: 'USAGE' },
    { args: ['find', dir(), '--max-depth', '-1'], exit: 2, code: 'USAGE', message: /^--max-depth must be a non-negative integer, got '-1'$/ },
    { args: ['cp', `${dir()}/ckpt-1000`, dir(), '--parallel', '1.5'], exit: 2, code: 'USAGE', message: /^--parallel must be a positive integer, got '1.5'$/ },
    { args: ['watch', dir(), '--timeout', 'soon'], exit: 2, code: 'USAGE', message: /^--timeout must be a non-negative number of seconds, got 'soon'$/ },
    // A value that does not parse is the command line's fault, whichever flag: code USAGE, not a store's INVALID_CONFIG.
    { args: ['inspect', `${dir()}/ckpt-1000`, '--filter', '/[/'], exit: 2, code: 'USAGE', message: /^--filter: not a valid regular expression: / },
  ]);
}

describe('the contract on a local disk', () => {
  let root = '';
  const mounts: TmpMount[] = [];
  let full: TmpMount | undefined;
  let ro: TmpMount | undefined;
  const p = (...parts: string[]) => path.join(root, ...parts);

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-contract-'));
    const copyRun = (to: string) => {
      fs.mkdirSync(p(to), { recursive: true });
      for (const f of fs.readdirSync(EXAMPLE)) if (fs.statSync(path.join(EXAMPLE, f)).isFile()) fs.copyFileSync(path.join(EXAMPLE, f), p(to, f));
    };
    copyRun('run');
    fs.mkdirSync(p('empty'));
    fs.writeFileSync(p('a-file'), 'not a directory');
    fs.mkdirSync(p('corrupt'));
    fs.writeFileSync(p('corrupt', 'ckpt-1000.index'), randomBytes(100));
    fs.writeFileSync(p('corrupt', 'ckpt-1000.data-00000-of-00001'), 'data');
    fs.mkdirSync(p('bad-state'));
    fs.writeFileSync(p('bad-state', 'checkpoint'), 'model_checkpoint: "typo"\n');
    fs.mkdirSync(p('impossible-state'));
    // A name longer than any disk holds (255 bytes a name): TensorFlow's existence check fails, which is no match.
    fs.writeFileSync(p('impossible-state', 'checkpoint'), `model_checkpoint_path: "ckpt-${'9'.repeat(5000)}"\n`);
    copyRun('secret');
    fs.chmodSync(p('secret'), 0o000);
    copyRun('unreadable-state');
    fs.chmodSync(p('unreadable-state', 'checkpoint'), 0o000);
    fs.mkdirSync(p('unwritable'));
    fs.chmodSync(p('unwritable'), 0o555);
    if (mountUnavailable === undefined) {
      full = mountTmpfs(64, {
        fill: (d) => {
          try {
            fs.writeFileSync(path.join(d, 'filler'), Buffer.alloc(1 << 20));
          } catch {
            // ENOSPC: the disk is full, as wanted
          }
        },
      });
      ro = mountTmpfs(64, { readOnly: true, fill: (d) => fs.mkdirSync(path.join(d, 'serving')) });
      mounts.push(full, ro);
    }
  });
  afterAll(() => {
    for (const m of mounts) m.unmount();
    for (const d of ['secret', 'unwritable']) fs.chmodSync(p(d), 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  });

  table('a missing path: 4 (NOT_FOUND, naming it) where something is required; 1 with null/[] where "none" is the answer', () => {
    const m = p('missing');
    return [
      { args: ['ls', m], exit: 4, code: 'NOT_FOUND', uri: m },
      { args: ['stat', m], exit: 4, code: 'NOT_FOUND', uri: m },
      { args: ['stat', p('run', 'checkpoint'), m], exit: 4, code: 'NOT_FOUND', uri: m },
      { args: ['inspect', `${m}/ckpt-1`], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
      { args: ['verify', `${m}/ckpt-1`], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
      { args: ['verify', p('run', 'ckpt-7')], exit: 4, code: 'NOT_FOUND', uri: p('run', 'ckpt-7') },
      { args: ['cp', `${m}/ckpt-1`, p('out')], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
      { args: ['state', m], exit: 4, code: 'NOT_FOUND', uri: `${m}/checkpoint` },
      { args: ['state', p('empty')], exit: 4, code: 'NOT_FOUND', uri: p('empty', 'checkpoint') },
      { args: ['latest', m], exit: 1, stdout: 'null\n' },
      { args: ['latest', '--tf-compat', m], exit: 1, stdout: 'null\n' },
      { args: ['find', m], exit: 1, stdout: '[]\n' },
      { args: ['glob', `${m}/*.index`], exit: 1, stdout: '[]\n' },
      { args: ['watch', m, '--timeout', '0.3'], exit: 1, stdout: '' },
    ];
  });

  table('nothing found in an empty directory: 1, the same answers as for a missing one', () => [
    { args: ['latest', p('empty')], exit: 1, stdout: 'null\n' },
    { args: ['latest', '--tf-compat', p('empty')], exit: 1, stdout: 'null\n' },
    { args: ['find', p('empty')], exit: 1, stdout: '[]\n' },
    { args: ['glob', `${p('empty')}/*`], exit: 1, stdout: '[]\n' },
    { args: ['watch', p('empty'), '--timeout', '0.3'], exit: 1, stdout: '' },
  ]);

  table('a corrupt index: 3 (CORRUPT) from inspect, verify (with its report) and latest --verify', () => [
    { args: ['inspect', p('corrupt', 'ckpt-1000')], exit: 3, code: 'CORRUPT', uri: p('corrupt', 'ckpt-1000.index'), message: /not an sstable/ },
    { args: ['latest', '--verify', p('corrupt')], exit: 3, code: 'CORRUPT', uri: p('corrupt'), message: /CORRUPT_INDEX/ },
  ]);

  it('verify of a corrupt index: the report on stdout, exit 3, one CORRUPT error line on stderr', async () => {
    const r = await runCli(['verify', '--json', p('corrupt', 'ckpt-1000')]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, problems: [{ code: 'CORRUPT_INDEX' }] });
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'CORRUPT', uri: p('corrupt', 'ckpt-1000'), operation: 'verify' } });
  });

  table('a state file that does not parse: 3 (CORRUPT) naming it', () => [
    { args: ['state', p('bad-state')], exit: 3, code: 'CORRUPT', uri: p('bad-state', 'checkpoint') },
    { args: ['state', '--repair', p('bad-state')], exit: 3, code: 'CORRUPT', uri: p('bad-state', 'checkpoint') },
  ]);

  table('a state file naming a path no store can hold: never usage; robust latest passes over it, --tf-compat answers None as TensorFlow does (decision 0004)', () => [
    { args: ['latest', '--tf-compat', p('impossible-state')], exit: 1, stdout: 'null\n' },
    { args: ['latest', p('impossible-state')], exit: 1, stdout: 'null\n' },
  ]);

  table('a file where a directory is needed: NOT_A_DIRECTORY naming the file (cp, state), NOT_FOUND saying so (reads through it)', () => [
    { args: ['cp', p('run', 'ckpt-1000'), p('a-file')], exit: 4, code: 'NOT_A_DIRECTORY', uri: p('a-file'), message: /is a file, not a directory/ },
    { args: ['cp', p('run', 'ckpt-1000'), p('a-file', 'sub')], exit: 4, code: 'NOT_A_DIRECTORY', uri: p('a-file'), message: /is a file, not a directory/ },
    { args: ['state', p('a-file')], exit: 4, code: 'NOT_A_DIRECTORY', uri: p('a-file'), message: /is a file, not a directory/ },
    { args: ['ls', p('a-file', 'x')], exit: 4, code: 'NOT_FOUND', uri: p('a-file', 'x'), message: /is a file, not a directory/ },
    { args: ['stat', p('a-file', 'x')], exit: 4, code: 'NOT_FOUND', uri: p('a-file', 'x'), message: /is a file, not a directory/ },
  ]);

  const noBypass = withoutPermissionBypass();
  const permissionTitle = 'permission denied: 4 (PERMISSION_DENIED) naming the object at fault, from every command';
  if (noBypass === undefined) it.skip(`${permissionTitle} [skipped: running as root without setpriv(1)]`, () => undefined);
  else {
    table(
      permissionTitle,
      () => {
        const s = p('secret');
        return [
          ...['ls', 'find', 'watch'].map((c) => ({ args: ONE_URI[c]!(s), exit: 4, code: 'PERMISSION_DENIED' as const, uri: s })),
          { args: ['glob', `${s}/*.index`], exit: 4, code: 'PERMISSION_DENIED', uri: s },
          { args: ['stat', `${s}/checkpoint`], exit: 4, code: 'PERMISSION_DENIED', uri: `${s}/checkpoint` },
          { args: ['latest', s], exit: 4, code: 'PERMISSION_DENIED', uri: `${s}/checkpoint` },
          { args: ['inspect', `${s}/ckpt-1000`], exit: 4, code: 'PERMISSION_DENIED', uri: `${s}/ckpt-1000.index` },
          { args: ['verify', `${s}/ckpt-1000`], exit: 4, code: 'PERMISSION_DENIED', uri: s },
          { args: ['cp', `${s}/ckpt-1000`, p('out')], exit: 4, code: 'PERMISSION_DENIED', uri: s },
          { args: ['state', s], exit: 4, code: 'PERMISSION_DENIED', uri: `${s}/checkpoint` },
          // The destination at fault: named, not the source.
          { args: ['cp', p('run', 'ckpt-1000'), p('unwritable', 'serving')], exit: 4, code: 'PERMISSION_DENIED', uri: p('unwritable', 'serving') },
        ];
      },
      () => ({ wrapper: noBypass }),
    );
    table(
      'an unreadable state file: 4 (PERMISSION_DENIED) naming it, from state and latest (both modes)',
      () => {
        const u = p('unreadable-state');
        return [
          { args: ['state', u], exit: 4, code: 'PERMISSION_DENIED', uri: `${u}/checkpoint` },
          { args: ['latest', u], exit: 4, code: 'PERMISSION_DENIED', uri: `${u}/checkpoint` },
          { args: ['latest', '--tf-compat', u], exit: 4, code: 'PERMISSION_DENIED', uri: `${u}/checkpoint` },
        ];
      },
      () => ({ wrapper: noBypass }),
    );
  }

  const mountTitle = 'a full disk (NO_SPACE) and a read-only one (READ_ONLY): 4, naming the destination, not retried';
  if (mountUnavailable !== undefined) it.skip(`${mountTitle} [skipped: ${mountUnavailable}]`, () => undefined);
  else
    table(mountTitle, () => [
      {
        args: ['cp', p('run', 'ckpt-1000'), path.join(full!.dir, 'serving')],
        exit: 4,
        code: 'NO_SPACE',
        uri: path.join(full!.dir, 'serving', 'ckpt-1000.data-00000-of-00001'),
        message: /no space left on device \(ENOSPC\)/,
      },
      { args: ['cp', p('run', 'ckpt-1000'), path.join(ro!.dir, 'serving')], exit: 4, code: 'READ_ONLY', uri: path.join(ro!.dir, 'serving', 'ckpt-1000.data-00000-of-00001'), message: /read-only file system \(EROFS\)/ },
      { args: ['cp', p('run', 'ckpt-1000'), path.join(ro!.dir, 'new', 'dir')], exit: 4, code: 'READ_ONLY', uri: path.join(ro!.dir, 'new', 'dir') },
    ]);

  usageTables(() => p('run'));
});

describe.each([
  ['s3', s3Server()],
  ['gs', gcsServer()],
] as const)('the contract on %s://', (scheme, server) => {
  serverSuite(`contract on ${scheme}:// (${scheme === 's3' ? 'RGW' : 'GCS emulator'})`, server, (srv) => {
    const bucket = `ckpt-contract-${randomBytes(4).toString('hex')}`;
    const servers = scheme === 's3' ? { s3: srv as NonNullable<ReturnType<typeof s3Server>> } : { gcs: srv as NonNullable<ReturnType<typeof gcsServer>> };
    const base = `${scheme}://${bucket}`;
    let home = '';
    const opts = (): RunCliOptions & { flags: string[] } => ({ env: cliEnv(home, servers.s3), flags: cliStoreFlags(servers) });

    beforeAll(async () => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-contract-home-'));
      if (servers.s3) await createBucket(bucket, s3Options(servers.s3));
      else await ensureGcsBucket(bucket, gcsOptions(servers.gcs!));
      const g = storesGFile(servers);
      for (const f of fs.readdirSync(EXAMPLE)) if (fs.statSync(path.join(EXAMPLE, f)).isFile()) await g.writeFile(`${base}/run/${f}`, fs.readFileSync(path.join(EXAMPLE, f)));
      await g.writeFile(`${base}/corrupt/ckpt-1000.index`, randomBytes(100));
      await g.writeFile(`${base}/corrupt/ckpt-1000.data-00000-of-00001`, new TextEncoder().encode('data'));
      await g.close();
    });
    afterAll(async () => {
      const g = storesGFile(servers);
      await g.removeTree(`${base}/`).catch(() => undefined);
      if (servers.s3) await dropS3Bucket(bucket, s3Options(servers.s3));
      await g.close();
      fs.rmSync(home, { recursive: true, force: true });
    });

    table(
      'a missing prefix: 4 (NOT_FOUND) where required; 1 with null/[] where "none" is the answer',
      () => {
        const m = `${base}/missing`;
        return [
          { args: ['ls', m], exit: 4, code: 'NOT_FOUND', uri: m },
          { args: ['stat', m], exit: 4, code: 'NOT_FOUND', uri: m },
          { args: ['inspect', `${m}/ckpt-1`], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
          { args: ['verify', `${m}/ckpt-1`], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
          { args: ['cp', `${m}/ckpt-1`, path.join(home, 'out')], exit: 4, code: 'NOT_FOUND', uri: `${m}/ckpt-1` },
          { args: ['state', m], exit: 4, code: 'NOT_FOUND', uri: `${m}/checkpoint` },
          { args: ['latest', m], exit: 1, stdout: 'null\n' },
          { args: ['find', m], exit: 1, stdout: '[]\n' },
          { args: ['glob', `${m}/*.index`], exit: 1, stdout: '[]\n' },
          { args: ['watch', m, '--timeout', '0.3'], exit: 1, stdout: '' },
        ];
      },
      opts,
    );

    table(
      'a missing bucket: NOT_FOUND naming it (on S3 also as the destination of cp)',
      () => {
        const nb = `${scheme}://ckpt-contract-no-such-bucket-${bucket.slice(-8)}`;
        return [
          { args: ['ls', `${nb}/run`], exit: 4, code: 'NOT_FOUND' },
          // (The GCS emulator creates a bucket on the first upload: a real GCS and RGW refuse it.)
          ...(scheme === 's3' ? [{ args: ['cp', `${base}/run/ckpt-1000`, `${nb}/serving`], exit: 4, code: 'NOT_FOUND' as const, uri: `${nb}/serving/ckpt-1000` }] : []),
        ];
      },
      opts,
    );

    table('a corrupt index: 3 (CORRUPT)', () => [{ args: ['inspect', `${base}/corrupt/ckpt-1000`], exit: 3, code: 'CORRUPT', uri: `${base}/corrupt/ckpt-1000.index` }], opts);

    if (scheme === 's3') {
      table(
        'a private bucket read anonymously: 4 (PERMISSION_DENIED) from every command',
        () => [
          { args: ['ls', `${base}/run`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['stat', `${base}/run/checkpoint`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['latest', `${base}/run`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['find', `${base}/run`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['glob', `${base}/run/*.index`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['inspect', `${base}/run/ckpt-1000`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['verify', `${base}/run/ckpt-1000`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['cp', `${base}/run/ckpt-1000`, path.join(home, 'out'), '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
          { args: ['state', `${base}/run`, '--anonymous'], exit: 4, code: 'PERMISSION_DENIED' },
        ],
        opts,
      );
      table(
        'bad credentials: 4 (UNAUTHENTICATED), the secret never printed',
        () => [
          { args: ['ls', `${base}/run`], exit: 4, code: 'UNAUTHENTICATED', absent: WRONG_SECRET },
          { args: ['latest', `${base}/run`], exit: 4, code: 'UNAUTHENTICATED', absent: WRONG_SECRET },
          { args: ['cp', `${base}/run/ckpt-1000`, path.join(home, 'out')], exit: 4, code: 'UNAUTHENTICATED', absent: WRONG_SECRET },
        ],
        () => ({ ...opts(), env: { ...cliEnv(home, servers.s3), AWS_SECRET_ACCESS_KEY: WRONG_SECRET } }),
      );
    } else {
      table('an invalid bucket name: 2 (USAGE) before any request', () => [{ args: ['ls', 'gs://Not_A_Valid_Bucket!/x'], exit: 2, code: 'USAGE', uri: 'gs://Not_A_Valid_Bucket!/x' }], opts);
    }
  });
});
