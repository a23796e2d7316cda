// Loaded with `NODE_OPTIONS=--import <this file>` into a CLI child process: prints the process's
// peak resident set (process.resourceUsage().maxRSS, KiB in Node) as one JSON line on stderr when
// it exits, `{"maxRssKiB":N}`, for tests that bound what a command costs in memory.
process.on('exit', () => {
  process.stderr.write(`${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
});
