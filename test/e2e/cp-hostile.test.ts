/**
 * A hostile bucket: a checkpoint directory whose listing holds keys that would land outside the
 * destination if joined naively (`..` segments, an empty segment that reads as an absolute path,
 * backslashes, a drive letter). RGW and the GCS emulator store and list such keys verbatim. `ckpt
 * cp` into a local directory must refuse with INVALID_PATH and write nothing at all, anywhere.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint } from '@ckptkit/core';
import { clearMemoryStore, createGFile, createRegistry, isCkptError, type GFile } from '@ckptkit/gfile';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { createBucket } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

/** Keys below `checkpoint-9/` and the reason each is refused. */
const HOSTILE: Array<[string, RegExp]> = [
  ['../../../escape.txt', /`\.\.` segment/],
  ['sub/../../../../../../tmp/escape.txt', /`\.\.` segment/],
  ['/abs-escape.txt', /absolute/],
  ['..\\..\\backslash-escape.txt', /backslash/],
  ['C:/drive-escape.txt', /drive letter/],
];

/** Every path below `root` with its bytes: the sandbox must be the same before and after. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    const p = path.join(entry.parentPath, entry.name);
    out[path.relative(root, p)] = entry.isFile() ? (await fs.readFile(p)).toString('base64') : 'dir';
  }
  return out;
}

async function seed(g: GFile, dir: string, hostileKey: string): Promise<void> {
  await g.writeText(`${dir}/model.safetensors`, 'weights');
  await g.writeText(`${dir}/trainer_state.json`, JSON.stringify({ global_step: 9 }));
  await g.writeText(`${dir}/${hostileKey}`, 'gotcha');
}

let sandbox: string;
beforeAll(async () => {
  sandbox = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-hostile-'));
  await fs.mkdir(path.join(sandbox, 'inside'));
  await fs.writeFile(path.join(sandbox, 'inside', 'keep.txt'), 'mine');
});
afterAll(async () => fs.rm(sandbox, { recursive: true, force: true }));

describe('cp from a hostile listing (memory store, library)', () => {
  const g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
  afterAll(() => HOSTILE.forEach((_, i) => clearMemoryStore(`hostile-memory-${i}`)));

  it.each(HOSTILE.map(([key, reason], i) => [key, reason, i] as const))('refuses %j and writes nothing', async (key, reason, i) => {
    // One store per case: the facade keeps its adapter (and the objects) per store name.
    const src = `memory://hostile-memory-${i}/run/checkpoint-9`;
    await seed(g, src, key);
    const before = await snapshot(sandbox);
    const error = await copyCheckpoint(src, path.join(sandbox, 'inside', 'dst'), { gfile: g }).catch((e: unknown) => e);
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/nothing was written/);
    expect(await snapshot(sandbox)).toEqual(before);
  });
});

const s3 = s3Server();
const gcs = gcsServer();

serverSuite('cp from a hostile bucket listing (RGW, GCS emulator), through the CLI', s3 && gcs ? { s3, gcs } : undefined, (servers) => {
  const bucket = `ckpt-hostile-${randomBytes(4).toString('hex')}`;
  let g: GFile;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    g = storesGFile(servers);
    env = cliEnv(sandbox, servers.s3);
    await createBucket(bucket, s3Options(servers.s3));
    await ensureGcsBucket(bucket, gcsOptions(servers.gcs));
    for (const scheme of ['s3', 'gs']) {
      for (const [i, [key]] of HOSTILE.entries()) await seed(g, `${scheme}://${bucket}/case-${i}/checkpoint-9`, key);
    }
  }, 120_000);
  afterAll(async () => {
    for (const [i] of HOSTILE.entries()) await g.removeTree(`s3://${bucket}/case-${i}`).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(servers.s3));
    await g.close();
  });

  for (const scheme of ['s3', 'gs']) {
    it(`${scheme}://: every hostile key is refused (exit 4, INVALID_PATH: a property of stored data, not of the command line) and nothing is written`, async () => {
      for (const [i, [key, reason]] of HOSTILE.entries()) {
        const src = `${scheme}://${bucket}/case-${i}/checkpoint-9`;
        // The server really lists the key verbatim.
        expect((await g.listDir(src)).length + (await g.listDir(`${scheme}://${bucket}/case-${i}`)).length).toBeGreaterThan(0);
        const before = await snapshot(sandbox);
        const r = await runCli(['cp', '--json', ...cliStoreFlags(servers), src, path.join(sandbox, 'inside', 'dst')], { env });
        expect(r.code, key).toBe(4);
        const error = (JSON.parse(r.stderr.trim()) as { error: { code: string; message: string; uri: string } }).error;
        expect(error.code).toBe('INVALID_PATH');
        expect(error.uri).toBe(src);
        expect(error.message).toMatch(reason);
        expect(await snapshot(sandbox)).toEqual(before);
      }
    }, 120_000);
  }
});
