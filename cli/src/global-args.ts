import type { Argv } from 'yargs';
import { numberOption } from './help.js';

/** The options every command accepts (cli.md "Global options"). */
export interface GlobalArgs {
  json: boolean;
  stats: boolean;
  concurrency: number;
  s3Endpoint?: string | undefined;
  s3PathStyle?: boolean | undefined;
  s3Region?: string | undefined;
  gcsEndpoint?: string | undefined;
  azureEndpoint?: string | undefined;
  anonymous: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Declares the global options on a yargs instance. */
export function withGlobalOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'Machine output: one JSON document on stdout' })
    .option('stats', { type: 'boolean', default: false, describe: 'Print request counts, bytes and time as one JSON line on stderr' })
    .option('concurrency', numberOption('concurrency', 'positive-integer', 'Requests in flight at most', 16))
    .option('s3-endpoint', { type: 'string', describe: 'S3-compatible endpoint URL (env AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)' })
    .option('s3-path-style', { type: 'boolean', describe: 'Path-style S3 addressing (default on with a custom endpoint)' })
    .option('s3-region', { type: 'string', describe: 'S3 region (env AWS_REGION)' })
    .option('gcs-endpoint', { type: 'string', describe: 'GCS endpoint, e.g. an emulator (env STORAGE_EMULATOR_HOST)' })
    .option('azure-endpoint', { type: 'string', describe: 'Azure Blob endpoint, e.g. Azurite http://127.0.0.1:10000/devstoreaccount1 (env AZURE_STORAGE_CONNECTION_STRING BlobEndpoint)' })
    .option('anonymous', { type: 'boolean', default: false, describe: 'Unsigned requests, for public buckets and containers' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Less on stderr' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'More on stderr (retries, decisions)' })
    // After the command's own options (help.ts groups them first), storage options last.
    .group(['json', 'stats', 'concurrency', 'quiet', 'verbose'], 'Global options:')
    .group(['s3-endpoint', 's3-path-style', 's3-region', 'gcs-endpoint', 'azure-endpoint', 'anonymous'], 'Storage options:');
}
