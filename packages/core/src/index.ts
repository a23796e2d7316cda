/** @ckptkit/core: checkpoint discovery, the TensorFlow bundle reader, writer and verifier, and pipelines (watch, copy, state repair). */
export * from './bundle/index.js';
export * from './discovery/index.js';
export { CHECKPOINT_FORMATS, formatIds } from './formats/index.js';
export * from './latest/index.js';
export * from './pipelines/index.js';
export * from './retention/index.js';
export * from './state/index.js';
