import { describe, expect, it } from 'vitest';
import { compileKeyPattern, compileSegment } from './wildcard.js';

describe('wildcard matching', () => {
  it('runs in bounded time where regex backtracking took minutes (found by the fuzz properties)', () => {
    const pattern = `${'*a'.repeat(25)}b`;
    const name = 'a'.repeat(200);
    const t0 = performance.now();
    expect(compileSegment(pattern)(name)).toBe(false);
    expect(compileKeyPattern(`${'**/'.repeat(30)}${pattern}`)(Array(40).fill(name).join('/'))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('* ? [...] and escapes, within one segment', () => {
    const m = (p: string, s: string) => compileSegment(p)(s);
    expect(m('ckpt-*.index', 'ckpt-10.index')).toBe(true);
    expect(m('ckpt-*.index', 'ckpt-10.data')).toBe(false);
    expect(m('*', '.hidden')).toBe(true);
    expect(m('*', '')).toBe(false);
    expect(m('*', '..')).toBe(false);
    expect(m('.*', '.')).toBe(false);
    expect(m('?', '.')).toBe(true);
    expect(m('a*', 'a')).toBe(true);
    expect(m('?', 'é')).toBe(true);
    expect(m('?', '/')).toBe(false);
    expect(m('*', 'a/b')).toBe(false);
    expect(m('[a-c]x', 'bx')).toBe(true);
    expect(m('[!a-c]x', 'bx')).toBe(false);
    expect(m('[^a]', 'b')).toBe(true);
    expect(m('[]a]', ']')).toBe(true);
    expect(m('[[:digit:]]*', '7up')).toBe(true);
    expect(m('[abc', '[abc')).toBe(true);
    expect(m('\\*', '*')).toBe(true);
    expect(m('\\*', 'a')).toBe(false);
    expect(m('a\\', 'a\\')).toBe(true);
  });

  it('parentheses, pipes, braces and plus signs are ordinary characters (checkpoint names use them)', () => {
    expect(compileSegment('model(1)*.ckpt')('model(1)-v2.ckpt')).toBe(true);
    expect(compileSegment('a|b')('a')).toBe(false);
    expect(compileSegment('a|b')('a|b')).toBe(true);
    expect(compileSegment('{a,b}*')('{a,b}x')).toBe(true);
    expect(compileSegment('epoch=3-step=1000+*')('epoch=3-step=1000+x')).toBe(true);
  });

  it('** spans any number of whole segments, none included', () => {
    const k = (p: string, s: string) => compileKeyPattern(p)(s);
    expect(k('**/ckpt-*.index', 'ckpt-1.index')).toBe(true);
    expect(k('**/ckpt-*.index', 'a/b/ckpt-1.index')).toBe(true);
    expect(k('a/**/b', 'a/b')).toBe(true);
    expect(k('a/**/b', 'a/x/y/b')).toBe(true);
    expect(k('a/**/b', 'a/x/y/c')).toBe(false);
    expect(k('*/**', 'ax')).toBe(true);
    expect(k('a/*', 'a/b/c')).toBe(false);
    expect(k('a/*', 'a/')).toBe(false);
  });

  it('differs from glibc fnmatch only where ckptkit chooses to (the fuzz suite checks the rest)', () => {
    // fnmatch matches '' and '.' with '*'; a glob over listings names something.
    expect(compileSegment('*')('')).toBe(false);
    expect(compileSegment('*')('.')).toBe(false);
    expect(compileSegment('a*')('a')).toBe(true);
    expect(compileSegment('*.*')('a.')).toBe(true);
  });
});
