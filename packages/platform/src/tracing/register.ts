/**
 * `import '@evcs/platform/tracing'` as the first line of a main: starts tracing (when the OTEL_*
 * variables ask for it) before anything else loads http, pg or undici. The service name is
 * OTEL_SERVICE_NAME, else the name of the package whose main this is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTracing } from './sdk';

function packageNameOf(script: string | undefined): string {
  let dir = script ? path.dirname(path.resolve(script)) : process.cwd();
  for (;;) {
    try {
      const name = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
      if (name) return name.replace(/^@evcs\//, '');
    } catch {
      // no package.json here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return 'evcs';
    dir = up;
  }
}

startTracing(packageNameOf(process.argv[1]));
