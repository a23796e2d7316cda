/**
 * The fault suite against Google's storage emulator through the fault proxy (see suite.ts). No
 * nock in this file: it would intercept the proxy's traffic.
 */
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { gcsTarget } from './harness.js';
import { defineFaultSuite } from './suite.js';

serverSuite('faults: gcs (storage emulator) through the fault proxy', gcsServer(), (server) => {
  defineFaultSuite(() => gcsTarget(server));
});
