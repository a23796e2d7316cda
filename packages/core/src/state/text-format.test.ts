import { describe, expect, it } from 'vitest';
import { TextFormatError, Tokenizer, cEscape, cUnescape, parsePythonTextFloat, pythonFloatRepr } from './text-format.js';

// Expected values were produced by running protobuf's text_encoding.CUnescape and
// text_format.ParseFloat (python/google/protobuf, current main) under CPython 3.
describe('cUnescape (protobuf text_encoding.CUnescape)', () => {
  const bytes: Array<[string, number[]]> = [
    ['abc', [97, 98, 99]],
    ['a\\nb', [97, 10, 98]],
    ['\\x41', [65]],
    ['\\x4', [4]],
    ['\\x414', [65, 52]],
    ['\\101', [65]],
    ['\\1', [1]],
    ['\\18', [1, 56]],
    ['\\\\x4', [92, 120, 52]],
    ['\\q', [92, 113]],
    ['\\?', [92, 63]],
    ["\\'", [39]],
    ['\\"', [34]],
    ['\\u00e9', [195, 169]],
    ['\\U0001F600', [240, 159, 152, 128]],
    ['é', [195, 169]],
    ['中', [228, 184, 173]],
    ['\\\\u0041', [92, 117, 48, 48, 52, 49]],
    ['\\\\\\u0041', [92, 65]],
    ['\\a\\b\\f\\v\\t\\r', [7, 8, 12, 11, 9, 13]],
    ['\\0', [0]],
    ['trail\\\\', [116, 114, 97, 105, 108, 92]],
    ['\\303\\251', [195, 169]],
    ['\\中', [92, 117, 52, 101, 50, 100]],
  ];
  for (const [input, expected] of bytes) {
    it(`unescapes ${JSON.stringify(input)}`, () => {
      expect([...cUnescape(input)]).toEqual(expected);
    });
  }
  for (const bad of ['\\777', '\\u12', '\\xZZ', '\\ud800', 'end\\']) {
    it(`rejects ${JSON.stringify(bad)} as Python does`, () => {
      expect(() => cUnescape(bad)).toThrow();
    });
  }
  it('rejects \\N{...} (Python resolves Unicode names; no name table here: a documented difference)', () => {
    expect(() => cUnescape('\\N{LATIN SMALL LETTER A}')).toThrow(/not supported/);
  });
  it('round-trips every byte through cEscape', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...cUnescape(cEscape(all))]).toEqual([...all]);
    expect(cEscape(new TextEncoder().encode('a"b\'c\\é\n'))).toBe('a\\"b\\\'c\\\\\\303\\251\\n');
  });
});

describe('parsePythonTextFloat (text_format.ParseFloat)', () => {
  const cases: Array<[string, number | undefined]> = [
    ['1', 1],
    ['1.5', 1.5],
    ['-1.5e3', -1500],
    ['.5', 0.5],
    ['5.', 5],
    ['1_000.5', 1000.5],
    ['1__0', undefined],
    ['_1', undefined],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['inff', Infinity],
    ['+inff', undefined],
    ['1.5f', 1.5],
    ['1ff', 1],
    ['0x10', undefined],
    ['1e400', Infinity],
    ['+1', 1],
    ['e5', undefined],
    ['1e', undefined],
    ['1.5F', 1.5],
    ['INF', Infinity],
    ['-infinityF', -Infinity],
    ['1673735799.685766', 1673735799.685766],
  ];
  for (const [text, value] of cases) {
    it(`reads ${text}`, () => {
      expect(parsePythonTextFloat(text)).toBe(value);
    });
  }
  for (const nan of ['nan', '-nan', 'nanf', 'NaN']) {
    it(`reads ${nan} as NaN`, () => {
      expect(parsePythonTextFloat(nan)).toBeNaN();
    });
  }
});

describe('pythonFloatRepr (repr(float))', () => {
  const cases: Array<[number, string]> = [
    [1, '1.0'],
    [0.5, '0.5'],
    [1673735799.685766, '1673735799.685766'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-7, '1e-07'],
    [-2.5, '-2.5'],
    [1601609353.4315968, '1601609353.4315968'],
    [1e22, '1e+22'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-0, '-0.0'],
    [100, '100.0'],
    [12345.678, '12345.678'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
  ];
  for (const [x, s] of cases) {
    it(`formats ${s}`, () => {
      expect(pythonFloatRepr(x)).toBe(s);
    });
  }
});

describe('Tokenizer', () => {
  const tokens = (text: string) => {
    const t = new Tokenizer(text);
    const out: string[] = [];
    while (!t.atEnd()) {
      out.push(t.token);
      t.tryConsume(t.token);
    }
    return out;
  };
  it('splits identifiers, numbers, strings and single characters; skips comments and Python whitespace', () => {
    expect(tokens('a_b: "x\\"y" # c\n\u00a0 -1.5e3, [ \'q\' ];')).toEqual(['a_b', ':', '"x\\"y"', '-1.5e3', ',', '[', "'q'", ']', ';']);
  });
  it('does not treat a byte-order mark as whitespace (Python str.isspace)', () => {
    expect(tokens('\ufeffmodel_checkpoint_path')[0]).toBe('\ufeff');
  });
  it('keeps an unterminated string to the end of its line', () => {
    expect(tokens('"abc\nx')).toEqual(['"abc', 'x']);
  });
  it('reports line and column in errors', () => {
    const t = new Tokenizer('\n  x');
    const e = t.error('boom');
    expect(e).toBeInstanceOf(TextFormatError);
    expect([e.line, e.column]).toEqual([2, 3]);
  });
});
