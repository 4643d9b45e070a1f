// Test-only preload for the soak test: on SIGUSR2, run a full garbage collection, so that resident memory is read
// after collection (what is retained) rather than wherever V8's lazy heap growth happens to be.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
});
