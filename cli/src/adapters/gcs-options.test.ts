import { describe, expect, it } from 'vitest';
import { gcsOptionsFromCli } from './gcs-options.js';

describe('gcsOptionsFromCli', () => {
  it('takes the endpoint from --gcs-endpoint before STORAGE_EMULATOR_HOST', () => {
    const env = { STORAGE_EMULATOR_HOST: 'localhost:9199' };
    expect(gcsOptionsFromCli({ gcsEndpoint: 'http://127.0.0.1:4443' }, env).apiEndpoint).toBe('http://127.0.0.1:4443');
    expect(gcsOptionsFromCli({}, env).apiEndpoint).toBe('localhost:9199');
    expect(gcsOptionsFromCli({}, {}).apiEndpoint).toBeUndefined();
    expect(gcsOptionsFromCli({ gcsEndpoint: '  ' }, { STORAGE_EMULATOR_HOST: '' }).apiEndpoint).toBeUndefined();
  });

  it('reads the project and the key file as Google tools do', () => {
    const o = gcsOptionsFromCli({}, { GCLOUD_PROJECT: 'old', GOOGLE_CLOUD_PROJECT: 'new', GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json' });
    expect(o).toMatchObject({ projectId: 'new', keyFilename: '/keys/sa.json' });
    expect(gcsOptionsFromCli({}, { GCLOUD_PROJECT: 'old' }).projectId).toBe('old');
  });

  it('--anonymous wins over a key file', () => {
    const o = gcsOptionsFromCli({ anonymous: true }, { GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json' });
    expect(o.anonymous).toBe(true);
    expect(o.keyFilename).toBeUndefined();
  });
});
