/**
 * How a `ckpt` process ends early, the same way for every command and entry point (the yargs
 * entry, the fast paths and their bundles):
 *
 * - **stdout or stderr closed** (`ckpt find DIR | head -2`): the first failed write ends the
 *   process at once, printing nothing, with exit 141 (128 + SIGPIPE, what a shell reports for a
 *   program killed by SIGPIPE). Work in flight is abandoned, children are terminated, temporary
 *   files of unfinished local writes are deleted; no request is started after the pipe closed.
 * - **SIGINT / SIGTERM**: the terminal is restored (a progress bar's hidden cursor and disabled line
 *   wrap), `watch --exec` children get the same signal, and the command's AbortSignal fires so that
 *   unfinished writes are abandoned the way each store allows (local temporary files deleted, S3
 *   multipart uploads aborted, GCS upload sessions cancelled); the process then exits 130 / 143.
 *   If that takes longer than {@link GRACE_MS}, or on a second signal, it exits at once after
 *   deleting the temporary files synchronously (uploads are then left to the next run, which
 *   finds them in its records: see unfinished-journal.ts).
 *
 * One guard per process (kept on `globalThis`: a fast-path bundle and the modules it falls back to
 * share it). It imports only node:fs, so installing it costs nothing at start-up.
 */

import { writeSync } from 'node:fs';

/** Exit code of a process whose output pipe closed: 128 + SIGPIPE (13). */
export const EXIT_PIPE = 141;
/** Exit codes for the signals handled here: 128 + the signal number. */
export const EXIT_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;
/** How long an interrupted command may take to abandon its writes before the process just exits. */
export const GRACE_MS = 5_000;

type Interrupt = 'SIGINT' | 'SIGTERM' | 'EPIPE';

/** A child process as far as the guard needs it. */
interface Child {
  kill(signal: NodeJS.Signals): boolean;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
}

/** The process-wide guard: see the module comment. */
export interface ProcessGuard {
  /** Fires when the process is interrupted (a signal, a closed output): pass it to every operation. */
  readonly signal: AbortSignal;
  /** What interrupted the process, if anything did. */
  readonly interrupted: Interrupt | undefined;
  /** The exit code the interruption calls for (141, 130, 143), or undefined. */
  readonly exitCode: number | undefined;
  /**
   * Registers a function that puts the terminal back as it was (a progress bar that hid the cursor):
   * run once on interruption, before anything else. Returns its removal.
   */
  onRestoreTerminal(restore: () => void): () => void;
  /** Registers a synchronous cleanup for the process's last moment (deleting temporary files). */
  onExit(cleanup: () => void): void;
  /**
   * Tracks a child process: it gets the signal the process gets (and SIGTERM when the output
   * closes), and an interrupted process waits for it to exit (at most {@link GRACE_MS}).
   */
  trackChild(child: Child): () => void;
  /**
   * Declares work that abandons its writes itself when {@link signal} fires (a copy): an interrupted
   * process waits for it (at most {@link GRACE_MS}) instead of exiting at once. Returns the release.
   */
  hold(): () => void;
  /**
   * Writes to stdout; when stdout is closed, ends the process as for EPIPE (see the module comment)
   * before the caller can start anything else.
   */
  writeOut(text: string): void;
  /**
   * Writes to stderr, after what stdout still holds has been taken: a diagnostic that follows the
   * output (a summary) is never printed when that output ends in a closed pipe.
   */
  writeErr(text: string): void;
  /**
   * Resolves once stdout holds less than {@link OUT_BUFFER_LIMIT} unwritten bytes (at once when it
   * does already, or when the output is gone): what a command printing a long stream awaits now and
   * then, so that a slow reader slows it down instead of the output piling up in memory.
   */
  outputDrained(): Promise<void>;
}

/** Bytes stdout may hold unwritten before {@link ProcessGuard.outputDrained} waits. */
export const OUT_BUFFER_LIMIT = 1 << 20;

const KEY = Symbol.for('ckptkit.processGuard');

/** The process's guard, installed on first call (signal handlers, EPIPE handlers). */
export function processGuard(): ProcessGuard {
  const g = globalThis as { [KEY]?: ProcessGuard };
  return (g[KEY] ??= install());
}

