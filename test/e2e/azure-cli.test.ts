/**
 * `ckpt` against Azurite, run as a user would: the built binary, credentials and the emulator's
 * endpoint from AZURE_STORAGE_CONNECTION_STRING (or --azure-endpoint), every command on az://.
 * Includes the acceptance: `ckpt ls -R --json` lists exactly what is there in ceil(N/5000)
 * list requests, and `ckpt cp ./run/ckpt-19 az://c/run2 && ckpt cp az://c/run2/ckpt-19 ./back` is
 * byte-exact.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '@ckptkit/core';
import { deleteAzureContainer, ensureAzureContainer } from '@ckptkit/azure';
import type { GFile } from '@ckptkit/gfile';
import { runCli } from '../helpers/cli.js';
import { azureServer, serverSuite } from '../helpers/servers.js';
import { azureOptions, cliEnv, storesGFile } from '../helpers/stores.js';

interface Entry {
  uri: string;
  kind: string;
  size: number;
  md5?: string;
  etag?: string;
}

serverSuite('ckpt on az:// (Azurite)', azureServer(), (server) => {
  const container = `ckpt-cli-${randomBytes(4).toString('hex')}`;
  const c = `az://${container}`;
  const N = 5_002;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let g: GFile;
  const ckpt = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extra }, timeoutMs: 120_000 });
  const many = Array.from({ length: N }, (_, i) => `f${String(i).padStart(5, '0')}`);

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-az-cli-'));
    env = cliEnv(tmp, undefined, server);
    g = storesGFile({ azure: server }, 64);
    await ensureAzureContainer(container, azureOptions(server));
    // A local training run: ckpt-5 and ckpt-19 (a 9 MiB shard: staged blocks on Azure), a state file.
    for (const step of [5, 19]) {
      await writeBundle(
        g,
        `${tmp}/run/ckpt-${step}`,
        [
          { key: 'w', dtype: 'DT_UINT8', shape: [9 * 1024 * 1024 + step], data: randomBytes(9 * 1024 * 1024 + step), shard: 0 },
          { key: 'global_step', dtype: 'DT_INT64', shape: [], data: new Uint8Array(new BigInt64Array([BigInt(step)]).buffer), shard: 1 },
        ],
        { numShards: 2 },
      );
    }
    await fs.writeFile(`${tmp}/run/checkpoint`, 'model_checkpoint_path: "ckpt-19"\nall_model_checkpoint_paths: "ckpt-5"\nall_model_checkpoint_paths: "ckpt-19"\n');
    for (let i = 0; i < N; i += 1000) await Promise.all(many.slice(i, i + 1000).map((n) => g.writeText(`${c}/many/${n}`, n)));
    await g.writeText(`${c}/many/sub/deep.txt`, 'deep');
  }, 300_000);

  afterAll(async () => {
    await deleteAzureContainer(container, azureOptions(server)).catch(() => undefined);
    await g?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it(`ls -R --json lists exactly the ${N + 1} blobs there, in ceil(N/5000) list requests`, async () => {
    const r = await ckpt(['ls', '-R', '--json', '--stats', `${c}/many`]);
    expect(r.code, r.stderr).toBe(0);
    const entries = JSON.parse(r.stdout) as Entry[];
    const files = entries.filter((e) => e.kind === 'file').map((e) => e.uri);
    expect(files).toEqual([...many.map((n) => `${c}/many/${n}`), `${c}/many/sub/deep.txt`].sort());
    expect(entries.filter((e) => e.kind === 'directory').map((e) => e.uri)).toEqual([`${c}/many/sub`]);
    expect(r.stats!.requests.list).toBe(Math.ceil((N + 1) / 5000));
    expect(r.stats!.requests.get + r.stats!.requests.head).toBe(0);
  }, 120_000);

  it('cp ./run/ckpt-19 az://c/run2 && cp az://c/run2/ckpt-19 ./back is byte-exact', async () => {
    const up = await ckpt(['cp', `${tmp}/run/ckpt-19`, `${c}/run2`], {});
    expect(up.code, up.stderr).toBe(0);
    const down = await ckpt(['cp', `${c}/run2/ckpt-19`, `${tmp}/back`]);
    expect(down.code, down.stderr).toBe(0);
    const names = (await fs.readdir(`${tmp}/run`)).filter((n) => n.startsWith('ckpt-19.'));
    expect(names.length).toBe(3);
    expect((await fs.readdir(`${tmp}/back`)).sort()).toEqual(names.sort());
    for (const n of names) expect((await fs.readFile(`${tmp}/back/${n}`)).equals(await fs.readFile(`${tmp}/run/${n}`)), n).toBe(true);
  }, 120_000);

  describe('every command on az://', () => {
    const run = () => `${c}/run`;
    beforeAll(async () => {
      const r = await ckpt(['cp', `${tmp}/run/ckpt-5`, run()]);
      expect(r.code, r.stderr).toBe(0);
      const r2 = await ckpt(['cp', '--update-state', `${tmp}/run/ckpt-19`, run()]);
      expect(r2.code, r2.stderr).toBe(0);
    }, 120_000);

    it('ls and ls -l: children with sizes, and Azure fields in JSON', async () => {
      const r = await ckpt(['ls', '--json', run()]);
      expect(r.code, r.stderr).toBe(0);
      const entries = JSON.parse(r.stdout) as Entry[];
      expect(entries.map((e) => e.uri.slice(run().length + 1))).toEqual([
        'checkpoint',
        'ckpt-19.data-00000-of-00002',
        'ckpt-19.data-00001-of-00002',
        'ckpt-19.index',
        'ckpt-5.data-00000-of-00002',
        'ckpt-5.data-00001-of-00002',
        'ckpt-5.index',
      ]);
      expect(entries[1]!.md5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(entries[1]!.etag).toMatch(/^"?0x[0-9A-F]+"?$/);
      const l = await ckpt(['ls', '-l', `${run()}/`]);
      expect(l.code).toBe(0);
      expect(l.stdout).toContain('ckpt-19.index');
    });

    it('stat of a file and of a directory', async () => {
      const r = await ckpt(['stat', '--json', `${run()}/ckpt-19.index`, run()]);
      expect(r.code, r.stderr).toBe(0);
      const [file, dir] = JSON.parse(r.stdout) as Entry[];
      expect(file).toMatchObject({ uri: `${run()}/ckpt-19.index`, kind: 'file' });
      expect(dir).toMatchObject({ kind: 'directory' });
    });

    it('latest, latest --tf-compat and state read the state file', async () => {
      const r = await ckpt(['latest', '--json', run()]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ prefix: `${run()}/ckpt-19`, step: 19 });
      const tf = await ckpt(['latest', '--tf-compat', run()]);
      expect(tf.stdout.trim()).toBe(`${run()}/ckpt-19`);
      const st = await ckpt(['state', '--json', run()]);
      expect(st.code, st.stderr).toBe(0);
      expect(st.stdout).toContain('ckpt-19');
    });

    it('find and glob', async () => {
      const f = await ckpt(['find', '--json', c]);
      expect(f.code, f.stderr).toBe(0);
      const prefixes = (JSON.parse(f.stdout) as Array<{ prefix: string }>).map((x) => x.prefix);
      expect(prefixes).toEqual(expect.arrayContaining([`${run()}/ckpt-5`, `${run()}/ckpt-19`, `${c}/run2/ckpt-19`]));
      const gl = await ckpt(['glob', '--json', `${c}/run*/ckpt-*.index`]);
      expect(gl.code, gl.stderr).toBe(0);
      expect((JSON.parse(gl.stdout) as Entry[]).map((e) => e.uri)).toEqual([`${run()}/ckpt-19.index`, `${run()}/ckpt-5.index`, `${c}/run2/ckpt-19.index`]);
    });

    it('inspect and verify --deep read the bundle by ranges', async () => {
      const i = await ckpt(['inspect', '--json', `${run()}/ckpt-19`]);
      expect(i.code, i.stderr).toBe(0);
      expect(i.stdout).toContain('global_step');
      const v = await ckpt(['verify', '--deep', '--json', `${run()}/ckpt-19`]);
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, tensorsChecked: 2 });
    }, 60_000);

    it('watch prints the newest checkpoint there and times out', async () => {
      const w = await ckpt(['watch', '--json', '--timeout', '0.5', '--interval', '0.2', run()]);
      expect(w.stdout).toContain(`${run()}/ckpt-19`);
      expect([0, 1]).toContain(w.code);
    });

    it('server-side copy within the container: cp az:// -> az://', async () => {
      const r = await ckpt(['cp', '--json', `${run()}/ckpt-5`, `${c}/copied`]);
      expect(r.code, r.stderr).toBe(0);
      const back = await ckpt(['verify', '--deep', '--json', `${c}/copied/ckpt-5`]);
      expect(JSON.parse(back.stdout)).toMatchObject({ ok: true });
    }, 60_000);

    it('abfss:// URLs name the same blobs (the connection string\'s endpoint stands in for the account)', async () => {
      const url = `abfss://${container}@${server.account}.dfs.core.windows.net/run`;
      const r = await ckpt(['latest', '--json', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ prefix: `${url}/ckpt-19` });
    });

    it('--azure-endpoint with AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY instead of a connection string', async () => {
      const r = await ckpt(['ls', '--json', '--azure-endpoint', server.endpoint, run()], {
        AZURE_STORAGE_CONNECTION_STRING: '',
        AZURE_STORAGE_ACCOUNT: server.account,
        AZURE_STORAGE_KEY: server.accountKey,
      });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Entry[]).length).toBe(7);
    });
  });

  describe('errors', () => {
    it('a missing container: exit 4, NOT_FOUND naming it', async () => {
      const r = await ckpt(['ls', '--json', `az://no-such-${container}/x`]);
      expect(r.code).toBe(4);
      expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', uri: `az://no-such-${container}/x` } });
    });

    it('no account at all: exit 2, INVALID_CONFIG naming the variables', async () => {
      const r = await ckpt(['ls', '--json', `${c}/run`], { AZURE_STORAGE_CONNECTION_STRING: '' });
      expect(r.code).toBe(2);
      const e = JSON.parse(r.stderr) as { error: { code: string; message: string } };
      expect(e.error.code).toBe('INVALID_CONFIG');
      expect(e.error.message).toContain('AZURE_STORAGE_CONNECTION_STRING');
    });

    it('a bad container name is a usage error (exit 2) saying what a name may be', async () => {
      const r = await ckpt(['ls', '--json', 'az://Bad_Name/x']);
      expect(r.code).toBe(2);
      const e = JSON.parse(r.stderr) as { error: { code: string; message: string } };
      expect(e.error.code).toBe('USAGE');
      expect(e.error.message).toContain('not a valid Azure container name');
    });
  });
});
