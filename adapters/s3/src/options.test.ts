import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { isCkptError, redact } from '@ckptkit/gfile';
import { createS3Adapter, createS3Client } from './index.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

async function awsHome(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-aws-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[k];
  return dir;
}

describe('client options', () => {
  it('region: explicit, then environment, then profile, then us-east-1', async () => {
    await awsHome({ config: '[default]\nregion = eu-west-3\n[profile other]\nregion = ap-south-1\n' });
    expect(await createS3Client({ region: 'us-west-2' }).config.region()).toBe('us-west-2');
    expect(await createS3Client({}).config.region()).toBe('eu-west-3');
    expect(await createS3Client({ profile: 'other' }).config.region()).toBe('ap-south-1');
    process.env.AWS_REGION = 'ca-central-1';
    expect(await createS3Client({}).config.region()).toBe('ca-central-1');
    await awsHome({ config: '' });
    expect(await createS3Client({}).config.region()).toBe('us-east-1');
  });

  it('path style and checksums follow the endpoint; the SDK makes one attempt', async () => {
    const custom = createS3Client({ endpoint: 'http://127.0.0.1:7480', region: 'us-east-1' });
    expect(custom.config.forcePathStyle).toBe(true);
    expect(await custom.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await custom.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await custom.config.maxAttempts()).toBe(1);
    const aws = createS3Client({ region: 'us-east-1' });
    expect(aws.config.forcePathStyle).toBe(false);
    expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    expect(createS3Client({ endpoint: 'http://h', forcePathStyle: false, region: 'x' }).config.forcePathStyle).toBe(false);
    expect(await createS3Client({ region: 'x', sdkMaxAttempts: 3 }).config.maxAttempts()).toBe(3);
  });

  it('rejects a malformed endpoint and nonsensical sizes as INVALID_CONFIG', () => {
    for (const bad of [{ endpoint: 'localhost:9000' }, { endpoint: 'ftp://x' }, { partSize: 1024 }, { maxPageSize: 0 }]) {
      let error: unknown;
      try {
        createS3Adapter('b', { region: 'us-east-1', ...bad });
      } catch (e) {
        error = e;
      }
      expect(isCkptError(error, 'INVALID_CONFIG')).toBe(true);
    }
    expect(isCkptError((() => { try { createS3Adapter(''); } catch (e) { return e; } })(), 'INVALID_PATH')).toBe(true);
  });

  it('registers static and default-chain secrets so that redact removes them', async () => {
    createS3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'static-secret-value-1', sessionToken: 'static-session-token-1' } });
    expect(redact('a static-secret-value-1 b static-session-token-1')).toBe('a <redacted> b <redacted>');
    await awsHome({ credentials: '[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret-value-2\n' });
    const client = createS3Client({ region: 'us-east-1' });
    expect(redact('x profile-secret-value-2')).toContain('profile-secret-value-2');
    const creds = await (client.config as unknown as { credentials: () => Promise<{ secretAccessKey: string }> }).credentials();
    expect(creds.secretAccessKey).toBe('profile-secret-value-2');
    expect(redact('x profile-secret-value-2')).toBe('x <redacted>');
  });
});

describe('reads against a stub client', () => {
  const stub = (reply: () => Record<string, unknown>) => ({ send: async () => reply(), destroy() {}, config: {} }) as unknown as S3Client;

  it('a body that ends cleanly but short of its Content-Length is a retryable UNAVAILABLE', async () => {
    const adapter = createS3Adapter('b', { client: stub(() => ({ Body: Readable.from([Buffer.alloc(50)]), ContentLength: 100 })) });
    let error: unknown;
    try {
      await adapter.read('k');
    } catch (e) {
      error = e;
    }
    expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect((error as Error).message).toContain('50 of 100');
    const chunks: Uint8Array[] = [];
    error = undefined;
    try {
      for await (const c of adapter.readStream!('k')) chunks.push(c);
    } catch (e) {
      error = e;
    }
    expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
  });

  it('a range answered with another range is refused', async () => {
    const adapter = createS3Adapter('b', { client: stub(() => ({ Body: Readable.from([Buffer.alloc(5)]), ContentLength: 5, ContentRange: 'bytes 0-4/10' })) });
    let error: unknown;
    try {
      await adapter.read('k', { range: { offset: 5, length: 5 } });
    } catch (e) {
      error = e;
    }
    expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
  });
});
