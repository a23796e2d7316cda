#!/usr/bin/env node
// The listing planner alone, for the scale benchmark: one recursive listing through ckptkit's
// facade and S3 adapter (the code `ckpt ls -R` and `find` list with), counting entries without
// holding or printing them, as its own process. Credentials from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_REGION.
//
//   node test/bench/scale-gfile.mjs ENDPOINT BUCKET PREFIX   -> {"keys":N,"decisions":{...}}
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { s3Factory } from '@ckptkit/s3';

const [endpoint, bucket, prefix] = process.argv.slice(2);
if (!endpoint || !bucket || prefix === undefined) {
  process.stderr.write('usage: scale-gfile.mjs ENDPOINT BUCKET PREFIX\n');
  process.exit(2);
}
const g = createGFile({
  registry: createRegistry().register('s3', () =>
    s3Factory({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } }),
  ),
});
let keys = 0;
for await (const e of g.list(`s3://${bucket}/${prefix}`, { recursive: true })) if (e.kind === 'file') keys++;
await g.close();
process.stdout.write(`${JSON.stringify({ keys, requests: g.metrics.requests.list })}\n`);
