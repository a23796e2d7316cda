/**
 * The fault suite against Ceph RGW through the fault proxy (see suite.ts). No nock in this file:
 * it would intercept the proxy's traffic.
 */
import { s3Server, serverSuite } from '../helpers/servers.js';
import { s3Target } from './harness.js';
import { defineFaultSuite } from './suite.js';

serverSuite('faults: s3 (Ceph RGW) through the fault proxy', s3Server(), (server) => {
  defineFaultSuite(() => s3Target(server));
});
