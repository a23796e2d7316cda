import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CkptError, ERROR_CODES } from '@ckptkit/gfile';
import { SECTIONS, exitCodesEpilog, exitCodesMarkdown, renderSections, sectionsIn } from './contract-render.js';
import { COMMAND_NAMES, EXIT, EXIT_CODES, EXIT_FOR_ERROR, UsageError, errorCodesFor, exitCodeFor, exitCodesOf } from './exit-codes.js';
import { parseNumberOption } from './help.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the exit-code table', () => {
  it('places every error code of @ckptkit/gfile, and only documented exit codes', () => {
    for (const code of ERROR_CODES) expect(EXIT_FOR_ERROR[code], code).toBeDefined();
    const documented = new Set(EXIT_CODES.map((d) => d.code));
    for (const exit of Object.values(EXIT_FOR_ERROR)) expect(documented.has(exit)).toBe(true);
    expect(Object.keys(EXIT_FOR_ERROR).sort()).toEqual([...ERROR_CODES, 'USAGE', 'INTERNAL'].sort());
  });

  it('gives the contract of CLI-CONTRACT.md: usage 2, corrupt 3, storage conditions 4, never 1 for an error', () => {
    const exitOf = (code: (typeof ERROR_CODES)[number]) => exitCodeFor(new CkptError(code, { operation: 'x' }));
    expect(exitOf('INVALID_CONFIG')).toBe(2);
    expect(exitOf('CORRUPT')).toBe(3);
    for (const code of ['NOT_FOUND', 'NOT_A_DIRECTORY', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'NO_SPACE', 'READ_ONLY', 'QUOTA_EXCEEDED', 'UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED'] as const) {
      expect(exitOf(code), code).toBe(4);
    }
    expect(exitCodeFor(new UsageError('bad flag'))).toBe(2);
    expect(exitCodeFor(new TypeError('a bug'))).toBe(4);
    expect(exitCodeFor('thrown string')).toBe(4);
    for (const exit of Object.values(EXIT_FOR_ERROR)) expect(exit).not.toBe(EXIT.NOTHING_FOUND);
    expect(errorCodesFor(EXIT.USAGE)).toEqual(['USAGE', 'INVALID_CONFIG']);
  });

  it('lists the exit codes each command can end with; nothing found only for latest, find, glob, watch', () => {
    const withOne = COMMAND_NAMES.filter((c) => exitCodesOf(c).some((d) => d.code === EXIT.NOTHING_FOUND));
    expect(withOne).toEqual(['glob', 'latest', 'find', 'watch']);
    for (const c of COMMAND_NAMES) {
      const codes = exitCodesOf(c).map((d) => d.code);
      expect(codes.slice(0, 1)).toEqual([0]);
      expect(codes).toContain(2);
    }
    expect(exitCodesOf('stat').map((d) => d.code)).toEqual([0, 2, 4, 130, 141, 143]);
  });
});

describe('rendering', () => {
  it("puts a command's exit codes, and its own meaning of each, into its --help epilog", () => {
    for (const c of COMMAND_NAMES) {
      const epilog = exitCodesEpilog(c);
      const listed = [...epilog.matchAll(/^ {2}(\d+)\s/gm)].map((m) => Number(m[1]));
      expect(listed, c).toEqual(exitCodesOf(c).map((d) => d.code).filter((n) => n < 128));
      expect(epilog).toContain('{"error":{"code"');
    }
    expect(exitCodesEpilog('latest')).toMatch(/^ {2}1 +no complete checkpoint: the directory is empty or missing/m);
    expect(exitCodesEpilog('ls')).not.toMatch(/^ {2}1 /m);
  });

  it('renders one Markdown row per exit code, with the error codes behind it', () => {
    const rows = exitCodesMarkdown().split('\n').slice(2);
    expect(rows.map((r) => Number(r.split('|')[1]))).toEqual(EXIT_CODES.map((d) => d.code));
    expect(rows.find((r) => r.startsWith('| 4 |'))).toContain('`NO_SPACE`, `READ_ONLY`, `QUOTA_EXCEEDED`');
  });

  it('replaces only what lies between the markers, and refuses a section left open', () => {
    const text = 'before\n<!-- generated:exit-codes (node cli/scripts/render-contract.mjs) -->\nstale\n<!-- /generated:exit-codes -->\nafter\n';
    const out = renderSections(text);
    expect(out).toBe(`before\n<!-- generated:exit-codes (node cli/scripts/render-contract.mjs) -->\n${exitCodesMarkdown()}\n<!-- /generated:exit-codes -->\nafter\n`);
    expect(renderSections(out)).toBe(out);
    expect(() => renderSections('<!-- generated:exit-codes (node cli/scripts/render-contract.mjs) -->\nx')).toThrow(/without/);
  });

  for (const [file, expected] of [
    ['README.md', ['exit-summary']],
    ['docs/cli.md', ['exit-codes', 'command-exit-codes']],
  ] as const) {
    it(`${file} holds the contract as the code renders it (node cli/scripts/render-contract.mjs)`, () => {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      expect(sectionsIn(text)).toEqual(expected);
      expect(renderSections(text), `${file} is stale: run \`npx tsc -b && node cli/scripts/render-contract.mjs\``).toBe(text);
    });
  }

  it('has a renderer for every section name', () => {
    for (const render of Object.values(SECTIONS)) expect(render()).toMatch(/^\| /);
  });
});

describe('parseNumberOption', () => {
  it('quotes what was typed', () => {
    expect(() => parseNumberOption('concurrency', 'positive-integer', 'abc')).toThrow("--concurrency must be a positive integer, got 'abc'");
    expect(() => parseNumberOption('concurrency', 'positive-integer', 0)).toThrow("got '0'");
    expect(() => parseNumberOption('parallel', 'positive-integer', 1.5)).toThrow("--parallel must be a positive integer, got '1.5'");
    expect(() => parseNumberOption('max-depth', 'non-negative-integer', -1)).toThrow("--max-depth must be a non-negative integer, got '-1'");
    expect(() => parseNumberOption('timeout', 'seconds', 'soon')).toThrow("--timeout must be a non-negative number of seconds, got 'soon'");
    expect(() => parseNumberOption('timeout', 'seconds', '')).toThrow("got ''");
    expect(() => parseNumberOption('concurrency', 'positive-integer', [1, 2])).toThrow(/given 2 times/);
    expect(() => parseNumberOption('concurrency', 'positive-integer', Number.NaN)).toThrow(UsageError);
  });
  it('reads numbers', () => {
    expect(parseNumberOption('concurrency', 'positive-integer', 16)).toBe(16);
    expect(parseNumberOption('concurrency', 'positive-integer', '8')).toBe(8);
    expect(parseNumberOption('max-depth', 'non-negative-integer', 0)).toBe(0);
    expect(parseNumberOption('interval', 'seconds', 0.25)).toBe(0.25);
  });
});
