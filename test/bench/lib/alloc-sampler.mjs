// Preloaded with `node --import` (NODE_OPTIONS): V8's sampling heap profiler over the whole
// process, keeping the samples of objects collected since (minor and major GCs), so the total is
// an estimate of every byte allocated, not of what survives. Prints `{"allocatedBytes":N}` on
// stderr at exit.
import inspector from 'node:inspector';

const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
process.on('exit', () => {
  // An in-process session answers synchronously: the callback runs before the process ends.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return;
    let total = 0;
    const stack = [result.profile.head];
    while (stack.length > 0) {
      const node = stack.pop();
      total += node.selfSize;
      for (const child of node.children) stack.push(child);
    }
    process.stderr.write(`${JSON.stringify({ allocatedBytes: total })}\n`);
  });
});
