// Preload for profiled bench servers (`--import tsx --import ./cpu-profile.ts`): SIGUSR2 starts V8's sampling CPU
// profiler, the next SIGUSR2 stops it and writes the profile to $WARDEN_CPU_PROFILE (written to a temporary name,
// then renamed, so the parent never reads half a file). `--cpu-prof` is not used because it profiles the whole
// life of the process, start-up and warm-up included, and only writes on a clean exit.
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const out = process.env.WARDEN_CPU_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        await session.post('Profiler.enable');
        // 250 µs between samples: fine enough for per-request costs of tens of µs over a few seconds of load.
        await session.post('Profiler.setSamplingInterval', { interval: 250 });
        await session.post('Profiler.start');
        return;
      }
      running = false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(`${out}.partial`, JSON.stringify(profile));
      renameSync(`${out}.partial`, out);
    })();
  });
}
