import { describe, expect, it } from 'vitest';
import { s3OptionsFromCli } from './s3-options.js';

describe('s3OptionsFromCli', () => {
  it('takes the endpoint from --s3-endpoint, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL_S3: 'http://s3-specific:7480', AWS_ENDPOINT_URL: 'http://generic:9000' };
    expect(s3OptionsFromCli({ s3Endpoint: 'http://flag:1' }, env).endpoint).toBe('http://flag:1');
    expect(s3OptionsFromCli({}, env).endpoint).toBe('http://s3-specific:7480');
    expect(s3OptionsFromCli({}, { AWS_ENDPOINT_URL: 'http://generic:9000' }).endpoint).toBe('http://generic:9000');
    expect(s3OptionsFromCli({}, {}).endpoint).toBeUndefined();
    expect(s3OptionsFromCli({ s3Endpoint: ' ' }, { AWS_ENDPOINT_URL_S3: '' }).endpoint).toBeUndefined();
    expect(s3OptionsFromCli({}, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).endpoint).toBeUndefined();
  });

  it('uses path style with a custom endpoint unless told otherwise, and leaves AWS to the adapter', () => {
    expect(s3OptionsFromCli({ s3Endpoint: 'http://h:1' }, {}).forcePathStyle).toBe(true);
    expect(s3OptionsFromCli({ s3Endpoint: 'http://h:1', s3PathStyle: false }, {}).forcePathStyle).toBe(false);
    expect(s3OptionsFromCli({ s3PathStyle: true }, {}).forcePathStyle).toBe(true);
    expect(s3OptionsFromCli({}, {})).toEqual({});
  });

  it('takes the region from --s3-region, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(s3OptionsFromCli({ s3Region: 'eu-west-1' }, { AWS_REGION: 'us-west-2' }).region).toBe('eu-west-1');
    expect(s3OptionsFromCli({}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('us-west-2');
    expect(s3OptionsFromCli({}, { AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    // None: the adapter reads the profile's region, else us-east-1.
    expect(s3OptionsFromCli({}, {}).region).toBeUndefined();
  });

  it('--anonymous means unsigned requests and no profile; otherwise AWS_PROFILE picks the profile', () => {
    expect(s3OptionsFromCli({ anonymous: true }, { AWS_PROFILE: 'work' })).toEqual({ anonymous: true });
    expect(s3OptionsFromCli({}, { AWS_PROFILE: 'work' }).profile).toBe('work');
  });
});
