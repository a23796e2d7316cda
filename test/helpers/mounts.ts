/**
 * Real storage conditions on a local disk for tests: a full file system (a small tmpfs), a
 * read-only one (a tmpfs mounted `ro`), and a process without root's permission bypass (to get
 * EACCES as root). Mounting needs root (or CAP_SYS_ADMIN); where it is impossible the suites say so
 * in their names and skip, as `mountSuite` does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';

/** A mounted tmpfs; `unmount()` removes it and its mount point. */
export interface TmpMount {
  dir: string;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeKiB` at a new directory. `readOnly`: mounted read-only (after `fill` put
 * its content there). Throws when mounting is impossible (not root, no CAP_SYS_ADMIN).
 */
export function mountTmpfs(sizeKiB: number, options: { readOnly?: boolean; fill?: (dir: string) => void } = {}): TmpMount {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmdirSync(dir);
    throw error;
  }
  const unmount = () => {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    options.fill?.(dir);
    if (options.readOnly) execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
  } catch (error) {
    unmount();
    throw error;
  }
  return { dir, unmount };
}

/** Why mounting is impossible here, or undefined when a tmpfs can be mounted. Probed once. */
export const mountUnavailable: string | undefined = (() => {
  try {
    mountTmpfs(64).unmount();
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${String((error as Error).message).split('\n')[0]}`;
  }
})();

/** `describe` for tests needing mounts: skipped, with the reason in its name, where mounting is impossible. */
export function mountSuite(name: string, body: () => void): void {
  if (mountUnavailable === undefined) describe(name, body);
  else describe.skip(`${name} [skipped: ${mountUnavailable}]`, body);
}

/**
 * The command prefix that runs a program as root without root's file permission bypass
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that a mode-000 file is unreadable; undefined when
 * not root (then plain chmod already denies) or without setpriv.
 */
export function withoutPermissionBypass(): string[] | undefined {
  if (process.getuid?.() !== 0) return [];
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  const caps = '-dac_override,-dac_read_search';
  return ['setpriv', `--inh-caps=${caps}`, `--bounding-set=${caps}`, '--'];
}
