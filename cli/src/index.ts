/** @ckptkit/cli: the `ckpt` command line. `main(args)` runs it in-process (exit code in process.exitCode). */
export { main } from './main.js';
export { EXIT, exitCodeFor } from './exit-codes.js';
