#!/usr/bin/env node
// `ckpt`, as installed. CommonJS on purpose: a CommonJS entry spares Node its ES module loader,
// and the start-up fast paths (plain `ckpt latest <local dir>`, and plain `ckpt latest|find|cp`
// naming an s3:// or gs:// URI; see src/fast-path.ts) run from one-file bundles compiled with a V8
// code cache kept next to them. Everything else, or when a bundle is missing or stale, goes to the
// ES module entry dist/bin.js (yargs).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const fs = require('node:fs');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');

/** The oldest Node ckptkit runs on (cli/bin/node-runtime.cjs and decision 0014 say why). */
const FLOOR = [22, 12];

/**
 * The manifest of the bundle `name` when the bundle exists and is current, else undefined. In the
 * repository (where dist/.tsbuildinfo exists) current means that the build state of every package
 * it was made from (and, for bundles holding third-party code, the lockfile) is the one
 * scripts/bundle-fast-path.mjs recorded: after a `tsc -b` without the bundler, the modules tsc
 * wrote are used instead of stale code. An installed package has no build state: its bundle is
 * used as shipped.
 */
function currentBundle(name) {
  const bundleFile = path.join(dist, `${name}.bundle.cjs`);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dist, `${name}.bundle.json`), 'utf8'));
  } catch {
    return undefined;
  }
  if (!fs.existsSync(path.join(dist, '.tsbuildinfo'))) return fs.existsSync(bundleFile) ? manifest : undefined;
  for (const input of manifest.inputs) {
    try {
      if (fs.statSync(path.join(dist, input.path)).mtimeMs !== input.mtimeMs) return undefined;
    } catch {
      return undefined;
    }
  }
  return fs.existsSync(bundleFile) ? manifest : undefined;
}

/**
 * Loads the bundle `name` through a V8 code cache (made on first use, refreshed when V8 rejects it).
 * A bundle its manifest declares pure ASCII is read as latin1: the same text without UTF-8 decoding.
 */
function loadBundle(name, manifest) {
  const bundleFile = path.join(dist, `${name}.bundle.cjs`);
  const vm = require('node:vm');
  const Module = require('node:module');
  // V8 rejects a cache made by another V8 or with other flags, and a rejected cache is rewritten:
  // one cache per Node version and architecture, so that two Nodes never overwrite each other's.
  const cacheFile = `${bundleFile}.${process.version}-${process.arch}.v8-cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundleFile, manifest.ascii === true ? 'latin1' : 'utf8')), {
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

/** The fast path's commands; anything else goes to yargs without loading a bundle. */
const FAST = new Set(['latest', 'find', 'cp']);
/** Arguments naming a cloud URI: the command needs the cloud bundle (the SDKs). */
const CLOUD = /^(s3|gs):\/\//;
/** Arguments naming an Azure URI: the command needs the bundle with the Azure SDK too. */
const AZURE = /^(az|abfss?):\/\//i;

async function main() {
  const args = process.argv.slice(2);
  if (FAST.has(args[0])) {
    const azure = args.some((a) => AZURE.test(a));
    const cloud = azure || args.some((a) => CLOUD.test(a));
    // Without a cloud URI only `latest` has a bundle of its own (a local find or cp runs as modules).
    const name = azure ? 'fast-azure' : cloud ? 'fast-cloud' : args[0] === 'latest' ? 'fast-latest' : undefined;
    const manifest = name === undefined ? undefined : currentBundle(name);
    if (manifest !== undefined) {
      const bundle = loadBundle(name, manifest);
      if (cloud) {
        const fast = bundle.exports.parseFast(args);
        if (fast) {
          await bundle.exports.runFast(fast);
          bundle.writeCache();
          await exitWhenFlushed();
          return;
        }
      } else {
        const fast = bundle.exports.parseFastLatest(args);
        if (fast) {
          await bundle.exports.runFastLatest(fast);
          bundle.writeCache();
          return;
        }
      }
    }
  }
  await import(require('node:url').pathToFileURL(path.join(dist, 'bin.js')).href);
}

/**
 * As dist/bin.js ends a command: once stdout and stderr are flushed, exit with the code already set
 * even if an SDK still holds a socket it forgot (the GCS SDK may leave an upload's request open);
 * a process with nothing left exits sooner on its own.
 */
async function exitWhenFlushed() {
  // Waiting for the streams to drain writes nothing (an empty write to a pipe closed by a reader
  // that had all it wanted would fail with EPIPE: exit 141 for a finished command).
  await Promise.all(
    [process.stdout, process.stderr].map((s) =>
      s.writableLength === 0 || s.destroyed ? undefined : new Promise((resolve) => (s.once('drain', resolve), s.once('close', resolve))),
    ),
  );
  setTimeout(() => process.exit(), 500).unref();
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < FLOOR[0] || (major === FLOOR[0] && minor < FLOOR[1])) {
  // An older Node (a Debian 12 machine has 20): run again under a supported one, fetched from the
  // npm registry into a cache on first use.
  require('./node-runtime.cjs').rerunUnderSupportedNode(__filename, process.argv.slice(2));
} else {
  // Set by a re-run (node-runtime.cjs): not for the commands this one starts (`watch --exec`),
  // which may run ckpt on the old Node again.
  delete process.env.CKPT_NODE_REEXEC;
  main().catch((error) => {
    process.stderr.write(`ckpt: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 2;
  });
}
