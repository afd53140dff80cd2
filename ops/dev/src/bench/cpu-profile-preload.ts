import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

/**
 * Loaded with `node --require` (NODE_OPTIONS refuses --cpu-prof): a V8 CPU profile of the
 * measured window only — start-up (module loading is seconds of it) would drown the path. The
 * first SIGUSR2 starts the profiler, the second stops it and writes
 * $EVCS_CPU_PROFILE_DIR/<service>-<pid>.cpuprofile (open it in Chrome DevTools or speedscope).
 */
const dir = process.env.EVCS_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      const service = process.env.OTEL_SERVICE_NAME || path.basename(path.resolve(process.argv[1] ?? 'node', '../../..'));
      writeFileSync(path.join(dir, `${service}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
