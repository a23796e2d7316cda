/**
 * The entry point of the one-file bundle of the start-up fast path (scripts/bundle-fast-path.mjs,
 * loaded by bin/ckpt.cjs): the parser that decides, and the runner of `ckpt latest`.
 */
export { parseFastLatest } from './fast-path.js';
export type { FastLatestArgs } from './fast-path.js';
export { runFastLatest } from './fast-latest.js';
