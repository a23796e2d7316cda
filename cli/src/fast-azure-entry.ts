/**
 * The entry point of the one-file bundle of the Azure fast path (scripts/bundle-fast-path.mjs,
 * loaded by bin/ckpt.cjs for `ckpt latest|find|cp` command lines naming an az://, abfs:// or
 * abfss:// URI): the cloud fast path with the Azure adapter and its SDK in it too, so that a copy
 * between Azure and S3 or GCS takes it as well. A bundle of its own, so that s3/gs start-ups never
 * load the Azure SDK (decision 0018).
 */
import { parseFast as parseAny, type FastCommand } from './fast-path.js';

export type { FastCommand } from './fast-path.js';
export { runFast } from './fast-run.js';

/** {@link parseAny} for a bundle that holds every adapter, Azure's included. */
export function parseFast(args: readonly string[]): FastCommand | undefined {
  return parseAny(args, { azure: true });
}
