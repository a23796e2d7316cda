/**
 * Runs the proxy on its own, for benchmarks and manual runs of `ckpt` through it:
 *
 *   npx tsc -b && node test/dist/proxy/cli.js --target http://127.0.0.1:7480 --latency 10 [--faults]
 *
 * Prints `PROXY_URL=http://127.0.0.1:PORT` on stdout once it listens, and runs until SIGINT/SIGTERM.
 * Without `--faults` it is the pure latency TCP proxy.
 */
import { parseArgs } from 'node:util';
import { startProxy } from './proxy.js';

const { values } = parseArgs({
  options: { target: { type: 'string' }, latency: { type: 'string', default: '0' }, faults: { type: 'boolean', default: false } },
});
if (!values.target) {
  process.stderr.write('usage: cli.js --target http://HOST:PORT [--latency MS] [--faults]\n');
  process.exit(2);
}
const proxy = await startProxy({ target: values.target, latencyMs: Number(values.latency), faults: values.faults });
process.stdout.write(`PROXY_URL=${proxy.url}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void proxy.close().then(() => process.exit(0));
  });
}
