/**
 * The entry point of the one-file bundle of the cloud fast path (scripts/bundle-fast-path.mjs,
 * loaded by bin/ckpt.cjs for `ckpt latest|find|cp` command lines naming an s3:// or gs:// URI):
 * the parser that decides, and the runner of the three handlers with every adapter they may need.
 */
export { parseFast } from './fast-path.js';
export type { FastCommand } from './fast-path.js';
export { runFast } from './fast-run.js';
