import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineConformanceSuite } from './suite.js';

defineConformanceSuite({
  name: 'local',
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-conformance-'));
    const registry = () => createRegistry().register('file', () => localFactory());
    return {
      gfile: createGFile({ registry: registry() }),
      smallPages: createGFile({ registry: registry(), pageSize: 3 }),
      root: dir,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
});

// The same suite through file:// URIs, so both spellings of local paths stay equivalent.
defineConformanceSuite({
  name: 'local (file:// URIs)',
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-conformance-uri-'));
    const registry = () => createRegistry().register('file', () => localFactory());
    return {
      gfile: createGFile({ registry: registry() }),
      smallPages: createGFile({ registry: registry(), pageSize: 3 }),
      root: `file://${dir}`,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
});

// Writes on the event loop (as the CLI configures the adapter): the same contract.
defineConformanceSuite({
  name: 'local (writes on the event loop)',
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-conformance-sync-'));
    const registry = () => createRegistry().register('file', () => localFactory({ writeOnEventLoop: true }));
    return {
      gfile: createGFile({ registry: registry() }),
      smallPages: createGFile({ registry: registry(), pageSize: 3 }),
      root: dir,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
});
