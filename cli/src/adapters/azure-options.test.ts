import { describe, expect, it } from 'vitest';
import { resolveAzureOptions } from '@ckptkit/azure';
import { azureOptionsFromCli } from './azure-options.js';

const KEY = Buffer.from('not-a-real-key-but-base64').toString('base64');

describe('azureOptionsFromCli', () => {
  it('--azure-endpoint wins over the connection string\'s BlobEndpoint', () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: `AccountName=acct1;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:10000/acct1` };
    expect(resolveAzureOptions(azureOptionsFromCli({}, env)).endpoint).toBe('http://127.0.0.1:10000/acct1');
    expect(resolveAzureOptions(azureOptionsFromCli({ azureEndpoint: 'http://127.0.0.1:9/acct1/' }, env)).endpoint).toBe('http://127.0.0.1:9/acct1');
    expect(azureOptionsFromCli({ azureEndpoint: '  ' }, env).endpoint).toBeUndefined();
  });

  it('reads the account, key and SAS as Azure tools do, connection string first', () => {
    expect(resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_ACCOUNT: 'acct2', AZURE_STORAGE_KEY: KEY })).auth).toEqual({ kind: 'sharedKey', account: 'acct2', accountKey: KEY });
    const sas = resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_ACCOUNT: 'acct2', AZURE_STORAGE_SAS_TOKEN: '?sv=2024&sig=abc%2Bdef' }));
    expect(sas.auth).toEqual({ kind: 'sas', sasToken: 'sv=2024&sig=abc%2Bdef' });
    expect(sas.endpoint).toBe('https://acct2.blob.core.windows.net');
    const cs = resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_CONNECTION_STRING: `AccountName=acct3;AccountKey=${KEY};EndpointSuffix=core.chinacloudapi.cn`, AZURE_STORAGE_ACCOUNT: 'other' }));
    expect(cs).toMatchObject({ account: 'acct3', endpoint: 'https://acct3.blob.core.chinacloudapi.cn', auth: { kind: 'sharedKey' } });
    expect(resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_ACCOUNT: 'acct4' })).auth).toEqual({ kind: 'token', credential: undefined });
  });

  it('UseDevelopmentStorage=true is Azurite on 127.0.0.1:10000', () => {
    const r = resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }));
    expect(r).toMatchObject({ account: 'devstoreaccount1', endpoint: 'http://127.0.0.1:10000/devstoreaccount1', auth: { kind: 'sharedKey' } });
  });

  it('--anonymous wins over every credential', () => {
    const r = resolveAzureOptions(azureOptionsFromCli({ anonymous: true }, { AZURE_STORAGE_ACCOUNT: 'acct5', AZURE_STORAGE_KEY: KEY }));
    expect(r.auth).toEqual({ kind: 'anonymous' });
  });

  it('no account at all is INVALID_CONFIG naming the variables, and a malformed connection string never quotes the key', () => {
    expect(() => resolveAzureOptions(azureOptionsFromCli({}, {}))).toThrow(/AZURE_STORAGE_CONNECTION_STRING/);
    let message = '';
    try {
      resolveAzureOptions(azureOptionsFromCli({}, { AZURE_STORAGE_CONNECTION_STRING: `AccountName=a;${KEY}` }));
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(KEY);
  });
});
