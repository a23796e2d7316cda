import { describe, expect, it } from 'vitest';
import { keyMatcher, literalPrefix, planGlob, segmentMatcher } from './glob.js';

describe('planGlob', () => {
  it('starts at the longest literal directory', () => {
    expect(planGlob('runs/42/ckpt-*.index')).toEqual({ root: 'runs/42', steps: [{ kind: 'level', segment: 'ckpt-*.index', last: true }] });
  });
  it('lists one level per wildcard segment and descends literal ones for free', () => {
    expect(planGlob('runs/*/train/ckpt-?.index')).toEqual({
      root: 'runs',
      steps: [
        { kind: 'level', segment: '*', last: false },
        { kind: 'descend', segment: 'train' },
        { kind: 'level', segment: 'ckpt-?.index', last: true },
      ],
    });
  });
  it('switches to one flat listing at **', () => {
    expect(planGlob('a/*/b/**/c*.index')).toEqual({
      root: 'a',
      steps: [
        { kind: 'level', segment: '*', last: false },
        { kind: 'descend', segment: 'b' },
        { kind: 'flat', pattern: '**/c*.index' },
      ],
    });
  });
  it('plans a literal path as one listing of its parent', () => {
    expect(planGlob('a/b/c')).toEqual({ root: 'a/b', steps: [{ kind: 'level', segment: 'c', last: true }] });
  });
});

describe('matchers', () => {
  it('never lets * or ? cross a slash', () => {
    expect(keyMatcher('a/*')('a/b/c')).toBe(false);
    expect(keyMatcher('a/?')('a//')).toBe(false);
    expect(keyMatcher('a/**')('a/b/c')).toBe(true);
    expect(keyMatcher('a/**/c')('a/c')).toBe(true);
  });
  it('treats names with glob-looking punctuation literally', () => {
    expect(segmentMatcher('epoch=*-step=1000.ckpt')('epoch=3-step=1000.ckpt')).toBe(true);
    expect(segmentMatcher('a b+c@d:e')('a b+c@d:e')).toBe(true);
    expect(segmentMatcher('!x*')('!xy')).toBe(true);
    expect(segmentMatcher('{a,b}*')('a1')).toBe(false);
    expect(segmentMatcher('*.index')('.hidden.index')).toBe(true);
  });
  it('supports character classes', () => {
    const m = segmentMatcher('ckpt-[0-9][!a]');
    expect(m('ckpt-12')).toBe(true);
    expect(m('ckpt-1a')).toBe(false);
  });
  it('finds the literal prefix of a segment', () => {
    expect(literalPrefix('ckpt-*.index')).toBe('ckpt-');
    expect(literalPrefix('[ab]x')).toBe('');
    expect(literalPrefix('plain')).toBe('plain');
  });
});

describe('hostile patterns (found by the fuzz properties)', () => {
  it('an empty pattern matches the empty key only, instead of a TypeError from picomatch', () => {
    expect(keyMatcher('')('')).toBe(true);
    expect(keyMatcher('')('a')).toBe(false);
  });
});
