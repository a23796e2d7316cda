/**
 * The README's example tree (examples/run42) is what examples/generate.mjs writes with the
 * project's own bundle writer, byte for byte, and gives the answers the quick start shows.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '@ckptkit/core';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = path.join(repo, 'examples', 'run42');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out.sort();
}

describe('examples/run42', () => {
  it('is exactly what examples/generate.mjs writes', async () => {
    const { generateExamples } = (await import(path.join(repo, 'examples', 'generate.mjs'))) as {
      generateExamples: (out: string, c: typeof core) => Promise<string[]>;
    };
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-examples-'));
    try {
      const written = await generateExamples(out, core);
      expect(await files(path.join(out, 'run42'))).toEqual(await files(example));
      for (const rel of written) {
        expect(Buffer.compare(await fs.readFile(path.join(out, rel)), await fs.readFile(path.join(repo, 'examples', rel))), rel).toBe(0);
      }
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });

  it('latest is ckpt-1000 in both modes; find shows the hidden ckpt-500 and the interrupted ckpt-1001', async () => {
    const gfile = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
    expect((await core.latestCheckpoint(example, { gfile, mode: 'tf' })).prefix).toBe(`${example}/ckpt-1000`);
    const robust = await core.latestCheckpoint(example, { gfile, verify: true });
    expect(robust.checkpoint).toMatchObject({ prefix: `${example}/ckpt-1000`, step: 1000, source: 'state', complete: true });
    expect(robust.checkpoint?.verify?.ok).toBe(true);
    const found = await core.findCheckpoints(example, { gfile });
    expect(found.map((c) => [c.step, c.complete, c.temporary, c.extra.stateFile])).toEqual([
      [500, true, false, 'unlisted'],
      [998, true, false, 'listed'],
      [999, true, false, 'listed'],
      [1000, true, false, 'latest'],
      [1001, false, true, undefined],
    ]);
    for (const c of found.filter((x) => x.complete)) expect((await core.verifyBundle(gfile, c.prefix)).ok).toBe(true);
  });
});
