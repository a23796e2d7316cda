/**
 * Which build of the fast path to load: the one-file bundle (scripts/bundle-fast-path.mjs) when it
 * exists and is current, else the modules tsc wrote. In this repository (where `dist/.tsbuildinfo`
 * exists) the bundle counts as current only while the build state of every package it was made
 * from (`dist/.tsbuildinfo`, rewritten by each `tsc -b` that rebuilds the package) has the mtime the
 * bundler recorded: a `tsc -b` run without the bundler never leaves the CLI on stale code. An
 * installed package has no build state and no sources to change: its bundle is used as shipped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  inputs: Array<{ path: string; mtimeMs: number }>;
}

/** The specifier to import for the fast path, relative to this module. */
export function fastPathModule(): string {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'fast-latest.bundle.json'), 'utf8')) as Manifest;
  } catch {
    return './fast-latest.js';
  }
  if (existsSync(path.join(dir, '.tsbuildinfo'))) {
    for (const input of manifest.inputs) {
      try {
        if (statSync(path.join(dir, input.path)).mtimeMs !== input.mtimeMs) return './fast-latest.js';
      } catch {
        return './fast-latest.js';
      }
    }
  }
  return './fast-latest.bundle.js';
}
