/**
 * Progress displays on stderr (cli-progress, loaded only when one is shown: never on the start-up
 * path of a command without one). Shown only when stderr is a terminal, and never with `--json` or
 * `--quiet` (the caller decides with {@link showProgress}). A display hides the cursor and turns line
 * wrap off while it runs; both come back when it stops, and when the process is interrupted
 * (process-guard.ts restores the terminal before anything else).
 */
import type { CopyProgress } from '@ckptkit/core/copy';
import type { GlobalArgs } from './global-args.js';
import { humanBytes } from './output.js';
import { processGuard } from './process-guard.js';

/** What puts a terminal back after a progress display: line cleared, wrap on, cursor shown. */
export const RESTORE_TERMINAL = '\r\u001b[2K\u001b[?7h\u001b[?25h';

/** Whether a command shows progress: stderr a terminal, neither `--json` nor `--quiet`. */
export function showProgress(argv: Pick<GlobalArgs, 'json' | 'quiet'>, stderrIsTTY: boolean): boolean {
  return stderrIsTTY && !argv.quiet && !argv.json;
}

interface Display<T> {
  update: (p: T) => void;
  stop: () => void;
}

/**
 * A bar on stderr, drawn from its first `show` (so that it never shows a total it does not know yet)
 * until `stop`, or until the process is interrupted: then only the escape sequences that restore
 * the terminal are written (the bar's own stop would draw once more).
 */
async function display(format: string): Promise<{ show: (value: number, total: number, payload: Record<string, unknown>) => void; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, clearOnComplete: true, hideCursor: true, linewrap: false, fps: 10, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  let state: 'new' | 'drawn' | 'stopped' = 'new';
  let unregister = () => undefined as unknown;
  return {
    show: (value, total, payload) => {
      if (state === 'stopped') return;
      if (state === 'new') {
        state = 'drawn';
        bar.start(total, value, payload);
        unregister = processGuard().onRestoreTerminal(() => {
          state = 'stopped';
          // Its render timer, so that nothing is drawn after the terminal was restored.
          const b = bar as unknown as { timer: NodeJS.Timeout | null };
          if (b.timer) clearTimeout(b.timer);
          b.timer = null;
          process.stderr.write(RESTORE_TERMINAL);
        });
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    stop: () => {
      unregister();
      if (state === 'drawn') bar.stop();
      state = 'stopped';
    },
  };
}

/** `cp [=====-----] 6% | 12.0 MiB of 200.0 MiB | 1/4 files (0 already there)`, byte by byte. */
export async function copyProgress(): Promise<Display<CopyProgress>> {
  const d = await display('cp [{bar}] {percentage}% | {doneBytes} of {totalBytes} | {files} files ({skipped} already there)');
  return {
    update: (p) =>
      d.show(p.bytesDone, Math.max(1, p.bytesTotal), {
        doneBytes: humanBytes(p.bytesDone, 1),
        totalBytes: humanBytes(p.bytesTotal, 1),
        files: `${p.filesDone}/${p.filesTotal}`,
        skipped: p.filesSkipped,
      }),
    stop: () => d.stop(),
  };
}

/** `find: listing | 1200 objects listed | 3 checkpoints found`. */
export async function findProgress(): Promise<Display<{ phase: string; listed: number; found: number }>> {
  const d = await display('find: {phase} | {listed} objects listed | {found} checkpoints found');
  d.show(0, 0, { phase: 'listing', listed: 0, found: 0 });
  return {
    update: (p) => d.show(0, 0, { phase: p.phase, listed: p.listed, found: p.found }),
    stop: () => d.stop(),
  };
}

/** `prune [=====-----] 48% | files | 14400/30000 objects deleted`. */
export async function pruneProgress(): Promise<Display<{ phase: string; deletedObjects: number; totalObjects: number }>> {
  const d = await display('prune [{bar}] {percentage}% | {phase} | {deleted} objects deleted');
  return {
    update: (p) => {
      if (p.totalObjects > 0) d.show(p.deletedObjects, p.totalObjects, { phase: p.phase, deleted: `${p.deletedObjects}/${p.totalObjects}` });
    },
    stop: () => d.stop(),
  };
}
