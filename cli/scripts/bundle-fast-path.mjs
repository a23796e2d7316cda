#!/usr/bin/env node
// Bundles the start-up fast paths into one-file CommonJS scripts that bin/ckpt.cjs compiles with a
// V8 code cache: one script instead of hundreds of modules and no ES module loader. Run after
// `tsc -b` (the root `build`/`prepare` scripts and test/run.mjs do).
//
// - dist/fast-latest.bundle.cjs (from dist/fast-entry.js): `ckpt latest DIR` on a local directory:
//   the parser of fast-path.ts, the facade, the local adapter, core's latest resolution. The S3 and
//   GCS adapters and @ckptkit/core's root entry (the bundle reader and its native snappy, only for
//   --verify, which the fast path leaves to yargs) stay packages, loaded only if ever needed.
// - dist/fast-cloud.bundle.cjs (from dist/fast-cloud-entry.js): `ckpt latest|find|cp` naming an
//   s3:// or gs:// URI: the same parser, the three handlers, the local, S3 and GCS adapters with
//   their SDKs (CommonJS, about 1,000 modules that Node would otherwise resolve and compile one by
//   one), core's discovery, latest and copy entries. The whole facade is in it: one copy of
//   @ckptkit/gfile, so process-wide state (the secrets redact() scrubs) is shared by every adapter.
//   Native modules stay outside and are loaded on first call only (see lazyNative below).
// - dist/fast-azure.bundle.cjs (from dist/fast-azure-entry.js): the same for command lines naming
//   an az://, abfs:// or abfss:// URI, with the Azure adapter and its SDK in it too (a bundle of
//   its own so that s3/gs start-ups never compile the Azure SDK; decision 0018).
//
// dist/<name>.bundle.json records the build state (dist/.tsbuildinfo mtimes) of the packages the
// bundle was made from: bin/ckpt.cjs uses a bundle only while none of them was rebuilt since, so a
// `tsc -b` without this script never runs stale code. It also records the lockfile's mtime for the
// cloud bundle, which holds third-party code: a `pnpm install` that changes a dependency makes it
// stale too.
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const repo = path.join(dist, '..', '..');

/**
 * Core's latest resolution loads the bundle verifier lazily, for --verify only; from a bundle it
 * must come from the @ckptkit/core package (with its native dependencies), not be copied in.
 */
const coreVerifyFromPackage = {
  name: 'core-verify-from-package',
  resolveId(source, importer) {
    if (source === '../bundle/storage.js' && importer && /core[\\/]dist[\\/]latest[\\/]/.test(importer)) return { id: '@ckptkit/core', external: true };
    return null;
  },
};

/**
 * A native package imported by bundled code, resolved from the package that depends on it (pnpm
 * gives the CLI no access to its dependencies' dependencies) and loaded on the first call of one
 * of `names`, not when the bundle loads: rolldown hoists an external import to the top of a
 * one-file bundle, and a `ckpt find` never needs the CRC of a `ckpt cp`. A name the bundled code
 * imports but this list lacks fails the build (missing export), never a run.
 */
function lazyNative(pkg, from, names) {
  const id = `\0lazy-native:${pkg}`;
  return {
    name: `lazy-native-${pkg}`,
    resolveId: (source) => (source === pkg ? id : null),
    load(source) {
      if (source !== id) return null;
      const load = `let m;\nconst load = () => (m ??= require('node:module').createRequire(require.resolve(${JSON.stringify(`${from}/package.json`)}))(${JSON.stringify(pkg)}));\n`;
      return load + names.map((n) => `export function ${n}(...args) { return load().${n}(...args); }\n`).join('');
    },
  };
}

/**
 * `import('node:http')` in bundled code (the AWS SDK's instance-metadata and Lambda helpers) would
 * go through the launcher's dynamic-import hook for scripts, which Node 20 reports on stderr as an
 * experimental feature on first use: a bundle must print exactly what the modules print. A built-in
 * needs no loader: it is required, with the namespace shape `import()` gives (`default` included).
 */
