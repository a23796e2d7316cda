#!/usr/bin/env node
// Google's Cloud Storage emulator (the one inside firebase-tools), started without Java and without
// `firebase emulators:start`: the StorageEmulator class is plain JavaScript. Usage:
//
//   TMPDIR=<state-dir> node test/servers/gcs-emulator.mjs <state-dir> [project-id]
//
// Listens on 127.0.0.1 on a free port and, once it answers HTTP, writes that port to
// <state-dir>/port. Blobs go to $TMPDIR/firebase/storage/blobs. SIGTERM/SIGINT stop it cleanly.
// Called by gcs-emulator.sh (which owns the pid, the health wait and the stop); not meant to be run
// by hand except for debugging.
//
// It reaches into firebase-tools' internal paths, which is why the package is pinned exactly in
// test/package.json (15.34.2). What is patched, and why:
//   - the rules runtime and rules manager: their start() downloads a Java rules JAR and spawns it.
//     GCS JSON API calls made by an admin client never consult rules, so start/stop are no-ops.
//   - one routing alias: the emulator serves rewriteTo/copyTo only under /b/..., not under
//     /storage/v1/b/... where the real API (and every other JSON API route of the emulator) lives,
//     so a client configured with apiEndpoint gets 501 for copies. The alias strips /storage/v1 from
//     those two routes before the emulator sees the request; the copy itself is the emulator's own.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const stateDir = process.argv[2];
const projectId = process.argv[3] ?? 'ckptkit-test';
if (!stateDir) {
  process.stderr.write('usage: gcs-emulator.mjs <state-dir> [project-id]\n');
  process.exit(2);
}
const host = '127.0.0.1';
const require = createRequire(import.meta.url);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const COPY_ROUTE = /^\/storage\/v1(\/b\/[^/?]+\/o\/[^/?]+\/(?:rewriteTo|copyTo)\/b\/[^/?]+\/o\/[^/?]+(?:\?.*)?)$/;

// Wrap createApp so the emulator listens through a plain http.Server that applies the alias first.
const serverModule = require('firebase-tools/lib/emulator/storage/server');
const createApp = serverModule.createApp;
serverModule.createApp = async (...args) => {
  const app = await createApp(...args);
  return {
    listen(port, listenHost) {
      const server = http.createServer((req, res) => {
        const m = COPY_ROUTE.exec(req.url ?? '');
        if (m) req.url = m[1];
        app(req, res);
      });
      server.listen(port, listenHost);
      return server;
    },
  };
};

const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');

const port = await freePort();
const emulator = new StorageEmulator({ projectId, host, port, auto_download: false, rules: undefined });
const noop = async () => undefined;
for (const part of [emulator._rulesRuntime, emulator._rulesManager]) {
  part.start = noop;
  part.stop = noop;
}
// Without the registry, uploads answer 500 (they ask it for the emulator's own URL).
await EmulatorRegistry.start(emulator);

// Healthy means it answers a JSON API call, not merely that the port is open.
const res = await fetch(`http://${host}:${port}/storage/v1/b/ckptkit-health/o?maxResults=1`);
if (res.status !== 200) {
  process.stderr.write(`gcs emulator: health probe answered ${res.status}\n`);
  process.exit(1);
}
fs.writeFileSync(path.join(stateDir, 'port.tmp'), String(port));
fs.renameSync(path.join(stateDir, 'port.tmp'), path.join(stateDir, 'port'));
process.stdout.write(`gcs emulator listening on http://${host}:${port} (project ${projectId})\n`);

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    EmulatorRegistry.stop(emulator.getName()).finally(() => process.exit(0));
  });
}
