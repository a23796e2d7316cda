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

/**
 * What Node, or a library through it, prints on its own: `(node:PID) ...` lines, any `...Warning`
 * (DeprecationWarning, ExperimentalWarning, the AWS SDK's NodeVersionSupportWarning) and `DEP0...`
 * codes. ckpt never prints these words itself, so none may appear on a CLI run's stderr (decision 0014).
 */
export const RUNTIME_WARNING = /^\(node:\d+\)|Warning\b|\bDEP0\d{3}\b/m;

/** Throws when `stderr` holds a runtime warning (see {@link RUNTIME_WARNING}), naming the command. */
export function assertNoRuntimeWarning(stderr: string, what: string): void {
  const line = stderr.split('\n').find((l) => RUNTIME_WARNING.test(l));
  if (line !== undefined) throw new Error(`a runtime warning on the stderr of \`${what}\`: ${line}\n--- stderr ---\n${stderr}`);
}

export interface RunCliOptions {
  /** The Node binary to run under (default: the one running the tests). */
  node?: string;
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
    const argv = [options.node ?? process.execPath, ...(options.nodeArgs ?? []), CKPT_BIN, ...args];
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
      // Every CLI run of the suite goes through here: none may print a runtime warning.
      try {
        assertNoRuntimeWarning(stderr, `ckpt ${args.join(' ')}`);
      } catch (error) {
        reject(error as Error);
        return;
      }
      const result: CliResult = { code: code ?? -1, stdout, stderr };
      const statsLine = stderr.split('\n').find((l) => l.startsWith('{"stats"'));
      if (statsLine) result.stats = (JSON.parse(statsLine) as { stats: NonNullable<CliResult['stats']> }).stats;
      resolve(result);
    });
  });
}
