import type { S3AdapterOptions } from '@ckptkit/s3';

/**
 * The S3 adapter's options from `ckpt`'s flags and the environment, as the AWS tools read it:
 * - endpoint: `--s3-endpoint`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (both ignored
 *   when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`). A custom endpoint means an S3-compatible
 *   server: path-style addressing unless `--no-s3-path-style`, and only the checksums S3 requires.
 * - region: `--s3-region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`; without any of them the
 *   adapter asks the profile (`~/.aws/config`) and falls back to us-east-1.
 * - credentials: the SDK's default chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
 *   `AWS_SESSION_TOKEN`, `AWS_PROFILE` and `~/.aws`, SSO, web identity, ECS/EC2 roles);
 *   `--anonymous` for public buckets (unsigned requests, no credentials looked up at all).
 *
 * Type-only import of @ckptkit/s3: building these options never loads the SDK.
 */
export function s3OptionsFromCli(
  argv: { s3Endpoint?: string | undefined; s3PathStyle?: boolean | undefined; s3Region?: string | undefined; anonymous?: boolean | undefined },
  env: NodeJS.ProcessEnv,
): S3AdapterOptions {
  const set = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  const options: S3AdapterOptions = {};
  const fromEnv = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true' ? undefined : (set(env.AWS_ENDPOINT_URL_S3) ?? set(env.AWS_ENDPOINT_URL));
  const endpoint = set(argv.s3Endpoint) ?? fromEnv;
  if (endpoint) options.endpoint = endpoint;
  if (argv.s3PathStyle !== undefined) options.forcePathStyle = argv.s3PathStyle;
  else if (endpoint) options.forcePathStyle = true;
  const region = set(argv.s3Region) ?? set(env.AWS_REGION) ?? set(env.AWS_DEFAULT_REGION);
  if (region) options.region = region;
  const profile = set(env.AWS_PROFILE);
  if (argv.anonymous) options.anonymous = true;
  else if (profile) options.profile = profile;
  return options;
}
