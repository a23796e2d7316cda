// Loaded with `NODE_OPTIONS=--import <this file>` into a CLI child process: prints the process's
// peak resident set as one JSON line on stderr when it exits, `{"maxRssKiB":N,"by":"…"}`, for
// tests that bound what a command costs in memory.
//
// Linux: VmHWM of /proc/self/status, the high-water mark of this address space since exec. Not
// process.resourceUsage().maxRSS: getrusage keeps ru_maxrss across fork and exec, so a child of
// a large test runner reports the runner's peak. Elsewhere: the largest RSS sampled every 5 ms.
import fs from 'node:fs';

let sampled = process.memoryUsage.rss();
const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 5);
timer.unref();

process.on('exit', () => {
  let kib;
  let by = 'VmHWM';
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) kib = Number(m[1]);
  } catch {
    // not Linux
  }
  if (kib === undefined) {
    kib = Math.round(Math.max(sampled, process.memoryUsage.rss()) / 1024);
    by = 'sampled';
  }
  process.stderr.write(`${JSON.stringify({ maxRssKiB: kib, by })}\n`);
});
