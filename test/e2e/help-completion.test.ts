/**
 * Help and habits through the real binary: every command's --help has 2-4 examples and the exit
 * codes it can end with (as exit-codes.ts says), its own options before the global and storage
 * ones; `ckpt completion` scripts that work in the shell they are for.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, exitCodesOf } from '../../cli/src/exit-codes.js';
import { CKPT_BIN, runCli } from '../helpers/cli.js';

describe('--help of every command', () => {
  for (const command of COMMAND_NAMES) {
    it(`ckpt ${command} --help: examples, exit codes, own options first`, async () => {
      const r = await runCli([command, '--help'], { env: { COLUMNS: '200' } });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const out = r.stdout;
      const examples = out.slice(out.indexOf('Examples:'), out.indexOf('Exit codes:'));
      // Into a pipe help is not wrapped: one line per example.
      const lines = examples.split('\n').slice(1).filter((l) => l.trim() !== '');
      expect(lines.length, examples).toBeGreaterThanOrEqual(2);
      expect(lines.length, examples).toBeLessThanOrEqual(4);
      for (const l of lines) expect(l).toContain(`ckpt ${command} `);
      const exits = [...out.slice(out.indexOf('Exit codes:')).matchAll(/^ {2}(\d+)\s/gm)].map((m) => Number(m[1]));
      expect(exits).toEqual(exitCodesOf(command).map((d) => d.code).filter((c) => c < 128));
      expect(out).toMatch(/--json .*"error"/s);
      // Positionals, the command's own options, then the global ones, the storage ones last.
      const at = (heading: string) => out.indexOf(`\n${heading}\n`);
      expect(at('Global options:')).toBeGreaterThan(0);
      expect(at('Storage options:')).toBeGreaterThan(at('Global options:'));
      if (at('Options:') >= 0) expect(at('Options:')).toBeLessThan(at('Global options:'));
      if (at('Positionals:') >= 0) expect(at('Positionals:')).toBeLessThan(at('Global options:'));
      expect(out.indexOf('Examples:')).toBeGreaterThan(at('Storage options:'));
      expect(out).not.toContain('[default: []]');
    });
  }

  it('stat --help shows its URIs without [default: []]', async () => {
    const r = await runCli(['stat', '--help']);
    const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith('uris'))!;
    expect(line).toContain('One or more file or directory URIs');
    expect(line).not.toMatch(/default/);
  });

  it('ckpt --help names every command, completion included', async () => {
    const r = await runCli(['--help']);
    for (const c of COMMAND_NAMES) expect(r.stdout).toMatch(new RegExp(`^ {2}ckpt ${c}\\b`, 'm'));
  });
});

describe('ckpt completion', () => {
  let bin = '';
  beforeAll(() => {
    // `ckpt` on PATH, as an installed one: the scripts call it by name.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-completion-'));
    fs.writeFileSync(path.join(bin, 'ckpt'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CKPT_BIN)} "$@"\n`, { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

  /** Runs `body` in bash with the bash script sourced; returns its stdout. */
  function bash(body: string): string {
    const script = spawnSync(process.execPath, [CKPT_BIN, 'completion', 'bash'], { encoding: 'utf8' });
    expect(script.status).toBe(0);
    const file = path.join(bin, 'ckpt.bash');
    fs.writeFileSync(file, script.stdout);
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(file)}\n${body}`], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  }

  const complete = (...words: string[]) =>
    bash(`COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _ckpt_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`)
      .split('\n')
      .filter(Boolean);

  it('bash: the script registers a completion function for ckpt', () => {
    expect(bash('complete -p ckpt')).toMatch(/^complete .*-F _ckpt_yargs_completions ckpt$/m);
  });

  it('bash: completes commands and each command\'s options', () => {
    expect(complete('ckpt', 'l').sort()).toEqual(['latest', 'ls']);
    expect(complete('ckpt', 'co')).toEqual(['completion']);
    expect(complete('ckpt', 'cp', '--up')).toEqual(['--update-state']);
    expect(complete('ckpt', 'find', '--max')).toEqual(['--max-depth']);
    // compgen over the candidates ckpt gives, as the script does.
    expect(bash("compgen -W \"$(ckpt --get-yargs-completions ckpt wa)\" -- wa")).toBe('watch\n');
  });

  const installed = (['zsh', 'fish'] as const).filter((shell) => spawnSync(shell, ['--version'], { stdio: 'ignore' }).status === 0);
  it(`zsh and fish: their own scripts, calling ckpt for the candidates (syntax checked by: ${installed.join(', ') || 'none, neither shell is installed'})`, async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef ckpt/);
    expect(zsh.stdout).toContain('ckpt --get-yargs-completions');
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toMatch(/complete -f -c ckpt -a '\(ckpt --get-yargs-completions/);
    for (const [shell, text] of [['zsh', zsh.stdout], ['fish', fish.stdout]] as const) {
      if (!installed.includes(shell)) continue;
      const file = path.join(bin, `ckpt.${shell}`);
      fs.writeFileSync(file, text);
      expect(spawnSync(shell, ['-n', file]).status).toBe(0);
    }
    // Without an argument: the shell of $SHELL.
    expect((await runCli(['completion'], { env: { SHELL: '/usr/bin/fish' } })).stdout).toBe(fish.stdout);
    const none = await runCli(['completion', '--json'], { env: { SHELL: '/bin/sh' } });
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stderr).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/name the shell/) });
  });
});
