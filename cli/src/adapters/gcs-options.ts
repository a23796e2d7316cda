import type { GcsAdapterOptions } from '@ckptkit/gcs';

/**
 * The GCS adapter's options from `ckpt`'s flags and the environment, as Google's own tools read it:
 * - endpoint: `--gcs-endpoint`, else `STORAGE_EMULATOR_HOST`. Both spellings of the variable work:
 *   `host:port` (the Go/Python convention, http assumed) and a JSON API base ending in
 *   `/storage/v1` (what the Node SDK expects); the adapter normalises either to the origin.
 *   A custom endpoint is called without credentials, like the SDK does for emulators.
 * - project: `GOOGLE_CLOUD_PROJECT`, else `GCLOUD_PROJECT` (only bucket-level calls need one).
 * - credentials: `GOOGLE_APPLICATION_CREDENTIALS` (a key file); otherwise application default
 *   credentials; `--anonymous` for public buckets (no credentials looked up at all).
 *
 * Type-only import of @ckptkit/gcs: building these options never loads the SDK.
 */
export function gcsOptionsFromCli(argv: { gcsEndpoint?: string | undefined; anonymous?: boolean | undefined }, env: NodeJS.ProcessEnv): GcsAdapterOptions {
  const set = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const options: GcsAdapterOptions = { env };
  const endpoint = set(argv.gcsEndpoint) ?? set(env.STORAGE_EMULATOR_HOST);
  if (endpoint) options.apiEndpoint = endpoint;
  const project = set(env.GOOGLE_CLOUD_PROJECT) ?? set(env.GCLOUD_PROJECT);
  if (project) options.projectId = project;
  if (argv.anonymous) options.anonymous = true;
  else {
    const keyFile = set(env.GOOGLE_APPLICATION_CREDENTIALS);
    if (keyFile) options.keyFilename = keyFile;
  }
  return options;
}
