// Test-only preload for the soak test: on SIGUSR2, run a full garbage collection, so that resident memory is read
// after collection (what is retained) rather than wherever V8's lazy heap growth happens to be. With
// WARDEN_HEAP_REPORT set, it also writes what JavaScript retains after that collection to that file: the V8 heap in
// use plus memory held by Buffers and ArrayBuffers outside it (one number, bytes).
const { writeFileSync } = require('node:fs');
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const report = process.env.WARDEN_HEAP_REPORT;
  if (report) {
    const { heapUsed, external } = process.memoryUsage();
    writeFileSync(report, String(heapUsed + external));
  }
});
