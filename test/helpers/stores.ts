/**
 * One facade over every store the real-server suites use (local, S3 on RGW, GCS on the emulator),
 * and the environment and flags that point the built `ckpt` at the same servers.
 */
import path from 'node:path';
import { azureFactory, type AzureAdapterOptions } from '@ckptkit/azure';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { gcsFactory, type GcsAdapterOptions } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import type { AzureTestServer, GcsTestServer, S3TestServer } from './servers.js';

export function s3Options(s3: S3TestServer): S3AdapterOptions {
  return { endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
}

export function gcsOptions(gcs: GcsTestServer): GcsAdapterOptions {
  return { apiEndpoint: gcs.endpoint, projectId: gcs.projectId, env: {} };
}

export function azureOptions(azure: AzureTestServer): AzureAdapterOptions {
  return { connectionString: azure.connectionString, env: {} };
}

/** A facade with `file`, and `s3`/`gs`/`az` for the servers given. */
export function storesGFile(servers: { s3?: S3TestServer | undefined; gcs?: GcsTestServer | undefined; azure?: AzureTestServer | undefined }, concurrency = 32): GFile {
  const registry = createRegistry().register('file', () => localFactory());
  if (servers.s3) registry.register('s3', () => s3Factory(s3Options(servers.s3!)));
  if (servers.gcs) registry.register('gs', () => gcsFactory(gcsOptions(servers.gcs!)));
  if (servers.azure) registry.register('az', () => azureFactory(azureOptions(servers.azure!)));
  return createGFile({ registry, concurrency });
}

/**
 * A new user's environment for `ckpt`: keys in the environment, no ~/.aws, no Google credentials;
 * Azurite's connection string when `azure` is given, else no Azure variables at all.
 */
export function cliEnv(home: string, s3?: S3TestServer, azure?: AzureTestServer): NodeJS.ProcessEnv {
  return {
    HOME: home,
    ...(s3
      ? {
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          AWS_REGION: s3.region,
          AWS_ENDPOINT_URL_S3: s3.endpoint,
        }
      : {}),
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    STORAGE_EMULATOR_HOST: '',
    GOOGLE_APPLICATION_CREDENTIALS: '',
    GOOGLE_CLOUD_PROJECT: '',
    GCLOUD_PROJECT: '',
    AZURE_STORAGE_CONNECTION_STRING: azure?.connectionString ?? '',
    AZURE_STORAGE_ACCOUNT: '',
    AZURE_STORAGE_KEY: '',
    AZURE_STORAGE_SAS_TOKEN: '',
  };
}

/** The flags that point `ckpt` at the servers. */
export function cliStoreFlags(servers: { s3?: S3TestServer | undefined; gcs?: GcsTestServer | undefined }): string[] {
  return [...(servers.s3 ? ['--s3-path-style'] : []), ...(servers.gcs ? ['--gcs-endpoint', servers.gcs.endpoint] : [])];
}
