#!/usr/bin/env node
// Bundles the start-up fast path of `ckpt latest DIR` (dist/fast-entry.js: the parser of
// fast-path.ts and everything fast-latest.js loads: the facade, the local adapter, core's latest
// resolution) into one CommonJS file, dist/fast-latest.bundle.cjs, which bin/ckpt.cjs compiles
// with a V8 code cache: one script instead of ~70 modules and no ES module loader. Run after
// `tsc -b` (the root `build`/`prepare` scripts and test/run.mjs do).
//
// Left out of the bundle, loaded as packages if ever needed: the S3 and GCS adapters (their SDKs;
// never on the fast path, which takes local directories only) and @ckptkit/core's root entry (the
// bundle reader and its native snappy, only for --verify, which the fast path leaves to yargs).
//
// dist/fast-latest.bundle.json records the build state (dist/.tsbuildinfo mtimes) of the packages
// the bundle was made from: bin/ckpt.cjs uses the bundle only while none of them was rebuilt since,
// so a `tsc -b` without this script never runs stale code.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const entry = path.join(dist, 'fast-entry.js');
const out = path.join(dist, 'fast-latest.bundle.cjs');
const manifest = path.join(dist, 'fast-latest.bundle.json');
const EXTERNAL = new Set(['@ckptkit/s3', '@ckptkit/gcs', '@ckptkit/core', 'snappy', '@node-rs/crc32']);

const t0 = performance.now();
const bundle = await rolldown({
  input: entry,
  platform: 'node',
  logLevel: 'warn',
  external: (id) => EXTERNAL.has(id) || id.startsWith('node:'),
  plugins: [
    {
      name: 'core-verify-from-package',
      // Core's latest resolution loads the bundle verifier lazily, for --verify only; from here it
      // must come from the @ckptkit/core package (with its native dependencies), not be copied in.
      resolveId(source, importer) {
        if (source === '../bundle/storage.js' && importer && /core[\\/]dist[\\/]latest[\\/]/.test(importer)) return { id: '@ckptkit/core', external: true };
        return null;
      },
    },
  ],
});
// A new bundle makes the code cache of the old one useless (V8 would reject it anyway).
fs.rmSync(`${out}.v8-cache`, { force: true });
const { output } = await bundle.write({ file: out, format: 'cjs', codeSplitting: false, sourcemap: false });
await bundle.close();
const modules = output.flatMap((o) => (o.type === 'chunk' ? o.moduleIds : [])).filter((id) => path.isAbsolute(id));
// `tsc -b` rewrites a project's dist/.tsbuildinfo whenever it rebuilds the project: one stat per
// workspace package the bundle was made from tells whether any of its modules may have changed.
const stamps = [...new Set(modules.flatMap((id) => {
  const m = /^(.*[\\/]dist)[\\/]/.exec(id);
  return m && !id.includes(`${path.sep}node_modules${path.sep}`) ? [path.join(m[1], '.tsbuildinfo')] : [];
}))].filter((f) => fs.existsSync(f));
const inputs = stamps.map((f) => ({ path: path.relative(dist, f), mtimeMs: fs.statSync(f).mtimeMs }));
fs.writeFileSync(manifest, `${JSON.stringify({ modules: modules.length, inputs }, null, 1)}\n`);
process.stderr.write(`[bundle] ${path.relative(process.cwd(), out)}: ${modules.length} modules from ${inputs.length} packages, ${(fs.statSync(out).size / 1024).toFixed(0)} KiB in ${Math.round(performance.now() - t0)} ms\n`);
