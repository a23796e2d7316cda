#!/usr/bin/env node
import { parseFastLatest } from './fast-path.js';

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
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
setTimeout(() => process.exit(), 500).unref();
