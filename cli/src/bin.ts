#!/usr/bin/env node
import type { runFastLatest as RunFastLatest } from './fast-latest.js';
import { parseFastLatest } from './fast-path.js';

const args = process.argv.slice(2);
// `ckpt latest DIR` with plain flags skips yargs and runs from a one-file bundle (see fast-path.ts
// and fast-bundle.ts); everything else is parsed by yargs.
const fast = parseFastLatest(args);
if (fast) {
  const { fastPathModule } = await import('./fast-bundle.js');
  const { runFastLatest } = (await import(fastPathModule())) as { runFastLatest: typeof RunFastLatest };
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
