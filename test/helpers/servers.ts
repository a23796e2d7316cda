/**
 * How tests find the real servers `test/run.mjs` started. A suite that needs a server calls
 * {@link serverSuite}: without the server it is skipped with the reason in its name, except under
 * CI=true, where a missing server fails the run instead of skipping silently.
 */
import { describe, it } from 'vitest';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface GcsTestServer {
  endpoint: string;
  projectId: string;
}

/** The RGW started for this run, from CKPT_TEST_S3_* variables. */
export function s3Server(): S3TestServer | undefined {
  const e = process.env;
  if (!e.CKPT_TEST_S3_ENDPOINT || !e.CKPT_TEST_S3_ACCESS_KEY || !e.CKPT_TEST_S3_SECRET_KEY) return undefined;
  return { endpoint: e.CKPT_TEST_S3_ENDPOINT, accessKeyId: e.CKPT_TEST_S3_ACCESS_KEY, secretAccessKey: e.CKPT_TEST_S3_SECRET_KEY, region: e.CKPT_TEST_S3_REGION ?? 'us-east-1' };
}

/** The GCS emulator started for this run, from CKPT_TEST_GCS_* variables. */
export function gcsServer(): GcsTestServer | undefined {
  const e = process.env;
  if (!e.CKPT_TEST_GCS_ENDPOINT) return undefined;
  return { endpoint: e.CKPT_TEST_GCS_ENDPOINT, projectId: e.CKPT_TEST_GCS_PROJECT ?? 'ckptkit-test' };
}

export interface AzureTestServer {
  /** A connection string with the emulator's BlobEndpoint and the development account's key. */
  connectionString: string;
  /** The Blob endpoint (`http://127.0.0.1:PORT/devstoreaccount1`). */
  endpoint: string;
  account: string;
  accountKey: string;
}

/** The Azurite started for this run, from CKPT_TEST_AZURE_CONNECTION_STRING. */
export function azureServer(): AzureTestServer | undefined {
  const cs = process.env.CKPT_TEST_AZURE_CONNECTION_STRING;
  if (!cs) return undefined;
  const field = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i').exec(cs)?.[1]?.trim();
  const endpoint = field('BlobEndpoint');
  const account = field('AccountName');
  const accountKey = field('AccountKey');
  if (!endpoint || !account || !accountKey) return undefined;
  return { connectionString: cs, endpoint: endpoint.replace(/\/+$/, ''), account, accountKey };
}

/**
 * `describe` for a suite that needs a server: runs `body(server)` when it is there; otherwise skips
 * visibly, or under CI=true registers one failing test that says which server is missing.
 */
export function serverSuite<T>(name: string, server: T | undefined, body: (server: T) => void): void {
  if (server !== undefined) {
    describe(name, () => body(server));
    return;
  }
  const reason = `${name}: server not running (start it with \`pnpm test\`, which runs test/run.mjs)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its server (required under CI=true)', () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${name} [skipped: server not running; run \`pnpm test\` to start it]`, () => {
      it('needs its server', () => undefined);
    });
  }
}
