/**
 * The fault suite: listings, reads, latest, find, verify and copies through the fault proxy
 * against a real server. Each case either gets the right answer (the same as a direct, fault-free
 * call) after retries, or fails with a typed storage error; never a short listing taken for a
 * complete one, never an older checkpoint because a request failed, never a partial file under
 * the final name. Every case also checks that its faults actually fired.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, resolveLatestCheckpoint, verifyBundle, writeBundle, type TensorToWrite } from '@ckptkit/core';
import type { FileInfo } from '@ckptkit/gfile';
import { bundle, json, stateFile } from '../checkpoints/bytes.js';
import { writeTree } from '../checkpoints/suite.js';
import { runCli } from '../helpers/cli.js';
import type { FaultRule } from '../proxy/proxy.js';
import { ATTEMPTS, STALL_MS, drain, failure, isStorageFailure, type FaultTarget } from './harness.js';

const MiB = 1024 * 1024;

/** Tests of the suite, for the totals in docs/reliability.md. */
export const FAULT_CASES: string[] = [];

function hf(step: number): Record<string, Uint8Array | number> {
  return { 'model.safetensors': 100, 'trainer_state.json': json({ global_step: step, log_history: [] }), 'config.json': json({}) };
}

function under(dir: string, spec: Record<string, Uint8Array | string | number>): Record<string, Uint8Array | string | number> {
  return Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${dir}/${k}`, v]));
}

const HTML = '<html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>';

const uris = (infos: FileInfo[]) => infos.map((i) => `${i.kind}:${i.uri}:${i.size}`);

export function defineFaultSuite(make: () => Promise<FaultTarget>): void {
  let t: FaultTarget;
  let big: Uint8Array;
  const tensors: TensorToWrite[] = [
    { key: 'dense/kernel', dtype: 'DT_FLOAT', shape: [512 * 1024], data: randomBytes(2 * MiB) },
    { key: 'dense/bias', dtype: 'DT_FLOAT', shape: [4], data: randomBytes(16), shard: 1 },
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: ['graph'], shard: 1 },
  ];
  let tmp: string;

  /** A case: registered with vitest, counted for the docs, and checked for faults that never fired. */
  const kase = (name: string, body: () => Promise<void>, timeout?: number) => {
    FAULT_CASES.push(name);
    it(
      name,
      async () => {
        t.proxy.schedule.clear();
        try {
          await body();
          expect(t.proxy.schedule.pending(), 'every scheduled fault fired').toEqual([]);
        } finally {
          t.proxy.schedule.clear();
        }
      },
      timeout,
    );
  };

  beforeAll(async () => {
    t = await make();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-faults-'));
    big = randomBytes(3 * MiB);
    const files: Record<string, Uint8Array | string | number> = {};
    for (let i = 0; i < 40; i++) files[`list/f${String(i).padStart(2, '0')}`] = 10 + i;
    Object.assign(files, { 'list/d1/x': 1, 'list/d2/x': 2, 'list/d3/y': 3 });
    Object.assign(files, { 'read/big.bin': big, 'read/small.txt': 'hello, faults' });
    const steps = Array.from({ length: 12 }, (_, i) => i + 1);
    for (const s of steps) {
      Object.assign(files, under('tf', bundle(`ckpt-${s}`) as Record<string, number>));
      Object.assign(files, under('tfscan', bundle(`ckpt-${s}`) as Record<string, number>));
    }
    files['tf/checkpoint'] = stateFile('ckpt-12', steps.map((s) => `ckpt-${s}`));
    Object.assign(files, under('hf/checkpoint-100', hf(100)), under('hf/checkpoint-200', hf(200)));
    await writeTree(t.direct, t.root, files);
    await writeBundle(t.direct, `${t.root}/real/ckpt-7`, tensors, { numShards: 2 });
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const listUri = () => `${t.root}/list`;
  const expectedList = async () => uris(await drain(t.direct.list(listUri(), { recursive: true })).then((r) => r.items));

  describe('listings', () => {
    const once: Array<[string, () => FaultRule[]]> = [
      ['503 on page 3', () => [{ match: t.list, nth: 3, action: { kind: 'status', status: 503 } }]],
      ['500 on page 2 and 429 on page 4', () => [
        { match: t.list, nth: 2, action: { kind: 'status', status: 500 } },
        { match: t.list, nth: 5, action: { kind: 'status', status: 429 } },
      ]],
      ['connection reset on page 2', () => [{ match: t.list, nth: 2, action: { kind: 'reset' } }]],
      ['page 3 cut after 200 bytes', () => [{ match: t.list, nth: 3, action: { kind: 'cut', afterBytes: 200 } }]],
      ['page 2 cut after its headers', () => [{ match: t.list, nth: 2, action: { kind: 'cut', afterBytes: 0, how: 'reset' } }]],
      ['page 2 stalled past the client timeout', () => [{ match: t.list, nth: 2, action: { kind: 'stall', ms: STALL_MS } }]],
      ['page 2 answered 200 with an HTML page (a captive portal)', () => [{ match: t.list, nth: 2, action: { kind: 'status', status: 200, body: HTML, headers: { 'content-type': 'text/html' } } }]],
    ];
    for (const [what, rules] of once) {
      kase(`a recursive listing in pages of 7 survives: ${what}`, async () => {
        const expected = await expectedList();
        t.proxy.schedule.set(rules());
        const got = await drain(t.through({ pageSize: 7 }).list(listUri(), { recursive: true }));
        expect(got.error).toBeUndefined();
        expect(uris(got.items)).toEqual(expected);
      }, 20_000);
    }

    kase('a delimiter listing (listDir) survives a 503 on page 2', async () => {
      const expected = uris(await t.direct.listDir(listUri()));
      t.proxy.schedule.set([{ match: t.list, nth: 2, action: { kind: 'status', status: 503 } }]);
      expect(uris(await t.through({ pageSize: 7 }).listDir(listUri()))).toEqual(expected);
    });

    kase('glob survives a reset on one of its listings', async () => {
      const expected = uris(await t.direct.glob(`${listUri()}/f1*`));
      expect(expected).toHaveLength(10);
      t.proxy.schedule.set([{ match: t.list, nth: 1, action: { kind: 'reset' } }]);
      expect(uris(await t.through({ pageSize: 4 }).glob(`${listUri()}/f1*`))).toEqual(expected);
    });

    const always: Array<[string, () => FaultRule[]]> = [
      ['503 on every attempt at page 3', () => [{ match: t.list, nth: 3, times: ATTEMPTS, action: { kind: 'status', status: 503 } }]],
      ['page 3 cut short on every attempt', () => [{ match: t.list, nth: 3, times: ATTEMPTS, action: { kind: 'cut', afterBytes: 150 } }]],
      ['resets on every attempt at page 2', () => [{ match: t.list, nth: 2, times: ATTEMPTS, action: { kind: 'reset' } }]],
      ['an HTML 200 on every attempt at page 2', () => [{ match: t.list, nth: 2, times: ATTEMPTS, action: { kind: 'status', status: 200, body: HTML, headers: { 'content-type': 'text/html' } } }]],
    ];
    for (const [what, rules] of always) {
      kase(`a listing that cannot be finished fails with a typed error, never ends early as if complete: ${what}`, async () => {
        const expected = await expectedList();
        t.proxy.schedule.set(rules());
        const got = await drain(t.through({ pageSize: 7 }).list(listUri(), { recursive: true }));
        expect(isStorageFailure(got.error), String(got.error)).toBe(true);
        expect(got.items.length).toBeLessThan(expected.length);
        // What came before the failure is a correct beginning of the listing.
        expect(uris(got.items)).toEqual(expected.slice(0, got.items.length));
      });
    }
  });

  describe('reads', () => {
    kase('readFile survives a 503', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/small.txt`)), action: { kind: 'status', status: 503 } }]);
      expect(await t.through().readText(`${t.root}/read/small.txt`)).toBe('hello, faults');
    });

    kase('readFile of 3 MiB survives a body cut at 1 MiB (read again whole)', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), action: { kind: 'cut', afterBytes: MiB } }]);
      expect(Buffer.from(await t.through().readFile(`${t.root}/read/big.bin`)).equals(big)).toBe(true);
    });

    kase('a ranged readFile survives a reset mid-body', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), action: { kind: 'cut', afterBytes: 1000, how: 'reset' } }]);
      const got = await t.through().readFile(`${t.root}/read/big.bin`, { offset: 12345, length: 500_000 });
      expect(Buffer.from(got).equals(big.subarray(12345, 12345 + 500_000))).toBe(true);
    });

    kase('readStream resumes where a cut body stopped (twice), byte for byte', async () => {
      const key = t.keyOf(`${t.root}/read/big.bin`);
      t.proxy.schedule.set([
        { match: t.getObject(key), nth: 1, action: { kind: 'cut', afterBytes: MiB } },
        { match: t.getObject(key), nth: 2, action: { kind: 'cut', afterBytes: MiB } },
      ]);
      const got = await drain(t.through().readStream(`${t.root}/read/big.bin`));
      expect(got.error).toBeUndefined();
      expect(Buffer.concat(got.items).equals(big)).toBe(true);
      const gets = t.proxy.stats.requests.filter((r) => r.url.includes(encodeURIComponent('big.bin')) || r.url.includes('big.bin')).slice(-3);
      // The resumed requests start at the first byte not yet delivered.
      expect(gets.map((r) => r.range)).toEqual([undefined, `bytes=${MiB}-`, `bytes=${2 * MiB}-`]);
    });

    kase('readStream of a body cut every 256 KiB on every request still completes: each resume makes progress', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), times: Infinity, action: { kind: 'cut', afterBytes: 256 * 1024 } }]);
      const got = await drain(t.through().readStream(`${t.root}/read/big.bin`));
      expect(got.error).toBeUndefined();
      expect(Buffer.concat(got.items).equals(big)).toBe(true);
      expect(t.proxy.schedule.applied.length).toBe(12);
    });

    kase('readStream survives a body stalled past the idle timeout', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), action: { kind: 'stall', ms: STALL_MS, afterBytes: 256 * 1024 } }]);
      const got = await drain(t.through().readStream(`${t.root}/read/big.bin`));
      expect(got.error).toBeUndefined();
      expect(Buffer.concat(got.items).equals(big)).toBe(true);
    }, 20_000);

    kase('stat survives a 429, and fails typed when every attempt is refused', async () => {
      const key = t.keyOf(`${t.root}/read/small.txt`);
      t.proxy.schedule.set([{ match: t.statObject(key), action: { kind: 'status', status: 429 } }]);
      expect((await t.through().stat(`${t.root}/read/small.txt`)).size).toBe(13);
      t.proxy.schedule.set([{ match: t.statObject(key), times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
      expect(isStorageFailure(await failure(() => t.through().stat(`${t.root}/read/small.txt`)))).toBe(true);
    });

    kase('a read cut short on every attempt fails typed, never returns the short body', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), times: ATTEMPTS, action: { kind: 'cut', afterBytes: 64 * 1024 } }]);
      const error = await failure(() => t.through().readFile(`${t.root}/read/big.bin`));
      expect(isStorageFailure(error), String(error)).toBe(true);
    });
  });

  describe('latest', () => {
    const dir = () => `${t.root}/tf`;
    const scanDir = () => `${t.root}/tfscan`;

    kase('latest survives a 503 on the state file', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${dir()}/checkpoint`)), action: { kind: 'status', status: 503 } }]);
      const r = await resolveLatestCheckpoint(dir(), { gfile: t.through() });
      expect(r.checkpoint).toMatchObject({ prefix: `${dir()}/ckpt-12`, step: 12, source: 'state' });
    });

    kase('latest fails typed when the state file cannot be read, rather than guess from a scan', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${dir()}/checkpoint`)), times: ATTEMPTS, action: { kind: 'reset' } }]);
      expect(isStorageFailure(await failure(() => resolveLatestCheckpoint(dir(), { gfile: t.through() })))).toBe(true);
    });

    kase('latest fails typed when the named checkpoint cannot be listed, rather than call the state file stale', async () => {
      t.proxy.schedule.set([{ match: t.listOf(t.keyOf(`${dir()}/ckpt-12.`)), times: ATTEMPTS, action: { kind: 'status', status: 500 } }]);
      expect(isStorageFailure(await failure(() => resolveLatestCheckpoint(dir(), { gfile: t.through() })))).toBe(true);
    });

    kase('a scan in pages of 5 survives a failed page and still finds the newest', async () => {
      t.proxy.schedule.set([{ match: t.list, nth: 3, action: { kind: 'status', status: 503 } }]);
      const r = await resolveLatestCheckpoint(scanDir(), { gfile: t.through({ pageSize: 5 }) });
      expect(r.checkpoint).toMatchObject({ prefix: `${scanDir()}/ckpt-12`, step: 12, source: 'scan' });
    });

    for (const nth of [2, 4]) {
      kase(`a scan whose page ${nth} fails on every attempt fails typed, never answers with an older checkpoint`, async () => {
        t.proxy.schedule.set([{ match: t.list, nth, times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
        const error = await failure(() => resolveLatestCheckpoint(scanDir(), { gfile: t.through({ pageSize: 5 }) }));
        expect(isStorageFailure(error), String(error)).toBe(true);
      });
    }

    kase('a content check that cannot be read fails latest typed, never passes over the newest (HF trainer_state.json)', async () => {
      const key = t.keyOf(`${t.root}/hf/checkpoint-200/trainer_state.json`);
      t.proxy.schedule.set([{ match: t.getObject(key), times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
      const error = await failure(() => resolveLatestCheckpoint(`${t.root}/hf`, { gfile: t.through() }));
      expect(isStorageFailure(error), String(error)).toBe(true);
    });

    kase('the same content check survives one failure and the newest wins', async () => {
      const key = t.keyOf(`${t.root}/hf/checkpoint-200/trainer_state.json`);
      t.proxy.schedule.set([{ match: t.getObject(key), action: { kind: 'cut', afterBytes: 5 } }]);
      const r = await resolveLatestCheckpoint(`${t.root}/hf`, { gfile: t.through() });
      expect(r.checkpoint).toMatchObject({ prefix: `${t.root}/hf/checkpoint-200`, step: 200, complete: true });
    });

    kase('latest --verify survives a cut index read, and fails typed when the index never comes', async () => {
      const key = t.keyOf(`${t.root}/real/ckpt-7.index`);
      t.proxy.schedule.set([{ match: t.getObject(key), action: { kind: 'cut', afterBytes: 10 } }]);
      const r = await resolveLatestCheckpoint(`${t.root}/real`, { gfile: t.through(), verify: true });
      expect(r.checkpoint).toMatchObject({ step: 7, verify: { ok: true } });
      t.proxy.schedule.set([{ match: t.getObject(key), times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
      expect(isStorageFailure(await failure(() => resolveLatestCheckpoint(`${t.root}/real`, { gfile: t.through(), verify: true })))).toBe(true);
    });
  });

  describe('find and verify', () => {
    kase('find survives failed pages and gives the same answer as a direct call', async () => {
      const expected = await findCheckpoints(t.root, { gfile: t.direct });
      t.proxy.schedule.set([
        { match: t.list, nth: 2, action: { kind: 'status', status: 503 } },
        { match: t.list, nth: 6, action: { kind: 'cut', afterBytes: 300 } },
      ]);
      const got = await findCheckpoints(t.root, { gfile: t.through({ pageSize: 20 }) });
      expect(got).toEqual(expected);
    });

    kase('find fails typed when a page never comes', async () => {
      t.proxy.schedule.set([{ match: t.list, nth: 3, times: ATTEMPTS, action: { kind: 'reset' } }]);
      expect(isStorageFailure(await failure(() => findCheckpoints(t.root, { gfile: t.through({ pageSize: 20 }) })))).toBe(true);
    });

    kase('find fails typed when a content check cannot be read, rather than report the checkpoint incomplete', async () => {
      const key = t.keyOf(`${t.root}/hf/checkpoint-200/trainer_state.json`);
      t.proxy.schedule.set([{ match: t.getObject(key), times: ATTEMPTS, action: { kind: 'status', status: 500 } }]);
      expect(isStorageFailure(await failure(() => findCheckpoints(`${t.root}/hf`, { gfile: t.through() })))).toBe(true);
    });

    kase('deep verify survives cut shard reads: same report as a direct call', async () => {
      const prefix = `${t.root}/real/ckpt-7`;
      const expected = await verifyBundle(t.direct, prefix, { deep: true });
      expect(expected.ok).toBe(true);
      const shard0 = t.keyOf(`${prefix}.data-00000-of-00002`);
      t.proxy.schedule.set([
        { match: t.getObject(shard0), nth: 1, action: { kind: 'cut', afterBytes: 100_000 } },
        { match: t.getObject(shard0), nth: 2, action: { kind: 'stall', ms: STALL_MS, afterBytes: 1000 } },
      ]);
      expect(await verifyBundle(t.through(), prefix, { deep: true })).toEqual(expected);
    }, 20_000);

    kase('deep verify fails typed when a shard never comes whole: not a CRC_MISMATCH, not SHORT_SHARD', async () => {
      const prefix = `${t.root}/real/ckpt-7`;
      // Headers and no byte, on every attempt: no progress to resume from.
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${prefix}.data-00000-of-00002`)), times: ATTEMPTS, action: { kind: 'cut', afterBytes: 0 } }]);
      const error = await failure(() => verifyBundle(t.through(), prefix, { deep: true }));
      expect(isStorageFailure(error), String(error)).toBe(true);
    });

    kase('verify fails typed when the index cannot be read: not MISSING_INDEX', async () => {
      const prefix = `${t.root}/real/ckpt-7`;
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${prefix}.index`)), times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
      expect(isStorageFailure(await failure(() => verifyBundle(t.through(), prefix)))).toBe(true);
    });
  });

  describe('copies and writes', () => {
    kase('a copy to local disk survives a cut source read, byte for byte', async () => {
      const dst = path.join(tmp, `copy-${randomBytes(3).toString('hex')}.bin`);
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), action: { kind: 'cut', afterBytes: 2 * MiB } }]);
      await t.through().copy(`${t.root}/read/big.bin`, dst);
      expect((await fs.readFile(dst)).equals(big)).toBe(true);
    });

    kase('a copy to local disk whose source never comes whole fails typed and leaves no file, not even a temporary one', async () => {
      const dir = path.join(tmp, `copy-fail-${randomBytes(3).toString('hex')}`);
      await fs.mkdir(dir);
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), nth: 2, times: ATTEMPTS - 1, action: { kind: 'cut', afterBytes: 0, how: 'reset' } }]);
      t.proxy.schedule.add({ match: t.getObject(t.keyOf(`${t.root}/read/big.bin`)), nth: 1, action: { kind: 'cut', afterBytes: MiB } });
      const error = await failure(() => t.through().copy(`${t.root}/read/big.bin`, path.join(dir, 'big.bin')));
      expect(isStorageFailure(error), String(error)).toBe(true);
      expect(await fs.readdir(dir)).toEqual([]);
    });

    kase('a write whose answer is lost (the server stored it, the client saw a 500) is retried and stored once, whole', async () => {
      const uri = `${t.root}/write/lost-answer.txt`;
      t.proxy.schedule.set([{ match: t.putObject(t.keyOf(uri)), action: { kind: 'status', status: 500, forward: true } }]);
      await t.through().writeText(uri, 'stored once');
      expect(await t.direct.readText(uri)).toBe('stored once');
    });

    kase('a 9 MiB upload whose answer is lost after the server stored it is retried, not left hanging, and stored whole', async () => {
      const uri = `${t.root}/write/big-upload.bin`;
      const bytes = randomBytes(9 * MiB);
      t.proxy.schedule.set([{ match: t.uploadBytes(t.keyOf(uri)), action: t.loseUploadAnswer }]);
      await t.through().writeFile(uri, bytes);
      expect(Buffer.from(await t.direct.readFile(uri)).equals(bytes)).toBe(true);
    }, 30_000);

    kase('a write refused on every attempt fails typed and the old object stays', async () => {
      const uri = `${t.root}/write/kept.txt`;
      await t.direct.writeText(uri, 'old');
      t.proxy.schedule.set([{ match: t.putObject(t.keyOf(uri)), times: ATTEMPTS, action: { kind: 'status', status: 503 } }]);
      expect(isStorageFailure(await failure(() => t.through().writeText(uri, 'new')))).toBe(true);
      expect(await t.direct.readText(uri)).toBe('old');
    });
  });

  describe('copyCheckpoint', () => {
    const src = () => `${t.root}/real/ckpt-7`;
    const names = ['ckpt-7.data-00000-of-00002', 'ckpt-7.data-00001-of-00002', 'ckpt-7.index'];

    /** Every file under `dir` is byte-identical to its source: nothing partial under a final name. */
    async function onlyWholeFiles(dir: string): Promise<string[]> {
      const present = (await fs.readdir(dir)).sort();
      for (const name of present) {
        expect(names, `unexpected file ${name} (a temporary left behind?)`).toContain(name);
        const want = await t.direct.readFile(`${t.root}/real/${name}`);
        expect(Buffer.from(await fs.readFile(path.join(dir, name))).equals(Buffer.from(want)), `${name} is whole`).toBe(true);
      }
      return present;
    }

    kase('a checkpoint copied to local disk survives cut and stalled shard reads: every file byte for byte', async () => {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      const shard0 = t.keyOf(`${src()}.data-00000-of-00002`);
      t.proxy.schedule.set([
        { match: t.getObject(shard0), nth: 1, action: { kind: 'cut', afterBytes: 300_000 } },
        { match: t.getObject(t.keyOf(`${src()}.index`)), action: { kind: 'status', status: 503 } },
      ]);
      const r = await copyCheckpoint(src(), dst, { gfile: t.through() });
      expect(r.filesCopied).toBe(3);
      expect(await onlyWholeFiles(dst)).toEqual(names);
    });

    kase('a shard fetched in 4 ranges side by side: one range cut, another refused once; each resumed on its own, every file byte for byte', async () => {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      const shardUri = `${src()}.data-00000-of-00002`;
      const shard0 = t.keyOf(shardUri);
      const size = (await t.direct.stat(shardUri)).size;
      const step = Math.ceil(size / 4);
      t.proxy.schedule.set([
        { match: t.getObject(shard0), nth: 2, action: { kind: 'cut', afterBytes: Math.floor(step / 3) } },
        { match: t.getObject(shard0), nth: 3, action: { kind: 'status', status: 503 } },
      ]);
      const before = t.proxy.stats.requests.length;
      const r = await copyCheckpoint(src(), dst, { gfile: t.through(), rangeStreams: 4, rangeMinBytes: Math.floor(size / 4) });
      expect(r.filesCopied).toBe(3);
      expect(await onlyWholeFiles(dst)).toEqual(names);
      const ranges = t.proxy.stats.requests.slice(before).filter((q) => q.method === 'GET' && q.url.includes('data-00000-of-00002')).map((q) => q.range);
      // The four ranges, each asked for once from its start; the cut one resumed past its start.
      for (let i = 0; i < 4; i++) expect(ranges).toContain(`bytes=${i * step}-${Math.min(size, (i + 1) * step) - 1}`);
      expect(ranges.filter((h) => h !== undefined && !/^bytes=(\d+)-/.test(h))).toEqual([]);
      expect(ranges.length).toBe(6);
    });

    kase('a shard fetched in ranges, refused on every attempt: the copy fails typed and nothing partial is left', async () => {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      const shardUri = `${src()}.data-00000-of-00002`;
      const size = (await t.direct.stat(shardUri)).size;
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(shardUri)), times: Infinity, action: { kind: 'status', status: 503 } }]);
      const error = await failure(() => copyCheckpoint(src(), dst, { gfile: t.through(), rangeStreams: 4, rangeMinBytes: Math.floor(size / 4) }));
      expect(isStorageFailure(error), String(error)).toBe(true);
      const present = await onlyWholeFiles(dst);
      expect(present).not.toContain('ckpt-7.data-00000-of-00002');
      expect(present).not.toContain('ckpt-7.index');
    });

    kase('a copy whose index never comes fails typed and leaves no partial file, and never an index without its data', async () => {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${src()}.index`)), times: ATTEMPTS, action: { kind: 'cut', afterBytes: 0, how: 'reset' } }]);
      const error = await failure(() => copyCheckpoint(src(), dst, { gfile: t.through() }));
      expect(isStorageFailure(error), String(error)).toBe(true);
      const present = await onlyWholeFiles(dst);
      expect(present).not.toContain('ckpt-7.index');
      // Run again without faults: it finishes, skipping what is already whole.
      const again = await copyCheckpoint(src(), dst, { gfile: t.through() });
      expect(again.filesSkipped).toBe(present.length);
      expect(await onlyWholeFiles(dst)).toEqual(names);
    });

    kase('a copy from local disk to the store survives a refused upload', async () => {
      const local = await fs.mkdtemp(path.join(tmp, 'cp-src-'));
      await copyCheckpoint(src(), local, { gfile: t.through() });
      const dstDir = `${t.root}/uploaded-${randomBytes(3).toString('hex')}`;
      t.proxy.schedule.set([{ match: t.putObject(), nth: 2, action: { kind: 'status', status: 503 } }]);
      const r = await copyCheckpoint(path.join(local, 'ckpt-7'), dstDir, { gfile: t.through() });
      expect(r.filesCopied).toBe(3);
      for (const name of names) {
        expect(Buffer.from(await t.direct.readFile(`${dstDir}/${name}`)).equals(Buffer.from(await fs.readFile(path.join(local, name))))).toBe(true);
      }
    });
  });

  describe('the ckpt command line through the proxy', () => {
    kase('ckpt latest --json retries a failed page and answers the newest (exit 0)', async () => {
      t.proxy.schedule.set([{ match: t.getObject(t.keyOf(`${t.root}/tf/checkpoint`)), action: { kind: 'status', status: 503 } }]);
      const r = await runCli(['latest', '--json', `${t.root}/tf`, ...t.cliArgs()], { env: t.cliEnv });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ prefix: `${t.root}/tf/ckpt-12`, step: 12 });
    });

    kase('ckpt cp of a 9 MiB checkpoint to the store, every upload refused: exit 4 with a typed error, promptly (no socket left to hold the process)', async () => {
      const local = await fs.mkdtemp(path.join(tmp, 'cli-up-'));
      await copyCheckpoint(`${t.root}/real/ckpt-7`, local, { gfile: t.through() });
      await fs.writeFile(path.join(local, 'ckpt-7.data-00000-of-00002'), randomBytes(9 * MiB));
      t.proxy.schedule.set([{ match: t.anyUpload, times: Infinity, action: { kind: 'status', status: 503 } }]);
      const t0 = performance.now();
      const r = await runCli(['cp', '--json', path.join(local, 'ckpt-7'), `${t.root}/cli-upload`, '--allow-incomplete', ...t.cliArgs()], { env: t.cliEnv });
      expect(r.code, r.stderr).toBe(4);
      expect(JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"error"')) ?? '{}'), r.stderr).toMatchObject({ error: { code: expect.stringMatching(/^(UNAVAILABLE|RATE_LIMITED)$/) } });
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(await t.direct.exists(`${t.root}/cli-upload/ckpt-7.index`)).toBe(false);
    }, 40_000);

    kase('ckpt latest --json exits 4 with a typed JSON error when the store stays down, and prints no answer', async () => {
      t.proxy.schedule.set([{ match: t.list, times: Infinity, action: { kind: 'status', status: 503 } }]);
      const r = await runCli(['latest', '--json', `${t.root}/tfscan`, ...t.cliArgs()], { env: t.cliEnv });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      const line = r.stderr.split('\n').find((l) => l.startsWith('{"error"'));
      expect(JSON.parse(line ?? '{}')).toMatchObject({ error: { code: expect.stringMatching(/^(UNAVAILABLE|RATE_LIMITED)$/) } });
      expect(t.proxy.stats.requests.filter((q) => q.fault === 'status').length).toBeGreaterThanOrEqual(ATTEMPTS);
    });
  });
}
