/** @ckptkit/core: checkpoint discovery and the TensorFlow bundle reader, writer and verifier. */
export * from './bundle/index.js';
export * from './discovery/index.js';
export { CHECKPOINT_FORMATS, formatIds } from './formats/index.js';
export * from './latest/index.js';
export * from './state/index.js';
