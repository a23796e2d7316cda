/** @ckptkit/core: checkpoint discovery and the TensorFlow bundle reader, writer and verifier. */
export * from './bundle/index.js';
