/** Checkpoint discovery: listing trees, running the layout modules, `findCheckpoints`. */
export { createDetectContext, detectTree, toCheckpointInfo, type DetectContextOptions, type DetectOptions } from './detect.js';
export { compareCheckpoints, findCheckpoints, streamCheckpoints, type FindOptions, type FindProgress } from './find.js';
export { compareFound, detectInOrder, type InOrderOptions } from './in-order.js';
export { listChildren, listTree, loadSubtree } from './tree.js';
export type { CheckpointFormat, CheckpointInfo, DetectContext, DirNameStep, DirNode, FileEntry, Found, Pointer } from './types.js';
export { DirectoryCheckpoints, storeLister, withListing, type DirectoryCandidate, type DirectoryOptions, type Lister } from './directory.js';
export { compareOrder, explainOrder, newestComplete, newestFirst, orderFactsOf, orderFactsOfInfo, type OrderFacts, type OrderRule } from './order.js';
export { compareOptionalSteps, compareSteps, parseStep, sameStep, type Step } from './step.js';
export { NotListedError, requireListed } from './tree.js';
