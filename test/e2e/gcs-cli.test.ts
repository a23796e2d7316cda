/**
 * `ckpt` against Google's storage emulator, run as a user would: the built binary
 * (`node cli/dist/bin.js`, built by `tsc -b`), the endpoint from `--gcs-endpoint` or
 * `STORAGE_EMULATOR_HOST`, no credentials. Data is seeded through the adapter.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { gcsFactory } from '@ckptkit/gcs';
import { runCli } from '../helpers/cli.js';
import { gcsServer, serverSuite } from '../helpers/servers.js';

interface Entry {
  uri: string;
  kind: string;
  size: number;
  mtime: string | null;
  crc32c?: string;
  md5?: string;
  generation?: string;
}

serverSuite('ckpt on gs:// (storage emulator)', gcsServer(), (server) => {
  const bucket = `ckptkit-cli-${randomBytes(5).toString('hex')}`;
  const base = `gs://${bucket}/runs`;
  // The user's environment, minus anything that would point the CLI elsewhere.
  const env = { STORAGE_EMULATOR_HOST: '', GOOGLE_APPLICATION_CREDENTIALS: '', GOOGLE_CLOUD_PROJECT: '', GCLOUD_PROJECT: '' };

  beforeAll(async () => {
    const g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: server.endpoint, env: {} })) });
    await g.writeText(`${base}/ckpt-1.index`, 'index');
    await g.writeText(`${base}/ckpt-1.data-00000-of-00001`, 'data-bytes');
    await g.writeText(`${base}/ckpt-10.index`, 'index10');
    await g.writeText(`${base}/eval/ckpt-2.index`, 'e');
    await g.writeText(`${base}/epoch=3-step=1000.ckpt`, 'lightning');
    await g.makeDirs(`${base}/empty`);
  });

  it('ckpt ls --json gs://bucket/prefix --gcs-endpoint URL lists children with sizes, kinds and GCS fields', async () => {
    const r = await runCli(['ls', '--json', base, '--gcs-endpoint', server.endpoint], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Entry[];
    expect(entries.map((e) => [e.uri, e.kind, e.size])).toEqual([
      [`${base}/ckpt-1.data-00000-of-00001`, 'file', 10],
      [`${base}/ckpt-1.index`, 'file', 5],
      [`${base}/ckpt-10.index`, 'file', 7],
      [`${base}/empty`, 'directory', 0],
      [`${base}/epoch=3-step=1000.ckpt`, 'file', 9],
      [`${base}/eval`, 'directory', 0],
    ]);
    const index = entries[1]!;
    expect(index.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(index.md5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(index.generation).toMatch(/^\d+$/);
    expect(Number.isNaN(Date.parse(index.mtime!))).toBe(false);
  });

  it('a trailing slash, -l and the flag before the URI work too', async () => {
    const r = await runCli(['--gcs-endpoint', server.endpoint, 'ls', '-l', `${base}/`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^- +5 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +ckpt-1\.index$/m);
    expect(r.stdout).toMatch(/^d .* eval\/$/m);
  });

  it('STORAGE_EMULATOR_HOST works in both spellings: host:port and the JSON API base', async () => {
    const hostPort = server.endpoint.replace(/^http:\/\//, '');
    for (const value of [hostPort, `${server.endpoint}/storage/v1`, server.endpoint]) {
      const r = await runCli(['ls', '--json', base], { env: { ...env, STORAGE_EMULATOR_HOST: value } });
      expect(r.code, `${value}: ${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as Entry[]).map((e) => e.uri.slice(base.length + 1))).toEqual([
        'ckpt-1.data-00000-of-00001',
        'ckpt-1.index',
        'ckpt-10.index',
        'empty',
        'epoch=3-step=1000.ckpt',
        'eval',
      ]);
    }
  });

  it('--stats counts one list request for ls, one head for stat of a file', async () => {
    const ls = await runCli(['ls', '--json', '--stats', base, '--gcs-endpoint', server.endpoint], { env });
    expect(ls.code).toBe(0);
    expect(ls.stats?.requests).toMatchObject({ list: 1, head: 0, get: 0 });
    const st = await runCli(['stat', '--json', '--stats', `${base}/ckpt-1.index`, '--gcs-endpoint', server.endpoint], { env });
    expect(st.code).toBe(0);
    expect((JSON.parse(st.stdout) as Entry[])[0]).toMatchObject({ uri: `${base}/ckpt-1.index`, kind: 'file', size: 5 });
    expect(st.stats?.requests).toMatchObject({ head: 1, list: 0 });
  });

  it('glob is planned from the literal prefix and ckpt-1 is not ckpt-10', async () => {
    const r = await runCli(['glob', '--json', `${base}/ckpt-1.*`, '--gcs-endpoint', server.endpoint], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Entry[]).map((e) => e.uri)).toEqual([`${base}/ckpt-1.data-00000-of-00001`, `${base}/ckpt-1.index`]);
    const deep = await runCli(['glob', '--json', `gs://${bucket}/**/*.index`, '--gcs-endpoint', server.endpoint], { env });
    expect((JSON.parse(deep.stdout) as Entry[]).map((e) => e.uri.slice(`gs://${bucket}/`.length))).toEqual(['runs/ckpt-1.index', 'runs/ckpt-10.index', 'runs/eval/ckpt-2.index']);
  });

  it('--anonymous works (no credentials looked up; the emulator needs none)', async () => {
    const r = await runCli(['ls', '--json', '--anonymous', `${base}/eval`, '--gcs-endpoint', server.endpoint], { env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' } });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Entry[]).map((e) => e.uri)).toEqual([`${base}/eval/ckpt-2.index`]);
  });

  it('a missing prefix is exit 4 with a JSON NOT_FOUND on stderr', async () => {
    const r = await runCli(['ls', '--json', `${base}/nope`, '--gcs-endpoint', server.endpoint], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr.trim())).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), uri: `${base}/nope`, operation: 'stat' } });
  });

  it('a bad endpoint is a configuration error (exit 2); an endpoint nobody listens on is a storage error (exit 4)', async () => {
    const bad = await runCli(['ls', '--json', base, '--gcs-endpoint', 'ftp://127.0.0.1:1'], { env });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr.trim()).error.code).toBe('INVALID_CONFIG');
    const down = await runCli(['ls', '--json', base, '--gcs-endpoint', 'http://127.0.0.1:9'], { env });
    expect(down.code).toBe(4);
    expect(JSON.parse(down.stderr.trim()).error.code).toBe('UNAVAILABLE');
  });

  it('an invalid bucket name is a usage error', async () => {
    const r = await runCli(['ls', '--json', 'gs://Not_A_Bucket!/x', '--gcs-endpoint', server.endpoint], { env });
    expect(r.code).toBe(2);
    // Found before any request, from the command line: USAGE, naming the URI.
    expect(JSON.parse(r.stderr.trim()).error).toMatchObject({ code: 'USAGE', uri: 'gs://Not_A_Bucket!/x', message: expect.stringMatching(/not a valid GCS bucket name/) });
  });
});
