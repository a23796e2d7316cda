#!/usr/bin/env node
import { main } from './main.js';

await main(process.argv.slice(2));

// The command has finished and written everything (writes to pipes and files are synchronous on
// Linux; the callbacks below cover the rest). An SDK may still hold a socket it forgot: the GCS SDK
// leaves an upload's request open when the server answers before the body is sent, and the process
// then waited for the server to hang up (measured: 30 s after `ckpt cp` had reported the error).
// Exit with the code already set once the output is out; a process with nothing left exits sooner.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
setTimeout(() => process.exit(), 500).unref();