function install(): ProcessGuard {
  const controller = new AbortController();
  const restorers = new Set<() => void>();
  const exitCleanups: Array<() => void> = [];
  const children = new Set<Child>();
  let interrupted: Interrupt | undefined;
  let exiting = false;
  let holds = 0;
  // Command output goes straight to the descriptor unless stdout is a terminal (see writeOut).
  const direct = process.stdout.isTTY !== true;
  // stderr lines waiting for stdout to drain (see writeErr).
  const pendingErr: string[] = [];
  const busy = () => holds > 0 || [...children].some((c) => c.exitCode === null && c.signalCode === null);
  /** After an interruption, once nothing holds the process any more: out. */
  const exitIfIdle = () => {
    if (interrupted !== undefined && interrupted !== 'EPIPE' && !busy()) exitNow(EXIT_SIGNAL[interrupted]);
  };

  const restoreTerminal = () => {
    for (const r of restorers) {
      try {
        r();
      } catch {
        // the terminal is gone
      }
    }
    restorers.clear();
  };
  const runExitCleanups = () => {
    for (const c of exitCleanups.splice(0)) {
      try {
        c();
      } catch {
        // nothing more can be done on the way out
      }
    }
  };
  const signalChildren = (sig: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(sig);
  };
  const exitNow = (code: number) => {
    if (exiting) return;
    exiting = true;
    runExitCleanups();
    process.exit(code);
  };

  const onPipeClosed = () => {
    if (interrupted === 'EPIPE') return;
    interrupted = 'EPIPE';
    process.exitCode = EXIT_PIPE;
    restoreTerminal();
    controller.abort(pipeClosed());
    signalChildren('SIGTERM');
    exitNow(EXIT_PIPE);
  };
  const onStreamError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') onPipeClosed();
    else throw error;
  };
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);

  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    const code = EXIT_SIGNAL[sig];
    if (interrupted !== undefined) {
      // A second signal: no more waiting.
      exitNow(process.exitCode === undefined ? code : Number(process.exitCode));
      return;
    }
    interrupted = sig;
    process.exitCode = code;
    restoreTerminal();
    signalChildren(sig);
    controller.abort(Object.assign(new Error(`interrupted by ${sig}`), { name: 'AbortError' }));
    // Work that abandons its writes itself (a copy), and children, are waited for, within bounds;
    // anything else (a listing) is simply dropped.
    if (!busy()) {
      exitNow(code);
      return;
    }
    setTimeout(() => exitNow(code), GRACE_MS).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Every way out, even a natural one, runs the synchronous cleanups.
  process.on('exit', runExitCleanups);

  return {
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    get exitCode() {
      return interrupted === undefined ? undefined : interrupted === 'EPIPE' ? EXIT_PIPE : EXIT_SIGNAL[interrupted];
    },
    onRestoreTerminal(restore) {
      restorers.add(restore);
      return () => restorers.delete(restore);
    },
    onExit(cleanup) {
      exitCleanups.push(cleanup);
    },
    trackChild(child) {
      children.add(child);
      return () => {
        children.delete(child);
        exitIfIdle();
      };
    },
    hold() {
      holds++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds--;
        exitIfIdle();
      };
    },
    writeOut(text) {
      if (interrupted === 'EPIPE') return;
      if (direct && process.stdout.writableLength === 0) {
        // Into a pipe or a file: written here and now, so that a closed pipe fails this very call
        // (a stream reports EPIPE a loop iteration later, after the caller may have printed its
        // summary on stderr or sent its next request).
        const bytes = Buffer.from(text);
        let done = 0;
        try {
          while (done < bytes.length) done += writeSync(1, bytes, done);
          return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') {
            onPipeClosed();
            return;
          }
          if (code !== 'EAGAIN') throw error;
          // The pipe is full (its descriptor is non-blocking): the stream takes the rest, and the
          // next lines, in order, without blocking the event loop (Ctrl-C stays alive).
          process.stdout.write(bytes.subarray(done));
          return;
        }
      }
      process.stdout.write(text);
    },
    outputDrained() {
      if (interrupted !== undefined || process.stdout.writableLength < OUT_BUFFER_LIMIT || process.stdout.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          controller.signal.removeEventListener('abort', done);
          resolve();
        };
        process.stdout.once('drain', done);
        process.stdout.once('close', done);
        controller.signal.addEventListener('abort', done, { once: true });
      });
    },
    writeErr(text) {
      if (interrupted === 'EPIPE') return;
      if (process.stdout.writableLength === 0 && pendingErr.length === 0) {
        process.stderr.write(text);
        return;
      }
      pendingErr.push(text);
      if (pendingErr.length === 1) {
        const flush = (error?: Error | null) => {
          const text = pendingErr.join('');
          pendingErr.length = 0;
          // A failed write's callback runs before the stream's error event: the pipe closed.
          const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
          if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') onPipeClosed();
          else if (interrupted !== 'EPIPE') process.stderr.write(text);
        };
        // Its callback runs once everything written before it is out ('drain' only follows a
        // write that went over the stream's high-water mark).
        process.stdout.write('', flush);
      }
    },
  };
}

function pipeClosed(): Error {
  return Object.assign(new Error('the output was closed'), { name: 'AbortError' });
}
