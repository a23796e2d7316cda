#!/usr/bin/env node
// The sequential floor of the scale benchmark: a bare ListObjectsV2 loop (1,000 keys a page, one
// page after the other, nothing kept but a count), run as its own process so that its wall time
// and peak RSS compare with the CLIs'. Credentials come from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_REGION.
//
//   node test/bench/scale-floor.mjs ENDPOINT BUCKET PREFIX   -> {"keys":N,"pages":P}
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The SDK the S3 adapter uses (the monorepo root does not depend on it itself).
const require = createRequire(path.join(here, '..', '..', 'adapters', 's3', 'package.json'));
const { S3Client, ListObjectsV2Command } = require('@aws-sdk/client-s3');

const [endpoint, bucket, prefix] = process.argv.slice(2);
if (!endpoint || !bucket || prefix === undefined) {
  process.stderr.write('usage: scale-floor.mjs ENDPOINT BUCKET PREFIX\n');
  process.exit(2);
}
const client = new S3Client({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
let keys = 0;
let pages = 0;
let token;
do {
  const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000, ContinuationToken: token }));
  pages++;
  keys += out.Contents?.length ?? 0;
  token = out.IsTruncated ? out.NextContinuationToken : undefined;
} while (token);
process.stdout.write(`${JSON.stringify({ keys, pages })}\n`);
