/**
 * The Azure start-up fast path: plain `ckpt latest|find|cp` naming an az://, abfs:// or abfss://
 * URI runs from the one-file bundle dist/fast-azure.bundle.cjs (bin/ckpt.cjs), which holds the
 * Azure adapter and its SDK besides everything of the s3/gs bundle, without yargs and without
 * loading the SDK module by module (Entra ID's @azure/identity is required from the package, and
 * only when a command needs it). Every command line here is run through the launcher and through
 * the ES module entry dist/bin.js (yargs and the modules): stdout, stderr and the exit code must
 * match byte for byte.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteAzureContainer, ensureAzureContainer } from '@ckptkit/azure';
import type { GFile } from '@ckptkit/gfile';
import { bundleCurrent, ESM_ENTRY, LAUNCHER, runScript, sameBothWays, tracedLauncher, writeFastPathTree } from '../helpers/fast-path.js';
import { azureServer, serverSuite } from '../helpers/servers.js';
import { azureOptions, storesGFile } from '../helpers/stores.js';

let scratch: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-fast-azure-'));
  // No Azure variables, no login: what a command line gives is all there is.
  baseEnv = { PATH: process.env.PATH, HOME: scratch, NO_COLOR: '1' };
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe('Azure fast path without a server', () => {
  it('loads nothing but the launcher and Node built-ins when the bundle is current; no yargs either way', async () => {
    const r = await tracedLauncher(['find', '--json', 'az://container/zoo', '--azure-endpoint', 'ftp://not-http'], baseEnv, scratch);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
    if (bundleCurrent('fast-azure')) expect(r.loaded.filter((u) => !u.startsWith('node:'))).toEqual([LAUNCHER]);
    else expect(r.loaded.some((u) => /[\\/]yargs[\\/]/.test(u))).toBe(true);
  });

  it('an s3:// command line still takes the bundle without the Azure SDK', async () => {
    const r = await tracedLauncher(['find', '--json', 's3://bucket/zoo', '--s3-endpoint', 'ftp://not-http'], baseEnv, scratch);
    expect(r.code).toBe(2);
    expect(r.loaded.some((u) => /@azure|adapters[\\/]azure/.test(u))).toBe(false);
  });

  const lines = [
    ['find', '--json', 'az://container/zoo', '--azure-endpoint', 'ftp://not-http'],
    ['find', 'az://container/zoo', '--anonymous', '--azure-endpoint', 'http://127.0.0.1:9/acct'],
    ['latest', 'az://container/run', '--json'],
    ['latest', 'abfss://container@acct.dfs.core.windows.net/run', '--azure-endpoint=ftp://x', '--tf-compat'],
    ['cp', 'az://container/run/ckpt-5', path.join('out', 'dir'), '--azure-endpoint', 'ftp://x', '--json'],
    ['cp', 's3://bucket/run/ckpt-5', 'az://container/run', '--s3-endpoint', 'ftp://x', '--json'],
    ['find', 'az://c/zoo'],
    // Refused by the fast path (yargs either way): a usage error, help.
    ['find', 'az://container/zoo', '--no-such-flag'],
    ['latest', 'az://container/run', '--help'],
  ];
  for (const args of lines) {
    it(`answers ${JSON.stringify(args)} as the yargs path does`, async () => {
      await sameBothWays(args, baseEnv);
    });
  }

  it('Entra ID (an account and no key): @azure/identity loads from the package, the same answer', async () => {
    // The credential chain's own message depends on the machine (instance metadata, a CLI login),
    // and may differ between two runs: the exit code and the error code must not.
    const args = ['find', '--json', 'az://container/zoo', '--azure-endpoint', 'http://127.0.0.1:9/acct'];
    const env = { ...baseEnv, AZURE_STORAGE_ACCOUNT: 'acct' };
    const fast = await runScript(LAUNCHER, args, env);
    const modules = await runScript(ESM_ENTRY, args, env);
    expect(fast.code).not.toBe(0);
    expect(fast.code).toBe(modules.code);
    const code = (r: { stderr: string }) => (JSON.parse(r.stderr) as { error: { code: string } }).error.code;
    expect(code(fast)).toBe(code(modules));
    expect(fast.stdout).toBe('');
  });
});

serverSuite('Azure fast path on az:// (Azurite)', azureServer(), (server) => {
  const container = `ckpt-fast-${randomBytes(4).toString('hex')}`;
  const root = `az://${container}/zoo`;
  let seed: GFile;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = { ...baseEnv, AZURE_STORAGE_CONNECTION_STRING: server.connectionString };
    await ensureAzureContainer(container, azureOptions(server));
    seed = storesGFile({ azure: server }, 16);
    await writeFastPathTree(seed, root);
  }, 120_000);

  afterAll(async () => {
    await deleteAzureContainer(container, azureOptions(server));
    await seed?.close();
  }, 120_000);

  it('find: JSON, JSON lines, text, filters', async () => {
    const r = await sameBothWays(['find', '--json', root], env);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(5);
    await sameBothWays(['find', root], env);
    await sameBothWays(['find', root, '--jsonl', '--no-content-checks', '--max-depth', '1'], env);
    await sameBothWays(['find', root, '--format', 'tf2-checkpoint', '--stats', '-q', '--azure-endpoint', server.endpoint], env);
  });

  it('find: nothing there, and a container that does not exist', async () => {
    expect((await sameBothWays(['find', `${root}/none`, '--json'], env)).code).not.toBe(0);
    expect((await sameBothWays(['find', `az://${container}-missing/x`], env)).code).not.toBe(0);
  });

  it('latest: robust, tf-compat, no checkpoint', async () => {
    expect((await sameBothWays(['latest', `${root}/a`, '--json'], env)).code).toBe(0);
    await sameBothWays(['latest', `${root}/b/c`], env);
    await sameBothWays(['latest', `${root}/a`, '--tf-compat', '--json'], env);
    expect((await sameBothWays(['latest', `${root}/broken`, '--json'], env)).code).toBe(1);
  });

  it('cp: to a local directory (JSON report), then again (everything already there), and back up to Azure', async () => {
    const fast = path.join(scratch, 'cp-fast');
    const slow = path.join(scratch, 'cp-yargs');
    const viaFast = await runScript(LAUNCHER, ['cp', `${root}/a/ckpt-200`, fast, '--json'], env);
    const viaYargs = await runScript(ESM_ENTRY, ['cp', `${root}/a/ckpt-200`, slow, '--json'], env);
    expect(viaFast.code, viaFast.stderr).toBe(0);
    expect(viaFast.code).toBe(viaYargs.code);
    expect(viaFast.stdout.split(fast).join('DST')).toBe(viaYargs.stdout.split(slow).join('DST'));
    expect(await fs.readdir(fast)).toEqual(await fs.readdir(slow));
    const again = await sameBothWays(['cp', `${root}/a/ckpt-200`, fast, '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ filesCopied: 0 });
    const up = await runScript(LAUNCHER, ['cp', path.join(fast, 'ckpt-200'), `az://${container}/up`, '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(await seed.readText(`az://${container}/up/ckpt-200.index`)).toBe('i');
  });
});
