/**
 * Runs the built `ckpt` where a terminal or a pipe matters. {@link runOnPty}: on a real
 * pseudo-terminal, through util-linux `script` (no native module): stdin, stdout and stderr of
 * `ckpt` are the pty, whatever it writes (escape sequences included) is captured byte for byte, and
 * keys typed into it go through the terminal's line discipline, so Ctrl-C (`\x03`) reaches the
 * foreground process group as SIGINT, as at a real terminal. {@link runWithClosedStdout}: with a
 * stdout whose reader is gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { CKPT_BIN, REPO } from './cli.js';

/** True when `script` is there (util-linux); suites that need it fail under CI=true without it. */
export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface PtyRun {
  /** Exit code of `ckpt` (`script -e` passes it on), or 128 + n when a signal ended it. */
  code: number;
  /** Everything written to the terminal, as bytes read as latin1 (escape sequences intact). */
  out: string;
  /** The pid of the `ckpt` process (its node), from the line the wrapper prints first. */
  pid: number;
}

export interface PtyOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Called with the output so far each time more arrives, and with the ckpt pid: act on the
   * process (type a key with `type`, signal it) once the output shows what the test waits for.
   */
  onOutput?: (out: string, ctl: { type: (keys: string) => void; pid: number }) => void;
}

/** Runs `ckpt ARGS` on a pty; resolves when it has exited. */
export function runOnPty(args: string[], options: PtyOptions = {}): Promise<PtyRun> {
  const quoted = [process.execPath, CKPT_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  // `exec`: the pid printed is the pid of ckpt itself; the shell's `$?` is passed on by `script -e`.
  const inner = `echo "PTY-PID $$"; exec ${quoted}`;
  // A terminal as a user's: colour settings of the test runner's environment left out.
  // (Node's colour check also says no colour whenever CI is set.)
  const { NO_COLOR: _n, FORCE_COLOR: _f, NODE_DISABLE_COLORS: _d, CI: _ci, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', inner, '/dev/null'], {
      cwd: options.cwd ?? REPO,
      env: { ...inherited, TERM: 'xterm-256color', ...options.env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    let pid = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    const ctl = { type: (keys: string) => child.stdin.write(keys), pid: 0 };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (pid === 0) {
        const m = /PTY-PID (\d+)/.exec(out);
        if (!m) return;
        pid = Number(m[1]);
        ctl.pid = pid;
        out = out.slice(out.indexOf('\n', m.index) + 1);
      }
      options.onOutput?.(out, ctl);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, pid });
    });
  });
}

/** Runs ckpt with its stdout a pipe whose reader is already gone. */
export function runWithClosedStdout(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CKPT_BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // The read end closes before ckpt (which takes tens of milliseconds to start) writes a byte.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

