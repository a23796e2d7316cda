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
