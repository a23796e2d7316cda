import { describe, expect, it } from 'vitest';
import { inspectTotals, keyFilter } from './commands/inspect.js';
import { UsageError } from './exit-codes.js';
import { lsShortFlags } from './main.js';
import { alignColumns, colorEnabled, displayWidth, humanBytes, painter } from './output.js';

describe('humanBytes', () => {
  it('binary units, one decimal below 10, or a fixed number of decimals', () => {
    expect([0, 512, 1536, 10 * 1024, 200 * 1024 * 1024, 5 * 2 ** 40].map((n) => humanBytes(n))).toEqual(['0 B', '512 B', '1.5 KiB', '10 KiB', '200 MiB', '5.0 TiB']);
    expect(humanBytes(12 * 1024 * 1024, 1)).toBe('12.0 MiB');
    expect(humanBytes(200 * 1024 * 1024, 1)).toBe('200.0 MiB');
  });
});

describe('alignColumns', () => {
  it('makes every column as wide as its widest cell, right-aligns where asked, leaves the last unpadded', () => {
    const lines = alignColumns(
      [
        ['STEP', 'FORMAT', 'PREFIX'],
        ['5', 'a-format-name-longer-than-any-before', 'x/ckpt-5'],
        ['12345', 'tf', 'x/ckpt-12345'],
      ],
      ['right', 'left', 'left'],
    );
    expect(lines).toEqual([
      ' STEP  FORMAT                                PREFIX',
      '    5  a-format-name-longer-than-any-before  x/ckpt-5',
      '12345  tf                                    x/ckpt-12345',
    ]);
    const starts = lines.map((l, i) => (i === 0 ? l.indexOf('PREFIX') : l.indexOf('x/')));
    expect(new Set(starts).size).toBe(1);
  });

  it('counts wide characters as two columns; styles add no width', () => {
    expect(displayWidth('日本')).toBe(4);
    const lines = alignColumns(
      [
        ['日本', 'b'],
        ['abcd', 'c'],
      ],
      [],
      (_c, _r, cell) => painter(true)('red', cell),
    );
    // eslint-disable-next-line no-control-regex -- the escape sequences are what is measured away
    const visible = lines.map((l) => l.replace(/\u001b\[\d+m/g, ''));
    expect(visible).toEqual(['日本  b', 'abcd  c']);
  });
});

describe('colour', () => {
  const tty = { isTTY: true, hasColors: () => true };
  it('only on a terminal with colours, never with NO_COLOR set', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false, hasColors: () => true }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true, hasColors: () => false }, {})).toBe(false);
    expect(painter(false)('red', 'x')).toBe('x');
    expect(painter(true)('red', 'x')).toBe('\u001b[31mx\u001b[39m');
  });
});

describe('ls -h', () => {
  it('means human-readable after ls (alone or grouped), help elsewhere', () => {
    expect(lsShortFlags(['ls', '-l', '-h', 'd'])).toEqual(['ls', '-l', '--human-readable', 'd']);
    expect(lsShortFlags(['ls', '-lh', 'd'])).toEqual(['ls', '-l', '--human-readable', 'd']);
    expect(lsShortFlags(['ls', '-hlR', 'd'])).toEqual(['ls', '-lR', '--human-readable', 'd']);
    expect(lsShortFlags(['ls', '--help'])).toEqual(['ls', '--help']);
    expect(lsShortFlags(['ls', 'd', '--', '-h'])).toEqual(['ls', 'd', '--', '-h']);
    expect(lsShortFlags(['find', '-h'])).toEqual(['find', '-h']);
  });
});

describe('inspect --filter and totals', () => {
  it('globs in the language of ckpt glob; /regex/ searched in the key; a bad regex is a usage error', async () => {
    const keys = ['encoder/layer_0/kernel', 'encoder/layer_0/bias', 'decoder/kernel', 'global_step'];
    expect(keys.filter(await keyFilter('encoder/**'))).toEqual(['encoder/layer_0/kernel', 'encoder/layer_0/bias']);
    expect(keys.filter(await keyFilter('**/kernel'))).toEqual(['encoder/layer_0/kernel', 'decoder/kernel']);
    expect(keys.filter(await keyFilter('*/kernel'))).toEqual(['decoder/kernel']);
    expect(keys.filter(await keyFilter('/kern/'))).toEqual(['encoder/layer_0/kernel', 'decoder/kernel']);
    expect(keys.filter(await keyFilter('/STEP$/i'))).toEqual(['global_step']);
    await expect(keyFilter('/(/')).rejects.toBeInstanceOf(UsageError);
  });

  it('totals: tensors, elements of known shapes (a scalar is one), bytes of every slice', () => {
    expect(
      inspectTotals([
        { key: 'a', dtype: 'DT_FLOAT', shape: [3, 4], size: 48 },
        { key: 's', dtype: 'DT_INT64', shape: [], size: 8 },
        { key: 'u', dtype: 'DT_FLOAT', shape: [], unknownRank: true, size: 4 },
        { key: 'p', dtype: 'DT_FLOAT', shape: [10, 2], slices: [{ spec: '0,5:-', size: 40 }, { spec: '5,5:-', size: 40 }] },
      ]),
    ).toEqual({ tensors: 4, parameters: 12 + 1 + 20, unknownShapes: 1, bytes: 48 + 8 + 4 + 80 });
  });
});
