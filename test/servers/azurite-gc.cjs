// Preloaded into Azurite by azurite.sh (node --require): sets the interval of its blob garbage
// collector. Azurite 3.37 deletes unreferenced extents one at a time, and LokiJS rebuilds every
// index of the extent collection after each removal: once a test run has deleted a few thousand
// blobs (a 5,002-blob container, twice), one collection pass blocks Azurite's event loop for
// minutes (profiled: Collection.ensureIndex under MemoryExtentStore.deleteExtents) and every
// request in that window times out. The collector first runs at start (nothing to collect), then
// every CKPT_AZURITE_GC_INTERVAL_MS (default here: 24 h, i.e. not within a test run; Azurite's own
// default is 10 minutes). Deleted data then stays in memory until the server stops, bounded by
// --extentMemoryLimit.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a preload of a CommonJS program (node --require) */
const path = require('node:path');

const interval = Number(process.env.CKPT_AZURITE_GC_INTERVAL_MS || 24 * 60 * 60 * 1000);
const main = process.argv[1];
if (!main || !/azurite[\\/]dist[\\/]src[\\/]blob[\\/]main\.js$/.test(main)) {
  throw new Error(`azurite-gc.cjs: preloaded into ${main}, not Azurite's blob main.js`);
}
if (!Number.isSafeInteger(interval) || interval <= 0) throw new Error(`CKPT_AZURITE_GC_INTERVAL_MS must be a positive integer, got ${process.env.CKPT_AZURITE_GC_INTERVAL_MS}`);
const constants = require(path.join(path.dirname(main), 'utils', 'constants.js'));
if (typeof constants.DEFAULT_GC_INTERVAL_MS !== 'number') throw new Error('azurite-gc.cjs: this Azurite has no DEFAULT_GC_INTERVAL_MS');
constants.DEFAULT_GC_INTERVAL_MS = interval;
