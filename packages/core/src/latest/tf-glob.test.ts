import { describe, expect, it } from 'vitest';
import { createGFile, createMemoryAdapter, createRegistry } from '@ckptkit/gfile';
import { fnmatch, getMatchingPaths, hasTfGlobChar } from './tf-glob.js';

describe('fnmatch(FNM_PATHNAME)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['ckpt-?????-of-00002', 'ckpt-00001-of-00002', true],
    ['ckpt-?????-of-00002', 'ckpt-0001-of-00002', false],
    ['*', '.hidden', true],
    ['a*b', 'a/b', false],
    ['a?b', 'a/b', false],
    ['run[1]', 'run1', true],
    ['run[1]', 'run[1]', false],
    ['run[!1]', 'run2', true],
    ['run[^1]', 'run1', false],
    ['[a-c]x', 'bx', true],
    ['[]]', ']', true],
    ['[[:digit:]]', '7', true],
    ['run\\[1\\]', 'run[1]', true],
    ['a\\', 'a\\', false],
    ['[abc', '[abc', true],
    ['*.index', 'model.ckpt-5.index', true],
  ];
  for (const [p, s, want] of cases) it(`${p} ${want ? 'matches' : 'does not match'} ${s}`, () => expect(fnmatch(p, s)).toBe(want));
  it('treats * ? [ and \\ as glob characters, as TensorFlow does', () => {
    expect(['a*', 'a?', 'a[', 'a\\b', 'abc'].map(hasTfGlobChar)).toEqual([true, true, true, true, false]);
  });
});

describe('getMatchingPaths', () => {
  const gfile = () => createGFile({ registry: createRegistry().register('m', () => (name: string) => createMemoryAdapter(name)) });
  it('checks a literal path with one existence check (directories count) and globs level by level', async () => {
    const g = gfile();
    const store = `glob-${Math.random().toString(16).slice(2)}`;
    for (const k of ['r/run1/ckpt-5.index', 'r/run2/ckpt-5.index', 'r/run1/x/y', 'r/m-00000-of-00002', 'r/m-00001-of-00002']) await g.writeText(`m://${store}/${k}`, 'x');
    expect(await getMatchingPaths(g, `m://${store}/r/run1/ckpt-5.index`)).toEqual([`m://${store}/r/run1/ckpt-5.index`]);
    expect(await getMatchingPaths(g, `m://${store}/r/run1/x`)).toEqual([`m://${store}/r/run1/x`]);
    expect(await getMatchingPaths(g, `m://${store}/r/run3/ckpt-5.index`)).toEqual([]);
    expect((await getMatchingPaths(g, `m://${store}/r/run[12]/ckpt-5.index`)).sort()).toEqual([`m://${store}/r/run1/ckpt-5.index`, `m://${store}/r/run2/ckpt-5.index`]);
    expect(await getMatchingPaths(g, `m://${store}/r/m-?????-of-00002`)).toHaveLength(2);
    expect(await getMatchingPaths(g, `m://${store}/nowhere/*`)).toEqual([]);
    expect(await getMatchingPaths(g, '')).toEqual([]);
  });
});

describe('getMatchingPaths on paths no store can hold (TensorFlow: C strings, failures are no match)', () => {
  const memory = () => {
    const store = `tfglob-nul-${Math.random().toString(36).slice(2)}`;
    const g = createGFile();
    return { g, root: `memory://${store}/r` };
  };

  it('object stores: a NUL or an over-long key matches nothing, with no request; a NUL in a glob component cuts the pattern', async () => {
    const { g, root } = memory();
    for (const k of ['ckpt-1.index', 'ckpt-1.data-00000-of-00001', 'sub/x']) await g.writeText(`${root}/${k}`, 'x');
    const before = g.metrics.snapshot().requests;
    expect(await getMatchingPaths(g, `${root}/ckpt-1\0.index`)).toEqual([]);
    expect(await getMatchingPaths(g, `${root}/${'k'.repeat(2000)}.index`)).toEqual([]);
    expect(await getMatchingPaths(g, `${root}/su\0b/*`)).toEqual([]);
    const after = g.metrics.snapshot().requests;
    expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(Object.values(before).reduce((a, b) => a + b, 0));
    // fnmatch reads `ckpt-?\0zz.index` as `ckpt-?`: it matches a name of that shape, and nothing deeper.
    expect(await getMatchingPaths(g, `${root}/ckpt-?.index\0zz`)).toEqual([`${root}/ckpt-1.index`]);
    expect(await getMatchingPaths(g, `${root}/s*\0/x`)).toEqual([]);
    expect(await getMatchingPaths(g, `${root}/*/\0x`)).toEqual([]);
  });

});