const builtinImportsAsRequire = {
  name: 'builtin-imports-as-require',
  renderChunk(code) {
    return code.replace(/\bimport\((["'])([a-z_:/]+)\1\)/g, (whole, _q, id) =>
      isBuiltin(id) ? `Promise.resolve().then(() => { const m = require(${JSON.stringify(id)}); return { ...m, default: m }; })` : whole,
    );
  },
};

/**
 * A package that bundled code imports dynamically and only sometimes (the Azure adapter imports
 * `@azure/identity` only for Entra ID credentials, a large SDK a key or SAS never needs): left out
 * of the bundle and, when the import runs, required from the package that depends on it (pnpm gives
 * the CLI no access to its dependencies' dependencies), with the namespace shape `import()` gives.
 */
function lazyImportFrom(pkg, from) {
  return {
    name: `lazy-import-${pkg}`,
    resolveId: (source) => (source === pkg ? { id: pkg, external: true } : null),
    renderChunk(code) {
      const pattern = new RegExp(`\\bimport\\((["'])${pkg.replace(/[/.]/g, '\\$&')}\\1\\)`, 'g');
      return code.replace(
        pattern,
        () => `Promise.resolve().then(() => { const m = require('node:module').createRequire(require.resolve(${JSON.stringify(`${from}/package.json`)}))(${JSON.stringify(pkg)}); return { ...m, default: m }; })`,
      );
    },
  };
}

/**
 * `ckpt latest ./dir` never opens an archive (archive URIs leave the local fast path, see
 * `isLocalUri`): the archive views and their format libraries (tar, yauzl) stay out of its bundle.
 */
const noArchiveViews = {
  name: 'no-archive-views',
  resolveId: (source, importer) => (source === './archive/index.js' && importer && /gfile[\\/]dist[\\/]gfile\.js$/.test(importer) ? '\0no-archive-views' : null),
  load: (id) => (id === '\0no-archive-views' ? 'export function createArchiveAdapter() { throw new Error("archive views are not part of the local fast path"); }\n' : null),
};

const BUNDLES = [
  {
    name: 'fast-latest',
    entry: 'fast-entry.js',
    external: ['@ckptkit/s3', '@ckptkit/gcs', '@ckptkit/azure', '@ckptkit/core', 'snappy', '@node-rs/crc32'],
    plugins: [coreVerifyFromPackage, noArchiveViews],
    lockfile: false,
  },
  {
    name: 'fast-cloud',
    entry: 'fast-cloud-entry.js',
    // Azure URIs never take the fast path (fast-path.ts): its SDK stays a package.
    external: ['@ckptkit/core', '@ckptkit/azure'],
    plugins: [coreVerifyFromPackage, lazyNative('@node-rs/crc32', '@ckptkit/core', ['crc32c']), builtinImportsAsRequire],
    lockfile: true,
  },
  {
    // The same with the Azure adapter and its SDK: command lines naming an Azure URI (bin/ckpt.cjs).
    name: 'fast-azure',
    entry: 'fast-azure-entry.js',
    external: ['@ckptkit/core'],
    plugins: [coreVerifyFromPackage, lazyNative('@node-rs/crc32', '@ckptkit/core', ['crc32c']), lazyImportFrom('@azure/identity', '@ckptkit/azure'), builtinImportsAsRequire],
    lockfile: true,
  },
];

for (const spec of BUNDLES) {
  const t0 = performance.now();
  const out = path.join(dist, `${spec.name}.bundle.cjs`);
  const manifest = path.join(dist, `${spec.name}.bundle.json`);
  const external = new Set(spec.external);
  const bundle = await rolldown({
    input: path.join(dist, spec.entry),
    platform: 'node',
    logLevel: 'warn',
    external: (id) => external.has(id) || id.startsWith('node:'),
    plugins: spec.plugins,
  });
  // A new bundle makes the code caches of the old one useless (V8 would reject them anyway): every
  // Node's (bin/ckpt.cjs keeps one per Node version and architecture).
  for (const f of fs.readdirSync(dist)) if (f.startsWith(`${path.basename(out)}.`) && f.endsWith('.v8-cache')) fs.rmSync(path.join(dist, f), { force: true });
  // No mangling and no compression (names and code stay as written); whitespace and comments go,
  // and non-ASCII characters are escaped, so that the launcher can read the file as latin1: a
  // one-byte string, without UTF-8 decoding (about 15 ms for 3 MiB, more than the file's read).
  const { output } = await bundle.write({
    file: out,
    format: 'cjs',
    codeSplitting: false,
    sourcemap: false,
    minify: { compress: false, mangle: false, codegen: { removeWhitespace: true, asciiOnly: true } },
  });
  await bundle.close();
  const modules = output.flatMap((o) => (o.type === 'chunk' ? o.moduleIds : [])).filter((id) => path.isAbsolute(id));
  // `tsc -b` rewrites a project's dist/.tsbuildinfo whenever it rebuilds the project: one stat per
  // workspace package the bundle was made from tells whether any of its modules may have changed.
  const stamps = [
    ...new Set(
      modules.flatMap((id) => {
        const m = /^(.*[\\/]dist)[\\/]/.exec(id);
        return m && !id.includes(`${path.sep}node_modules${path.sep}`) ? [path.join(m[1], '.tsbuildinfo')] : [];
      }),
    ),
  ].filter((f) => fs.existsSync(f));
  const lockfile = path.join(repo, 'pnpm-lock.yaml');
  if (spec.lockfile && fs.existsSync(lockfile)) stamps.push(lockfile);
  const inputs = stamps.map((f) => ({ path: path.relative(dist, f), mtimeMs: fs.statSync(f).mtimeMs }));
  // What asciiOnly cannot escape (a tagged template's raw text) keeps the file UTF-8; the launcher
  // reads it as latin1 only when the manifest says that is the same text.
  const ascii = fs.readFileSync(out).every((byte) => byte < 0x80);
  fs.writeFileSync(manifest, `${JSON.stringify({ modules: modules.length, ascii, inputs }, null, 1)}\n`);
  process.stderr.write(
    `[bundle] ${path.relative(process.cwd(), out)}: ${modules.length} modules from ${inputs.length} packages, ${(fs.statSync(out).size / 1024).toFixed(0)} KiB in ${Math.round(performance.now() - t0)} ms\n`,
  );
}
