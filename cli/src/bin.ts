#!/usr/bin/env node
import { parseFastLatest } from './fast-path.js';
import { processGuard } from './process-guard.js';

// Before anything can print (help text included): a closed pipe or a signal ends the process the
// same way everywhere (process-guard.ts).
processGuard();

// The ES module entry (the installed `ckpt` is bin/ckpt.cjs, which runs the same fast path from a
// one-file bundle and comes here for everything else). `ckpt latest <local dir>` with plain flags
// skips yargs (see fast-path.ts); everything else is parsed by yargs.
const args = process.argv.slice(2);
const fast = parseFastLatest(args);
if (fast) {
  const { runFastLatest } = await import('./fast-latest.js');
  await runFastLatest(fast);
} else {
  const { main } = await import('./main.js');
  await main(args);
}

// The command has finished and written everything (writes to pipes and files are synchronous on
// Linux; the callbacks below cover the rest). An SDK may still hold a socket it forgot: the GCS SDK
// leaves an upload's request open when the server answers before the body is sent, and the process
// then waited for the server to hang up (measured: 30 s after `ckpt cp` had reported the error).
// Exit with the code already set once the output is out; a process with nothing left exits sooner.
// Waiting for the streams to drain writes nothing: an empty write to a pipe its reader closed after
// reading all it wanted would fail with EPIPE and turn a finished command into exit 141.
await Promise.all([process.stdout, process.stderr].map(drained));
setTimeout(() => process.exit(), 500).unref();

/** Resolves once everything written to `stream` has been handed to the system (or it is gone). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('drain', resolve);
    stream.once('close', resolve);
  });
}
