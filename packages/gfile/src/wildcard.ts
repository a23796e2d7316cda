/**
 * Glob matching in linear-bounded time. The regular expressions picomatch compiles backtrack
 * exponentially on patterns such as `*a*a*a*a*a*a*a*a*a*ab` against a long name (the fuzz
 * properties found one that ran for minutes on a 200-character name), and a pattern may come from
 * a script or a state file. This matcher never backtracks more than one step per character: a
 * pattern of m tokens against a name of n characters costs at most O(n·m) comparisons.
 *
 * Syntax (what ckptkit documents for globs): `*` any run of characters but `/`; `?` one character
 * but `/`; `[...]` one character from a set (`!` or `^` negates, `a-z` ranges, `[:alpha:]` POSIX
 * classes, `\` escapes, a `]` first is literal, an unclosed `[` is literal); `\x` the character x;
 * in key patterns a `**` segment matches any number of whole segments, none included. Everything
 * else is literal: no braces, no extglobs, no negation, no regex groups (`model(1).ckpt` is a name).
 * Leading dots are ordinary characters.
 */

// A literal character is a `char` token (no closure per character: patterns from state files can
// be megabytes long); everything else that consumes one character is a `test`.
type Token = { kind: 'star' } | { kind: 'char'; c: string } | { kind: 'test'; test: (c: string) => boolean };

