import type { AzureAdapterOptions } from '@ckptkit/azure';

/**
 * The Azure adapter's options from `ckpt`'s flags and the environment, as Azure's own tools read it
 * (the adapter resolves the variables: see resolveAzureOptions in @ckptkit/azure):
 * - `AZURE_STORAGE_CONNECTION_STRING` (account, key or SAS, and an emulator's `BlobEndpoint`);
 *   else `AZURE_STORAGE_ACCOUNT` with `AZURE_STORAGE_KEY` or `AZURE_STORAGE_SAS_TOKEN`;
 *   else Entra ID through `DefaultAzureCredential` (environment, workload identity, managed
 *   identity, `az login`), loaded only then.
 * - endpoint: `--azure-endpoint` (an emulator, a sovereign cloud, a private endpoint) over the
 *   connection string's.
 * - `--anonymous` for public containers (no credentials looked up at all).
 *
 * Type-only import of @ckptkit/azure: building these options never loads the SDK.
 */
export function azureOptionsFromCli(argv: { azureEndpoint?: string | undefined; anonymous?: boolean | undefined }, env: NodeJS.ProcessEnv): AzureAdapterOptions {
  const endpoint = argv.azureEndpoint?.trim();
  const options: AzureAdapterOptions = { env };
  if (endpoint) options.endpoint = endpoint;
  if (argv.anonymous) options.anonymous = true;
  return options;
}
