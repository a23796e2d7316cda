/** Checkpoint discovery: listing trees, running the layout modules, `findCheckpoints`. */
export { createDetectContext, detectTree, toCheckpointInfo, type DetectContextOptions, type DetectOptions } from './detect.js';
export { compareCheckpoints, findCheckpoints, type FindOptions, type FindProgress } from './find.js';
export { listChildren, listTree, loadSubtree } from './tree.js';
export type { CheckpointFormat, CheckpointInfo, DetectContext, DirNameStep, DirNode, FileEntry, Found } from './types.js';