/** POSIX bracket classes (`[[:alpha:]]`), ASCII as in the C locale, plus `word`. */
const CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /^[A-Za-z0-9]$/.test(c),
  alpha: (c) => /^[A-Za-z]$/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.length === 1 && (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127),
  digit: (c) => /^[0-9]$/.test(c),
  graph: (c) => c.length === 1 && c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => /^[a-z]$/.test(c),
  print: (c) => c.length === 1 && c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /^[!-/:-@[-`{-~]$/.test(c),
  space: (c) => /^[ \t\n\r\f\v]$/.test(c),
  upper: (c) => /^[A-Z]$/.test(c),
  word: (c) => /^[A-Za-z0-9_]$/.test(c),
  xdigit: (c) => /^[0-9A-Fa-f]$/.test(c),
};

function pick(names: string[]): Record<string, (c: string) => boolean> {
  return Object.fromEntries(names.map((n) => [n, CLASSES[n]!]));
}

/**
 * The two spellings ckptkit matches: its own globs, and glibc's `fnmatch` for patterns TensorFlow
 * wrote into state files. They differ only in the classes they know (an unknown class is read as
 * literal characters) and in a trailing lone backslash.
 */
interface Dialect {
  classes: Record<string, (c: string) => boolean>;
  /** A pattern ending in a lone `\`: the character `\` (globs) or nothing at all (glibc). */
  trailingBackslash: 'literal' | 'matches-nothing';
}

const GLOB: Dialect = { classes: pick(['alnum', 'alpha', 'blank', 'digit', 'lower', 'punct', 'space', 'upper', 'word', 'xdigit']), trailingBackslash: 'literal' };
const FNMATCH: Dialect = {
  classes: pick(['alnum', 'alpha', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'xdigit']),
  trailingBackslash: 'matches-nothing',
};

/** The longest class name a dialect knows (`xdigit`), so a `[:` is looked at only that far. */
const MAX_CLASS_NAME = 6;

/**
 * Parses `[...]` at `p[i] === '['`: the set and the index after `]`, or undefined when unclosed.
 *
 * Linear over a whole pattern: past its first member, a set's scan depends on the position alone,
 * so a position from which one scan ran off the end unclosed (`unclosed[j]`) ends every later scan
 * that reaches it. Without that, `[[[[…` rescanned the rest of the pattern from every `[`, O(n²),
 * and an unclosed `[:` looked for its `:` to the end each time, O(n³): seconds for a
 * 40,000-character pattern in a state file.
 */
function parseSet(p: readonly string[], i: number, classes: Dialect['classes'], unclosed: Uint8Array, lastClose: number): { test: (c: string) => boolean; end: number } | undefined {
  // No `]` after the first member: unclosed, without a scan.
  if (lastClose < i + 2) return undefined;
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  const tests: Array<(c: string) => boolean> = [];
  const members = new Set<string>();
  const visited: number[] = [];
  let first = true;
  while (j < p.length) {
    if (!first) {
      if (unclosed[j] === 1) break;
      visited.push(j);
    }
    let c = p[j]!;
    if (c === ']' && !first) {
      return { test: (x) => x !== '/' && (members.has(x) || tests.some((t) => t(x))) !== negate, end: j + 1 };
    }
    first = false;
    if (c === '[' && p[j + 1] === ':') {
      let close = -1;
      for (let k = j + 2; k < p.length && k <= j + 2 + MAX_CLASS_NAME; k++) {
        if (p[k] === ':') {
          close = k;
          break;
        }
      }
      const cls = close > 0 && p[close + 1] === ']' ? classes[p.slice(j + 2, close).join('')] : undefined;
      if (cls) {
        tests.push(cls);
        j = close + 2;
        continue;
      }
    }
    if (c === '\\' && j + 1 < p.length) c = p[++j]!;
    j++;
    if (p[j] === '-' && j + 1 < p.length && p[j + 1] !== ']') {
      let hi = p[j + 1]!;
      j += 2;
      if (hi === '\\' && j < p.length) hi = p[j++]!;
      const lo = c.codePointAt(0)!;
      const top = hi.codePointAt(0)!;
      tests.push((x) => {
        const v = x.codePointAt(0)!;
        return v >= lo && v <= top;
      });
      continue;
    }
    members.add(c);
  }
  for (const v of visited) unclosed[v] = 1;
  return undefined;
}

const notSlash = (x: string) => x !== '/';
const nothing = () => false;

/**
 * The tokens of one segment pattern (no `/` inside): stars, and tokens of one character each.
 * Consecutive stars are one. Stops early, with undefined, once the pattern needs more than
 * `longestName` characters (nothing it is matched against can then match).
 */
function tokenize(segment: string, dialect: Dialect, longestName = Infinity): Token[] | undefined {
  const p = Array.from(segment);
  const out: Token[] = [];
  let unclosed: Uint8Array | undefined;
  let lastClose: number | undefined;
  let needs = 0;
  for (let i = 0; i < p.length; ) {
    if (needs > longestName) return undefined;
    const c = p[i]!;
    if (c !== '*') needs++;
    if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push({ kind: 'star' });
      i++;
    } else if (c === '?') {
      out.push({ kind: 'test', test: notSlash });
      i++;
    } else if (c === '[') {
      if (!unclosed) {
        lastClose = p.lastIndexOf(']');
        unclosed = new Uint8Array(p.length + 1);
        // Past the last `]` no set closes: those positions are known unclosed from the start.
        unclosed.fill(1, lastClose + 1);
      }
      const set = parseSet(p, i, dialect.classes, unclosed, lastClose!);
      out.push(set ? { kind: 'test', test: set.test } : { kind: 'char', c: '[' });
      i = set ? set.end : i + 1;
    } else if (c === '\\' && i + 1 < p.length) {
      out.push({ kind: 'char', c: p[i + 1]! });
      i += 2;
    } else if (c === '\\' && dialect.trailingBackslash === 'matches-nothing') {
      out.push({ kind: 'test', test: nothing });
      i++;
    } else {
      out.push({ kind: 'char', c });
      i++;
    }
  }
  return needs > longestName ? undefined : out;
}

/**
 * Wildcard matching with one backtrack point (the last star): when a later token fails, the star
 * absorbs one more character and matching resumes after it. Equivalent to full backtracking for
 * patterns whose tokens each consume exactly one character, in O(n·m) at worst.
 */
function matchTokens(tokens: readonly Token[], s: readonly string[]): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const t = tokens[p];
    if (t !== undefined && (t.kind === 'char' ? t.c === s[i] : t.kind === 'test' && t.test(s[i]!))) {
      p++;
      i++;
    } else if (t?.kind === 'star') {
      starP = p++;
      starI = i;
    } else if (starP >= 0 && s[starI] !== '/') {
      // The star takes one more character (never a `/`) and the rest is tried again after it.
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

/** A matcher for one path segment. */
export function compileSegment(segment: string): (name: string) => boolean {
  const tokens = tokenize(segment, GLOB)!;
  const hasStar = tokens.some((t) => t.kind === 'star');
  return (name) => {
    // A lone `*` names something: any name but the empty one (`a/*` is not `a/`). And no `*`
    // pattern matches the special names `.` and `..` (keys may hold them on object stores).
    if (hasStar && (name === '' || name === '.' || name === '..') && (tokens.length === 1 || name !== '')) return false;
    return matchTokens(tokens, Array.from(name));
  };
}

/**
 * POSIX `fnmatch(pattern, name, FNM_PATHNAME)` as glibc implements it, compiled once for many
 * names: `*` and `?` never match `/`, `[...]` sets (`!`/`^`, ranges, the twelve POSIX classes),
 * `\` escapes the next character and a trailing `\` matches nothing. Leading dots are ordinary
 * characters (no FNM_PERIOD). The same O(n·m) matcher as globs: patterns from state files are data.
 * `longestName` only saves work: a longer name is still matched right.
 */
export function compileFnmatch(pattern: string, options: { longestName?: number | undefined } = {}): (name: string) => boolean {
  // `longestName`: the longest name (in characters) it will see; a pattern needing more matches
  // nothing, and is not compiled past that point.
  const longest = options.longestName ?? Infinity;
  const tokens = tokenize(pattern, FNMATCH, longest);
  let full: Token[] | undefined;
  return (name) => {
    const chars = Array.from(name);
    if (chars.length <= longest) return tokens !== undefined && matchTokens(tokens, chars);
    // Longer than announced: compiled in full after all, so the answer is still right.
    full ??= tokenize(pattern, FNMATCH)!;
    return matchTokens(full, chars);
  };
}

/** A matcher for a whole `/`-separated key pattern; a `**` segment spans any number of segments. */
export function compileKeyPattern(pattern: string): (key: string) => boolean {
  const segments = pattern.split('/').map((s) => (s === '**' ? undefined : compileSegment(s)));
  return (key) => {
    const parts = key.split('/');
    // The same one-backtrack-point walk, over segments, with `**` as the star.
    let p = 0;
    let i = 0;
    let starP = -1;
    let starI = 0;
    while (i < parts.length) {
      const m = segments[p];
      if (p < segments.length && m !== undefined && m(parts[i]!)) {
        p++;
        i++;
      } else if (p < segments.length && m === undefined) {
        starP = p++;
        starI = i;
      } else if (starP >= 0) {
        p = starP + 1;
        i = ++starI;
      } else {
        return false;
      }
    }
    while (p < segments.length && segments[p] === undefined) p++;
    return p === segments.length;
  };
}
