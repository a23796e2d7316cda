/** @ckptkit/local: the local filesystem adapter for @ckptkit/gfile. */
export { TEMP_MARKER, createLocalAdapter, hostTag, parseTempName, removeUnfinishedWritesSync } from './local-adapter.js';
export type { LocalAdapterOptions } from './local-adapter.js';
export { mapFsError } from './map-error.js';

import type { AdapterFactory } from '@ckptkit/gfile';
import { createLocalAdapter, type LocalAdapterOptions } from './local-adapter.js';

/** A registry factory for `file://` and bare paths: `registry.register('file', () => localFactory())`. */
export function localFactory(options: LocalAdapterOptions = {}): AdapterFactory {
  const adapter = createLocalAdapter(options);
  return () => adapter;
}
