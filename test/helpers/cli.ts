/** Runs the built `ckpt` binary the way a user's shell would, and captures what it prints. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CKPT_BIN = path.join(REPO, 'cli', 'bin', 'ckpt.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The `--stats` line from stderr, parsed, when there is one. */
  stats?: { requests: Record<string, number>; bytesRead: number; bytesWritten: number; ms: number };
}

export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra node flags before the script, e.g. `--import` hooks. */
  nodeArgs?: string[];
  timeoutMs?: number;
  /** A command that runs node, e.g. `setpriv ... --` (see mounts.ts withoutPermissionBypass). */
  wrapper?: string[];
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const argv = [process.execPath, ...(options.nodeArgs ?? []), CKPT_BIN, ...args];
    const [program, ...rest] = [...(options.wrapper ?? []), ...argv] as [string, ...string[]];
    const child = spawn(program, rest, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const result: CliResult = { code: code ?? -1, stdout, stderr };
      const statsLine = stderr.split('\n').find((l) => l.startsWith('{"stats"'));
      if (statsLine) result.stats = (JSON.parse(statsLine) as { stats: NonNullable<CliResult['stats']> }).stats;
      resolve(result);
    });
  });
}
