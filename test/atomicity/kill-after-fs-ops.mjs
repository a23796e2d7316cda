/**
 * Preloaded into a `ckpt` run by the prune kill tests (`node --import`): the process kills itself
 * with SIGKILL (`kill -9`: no handler runs, nothing is cleaned up) right before its
 * (CKPT_KILL_AFTER_OPS + 1)-th unlink, rmdir or rename on the local disk, so that a test can stop
 * it at every point of a run in turn.
 */
import fs from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const after = Number(process.env.CKPT_KILL_AFTER_OPS);
if (Number.isSafeInteger(after) && after >= 0) {
  let done = 0;
  for (const name of ['unlink', 'rmdir', 'rename']) {
    const original = fs[name];
    fs[name] = async function (...args) {
      if (done >= after) {
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
      done++;
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
