#!/usr/bin/env node
// `ckpt`, as installed. CommonJS on purpose: a CommonJS entry spares Node its ES module loader,
// and the start-up fast path (`ckpt latest <local dir>` with plain flags, see src/fast-path.ts)
// runs from a one-file bundle compiled with a V8 code cache kept next to it. Everything else, or
// when the bundle is missing or stale, goes to the ES module entry dist/bin.js (yargs).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const fs = require('node:fs');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const bundleFile = path.join(dist, 'fast-latest.bundle.cjs');

/**
 * True when the bundle exists and is current. In the repository (where dist/.tsbuildinfo exists)
 * that means the build state of every package it was made from is the one scripts/bundle-fast-path.mjs
 * recorded: after a `tsc -b` without the bundler, the modules tsc wrote are used instead of stale
 * code. An installed package has no build state: its bundle is used as shipped.
 */
function bundleIsCurrent() {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dist, 'fast-latest.bundle.json'), 'utf8'));
  } catch {
    return false;
  }
  if (!fs.existsSync(path.join(dist, '.tsbuildinfo'))) return fs.existsSync(bundleFile);
  for (const input of manifest.inputs) {
    try {
      if (fs.statSync(path.join(dist, input.path)).mtimeMs !== input.mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return fs.existsSync(bundleFile);
}

/** Loads the bundle through a V8 code cache (made on first use, refreshed when V8 rejects it). */
function loadBundle() {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = `${bundleFile}.v8-cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundleFile, 'utf8')), {
    filename: bundleFile,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(bundleFile), mod, bundleFile, dist);
  const writeCache = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    // After the run, so that the functions it compiled are in the cache too. A read-only
    // installation simply runs without one.
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // no cache
    }
  };
  return { exports: mod.exports, writeCache };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'latest' && bundleIsCurrent()) {
    const bundle = loadBundle();
    const fast = bundle.exports.parseFastLatest(args);
    if (fast) {
      await bundle.exports.runFastLatest(fast);
      bundle.writeCache();
      return;
    }
  }
  await import(require('node:url').pathToFileURL(path.join(dist, 'bin.js')).href);
}

main().catch((error) => {
  process.stderr.write(`ckpt: ${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 2;
});
