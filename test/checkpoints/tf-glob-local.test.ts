/**
 * TensorFlow's `GetMatchingPaths` on a local disk for paths no store can hold (core's unit tests
 * have no local adapter): the system calls see `CleanPath` of the path up to its first NUL, and a
 * path too long for the disk is not found.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getMatchingPaths } from '@ckptkit/core';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';

describe('getMatchingPaths on a local disk, hostile paths', () => {
  it('local disks: system calls see the path up to the NUL, cleaned; too long is not found', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-tfglob-'));
    try {
      const g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
      await g.writeText(`${dir}/ckpt-1.index`, 'x');
      await g.writeText(`${dir}/sub/a`, 'x');
      expect(await getMatchingPaths(g, `${dir}/ckpt-1.index\0junk`)).toEqual([`${dir}/ckpt-1.index\0junk`]);
      expect(await getMatchingPaths(g, `${dir}/\0anything.index`)).toEqual([`${dir}/\0anything.index`]);
      expect(await getMatchingPaths(g, `${dir}/ckpt-1\0.index`)).toEqual([]);
      // `x/..` is cleaned away before the NUL: the C string is the directory itself, which exists.
      expect(await getMatchingPaths(g, `${dir}/x/..\0/ckpt-1.index`)).toEqual([`${dir}/x/..\0/ckpt-1.index`]);
      // A NUL in the literal directory: every entry of the directory before it matches the glob.
      expect(await getMatchingPaths(g, `${dir}/sub\0zz/*.index`)).toEqual([`${dir}/sub\0zz/a`]);
      expect(await getMatchingPaths(g, `${dir}/${'n'.repeat(300)}.index`)).toEqual([]);
      expect(await getMatchingPaths(g, `${dir}/${'d/'.repeat(3000)}ckpt-1.index`)).toEqual([]);
      expect(await getMatchingPaths(g, `${dir}/${'d/../'.repeat(3000)}ckpt-1.index`)).toEqual([`${dir}/${'d/../'.repeat(3000)}ckpt-1.index`]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
